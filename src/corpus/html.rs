//! Analysis HTML → plain text.
//!
//! Smogon analyses are small, regular HTML (`<p>`, `<h3>`, lists, inline markup), so a
//! hand-written single-pass scanner is enough, needs no regex or DOM crate on wasm, and never
//! fails: malformed markup degrades to its text.
//!
//! Paragraph-level elements become blank lines, `<br>` a line break, `<li>` a `- ` line;
//! whitespace inside a paragraph collapses to single spaces; `<script>`/`<style>` bodies and
//! comments are dropped; entities are decoded.

/// Plain text of an HTML fragment: paragraphs separated by one blank line, no leading or
/// trailing whitespace.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = TextBuilder::default();
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_text(&rest[..i]);
        rest = &rest[i..];
        rest = if rest.starts_with('&') { entity(rest, &mut out) } else { markup(rest, &mut out) };
    }
    out.push_text(rest);
    out.finish()
}

/// A break between runs of text; a stronger break absorbs a weaker one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Break {
    None,
    Space,
    Line,
    Paragraph,
}

/// Collects text, collapsing whitespace and deferring breaks until the next visible character,
/// so no output starts, ends or doubles up on whitespace.
struct TextBuilder {
    out: String,
    pending: Break,
}

impl Default for TextBuilder {
    fn default() -> Self {
        TextBuilder { out: String::new(), pending: Break::None }
    }
}

impl TextBuilder {
    fn push_text(&mut self, text: &str) {
        for c in text.chars() {
            self.push_char(c);
        }
    }

    fn push_char(&mut self, c: char) {
        if c.is_whitespace() {
            self.request(Break::Space);
            return;
        }
        if !self.out.is_empty() {
            match self.pending {
                Break::None => {}
                Break::Space => self.out.push(' '),
                Break::Line => self.out.push('\n'),
                Break::Paragraph => self.out.push_str("\n\n"),
            }
        }
        self.pending = Break::None;
        self.out.push(c);
    }

    fn request(&mut self, brk: Break) {
        self.pending = self.pending.max(brk);
    }

    fn finish(self) -> String {
        self.out
    }
}

/// Consumes the tag, comment or declaration at the start of `s` (which starts with `<`).
fn markup<'a>(s: &'a str, out: &mut TextBuilder) -> &'a str {
    if let Some(body) = s.strip_prefix("<!--") {
        return body.find("-->").map_or("", |end| &body[end + 3..]);
    }
    let after = &s[1..];
    let closing = after.starts_with('/');
    let name_start = if closing { &after[1..] } else { after };
    let name_len = name_start.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(name_start.len());
    let is_declaration = after.starts_with(['!', '?']);
    if name_len == 0 && !is_declaration {
        // "a < b": a literal angle bracket, not markup.
        out.push_char('<');
        return after;
    }
    let Some(end) = tag_end(s) else {
        // Unterminated tag: keep what follows as text rather than losing it.
        out.push_char('<');
        return after;
    };
    let name = name_start[..name_len].to_ascii_lowercase();
    let rest = &s[end + 1..];
    if !closing && (name == "script" || name == "style") {
        return skip_element_body(rest, &name);
    }
    apply_tag(&name, closing, out);
    rest
}

/// Index of the `>` closing the tag at the start of `s`, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The text after `</name>` (case-insensitive), or nothing if the element never closes.
fn skip_element_body<'a>(s: &'a str, name: &str) -> &'a str {
    let closing = format!("</{name}");
    let lower = s.to_ascii_lowercase();
    let Some(start) = lower.find(&closing) else { return "" };
    s[start..].find('>').map_or("", |end| &s[start + end + 1..])
}

/// The text effect of an element boundary.
fn apply_tag(name: &str, closing: bool, out: &mut TextBuilder) {
    match name {
        "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "dl" | "table"
        | "blockquote" | "pre" | "section" | "article" | "header" | "footer" | "hr" => {
            out.request(Break::Paragraph);
        }
        "br" | "tr" | "dt" | "dd" => out.request(Break::Line),
        "li" if !closing => {
            out.request(Break::Line);
            out.push_text("- ");
        }
        "li" => out.request(Break::Line),
        "td" | "th" => out.request(Break::Space),
        // Inline markup (b, i, a, span, em, strong, ...) leaves the text as it is.
        _ => {}
    }
}

/// Decodes the entity at the start of `s` (which starts with `&`); anything that is not a known
/// entity stays literal.
fn entity<'a>(s: &'a str, out: &mut TextBuilder) -> &'a str {
    // Entity names are short; bounding the search keeps a stray "&" from scanning far ahead.
    let semi = s.char_indices().take(12).find(|&(_, c)| c == ';').map(|(i, _)| i);
    let decoded = semi.and_then(|end| decode_entity(&s[1..end]).map(|c| (c, end)));
    match decoded {
        Some((c, end)) => {
            out.push_char(c);
            &s[end + 1..]
        }
        None => {
            out.push_char('&');
            &s[1..]
        }
    }
}

/// The character an entity body (between `&` and `;`) names.
fn decode_entity(body: &str) -> Option<char> {
    if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        // NUL and surrogates are not characters; keep the entity literal.
        return char::from_u32(code).filter(|&c| c != '\0');
    }
    Some(match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        // No-break spaces separate words like spaces; plain text has no use for the difference.
        "nbsp" => ' ',
        "eacute" => 'é',
        "Eacute" => 'É',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "aacute" => 'á',
        "agrave" => 'à',
        "acirc" => 'â',
        "auml" => 'ä',
        "iacute" => 'í',
        "iuml" => 'ï',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "ouml" => 'ö',
        "uacute" => 'ú',
        "ugrave" => 'ù',
        "uuml" => 'ü',
        "ntilde" => 'ñ',
        "ccedil" => 'ç',
        "szlig" => 'ß',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "deg" => '°',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "middot" => '·',
        "bull" => '•',
        "rarr" => '→',
        "larr" => '←',
        "uarr" => '↑',
        "darr" => '↓',
        "male" => '♂',
        "female" => '♀',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::shared_data;

    #[test]
    fn paragraphs_become_blank_lines() {
        assert_eq!(html_to_text("<p>One.</p> <p>Two.</p>"), "One.\n\nTwo.");
        assert_eq!(html_to_text("<p>One.</p>\n\n\n<p>Two.</p>\n"), "One.\n\nTwo.");
        assert_eq!(html_to_text("<h3>Other Options</h3> <p>Text</p>"), "Other Options\n\nText");
    }

    #[test]
    fn whitespace_collapses_within_paragraphs() {
        assert_eq!(html_to_text("  <p>  a \n\t b   <b>c</b>  </p>  "), "a b c");
        assert_eq!(html_to_text("a<i>b</i>c"), "abc");
    }

    #[test]
    fn line_breaks_and_lists() {
        assert_eq!(html_to_text("one<br>two<br/>three<BR />four"), "one\ntwo\nthree\nfour");
        assert_eq!(
            html_to_text("<p>Moves:</p><ul><li>Swords Dance</li><li> Sucker Punch </li></ul><p>End</p>"),
            "Moves:\n\n- Swords Dance\n- Sucker Punch\n\nEnd"
        );
    }

    #[test]
    fn named_and_numeric_entities() {
        assert_eq!(
            html_to_text("Pok&eacute;mon &amp; &lt;tags&gt; &quot;q&quot; &apos;a&apos;"),
            "Pokémon & <tags> \"q\" 'a'"
        );
        assert_eq!(html_to_text("a&nbsp;&nbsp;b"), "a b");
        assert_eq!(html_to_text("&#233;&#xE9;&#XE9; &#x1F;|&#65;"), "ééé \u{1f}|A");
        assert_eq!(html_to_text("Farfetch&rsquo;d &mdash; 50&times;"), "Farfetch’d — 50×");
    }

    #[test]
    fn unknown_or_broken_entities_stay_literal() {
        assert_eq!(html_to_text("AT&T &bogus; &#xZZ; &#0; & done"), "AT&T &bogus; &#xZZ; &#0; & done");
        assert_eq!(html_to_text("a &amp"), "a &amp");
        // A decoded "<" is text, never the start of a tag.
        assert_eq!(html_to_text("&lt;p&gt;"), "<p>");
    }

    #[test]
    fn attributes_comments_scripts_and_stray_brackets() {
        assert_eq!(html_to_text(r#"<a href="/x?a>b" title='>'>link</a>"#), "link");
        assert_eq!(html_to_text("a<!-- <p>hidden</p> -->b"), "ab");
        assert_eq!(
            html_to_text("<p>a</p><script>if (a < b) {}</script><style>p{}</style><p>b</p>"),
            "a\n\nb"
        );
        assert_eq!(html_to_text("1 < 2 and 3 <= 4"), "1 < 2 and 3 <= 4");
        assert_eq!(html_to_text("unterminated <b"), "unterminated <b");
        assert_eq!(html_to_text("<!DOCTYPE html><p>x</p>"), "x");
        assert_eq!(html_to_text(""), "");
    }

    /// The analyses' own markup (all of it is `<p>` and `<h3>`), checked against the real file.
    #[test]
    fn real_analysis_snippets() {
        let json: serde_json::Value =
            serde_json::from_str(&shared_data("pkmn-analyses/gen9ou.subset.json")).unwrap();

        let comments = html_to_text(json["Dragonite"]["comments"].as_str().unwrap());
        assert!(comments.starts_with("Other Options\n\nDespite the wide variety of mainstream options, "));
        assert!(comments.ends_with("to act as an emergency check to boosted foes."));
        assert_eq!(comments.matches("\n\n").count(), 1);

        let description =
            html_to_text(json["Venusaur"]["sets"]["Sun Sweeper"]["description"].as_str().unwrap());
        let paragraphs: Vec<&str> = description.split("\n\n").collect();
        assert_eq!(paragraphs.len(), 2);
        assert!(
            paragraphs[0].starts_with("Venusaur uses Chlorophyll and Growth to become a deadly sun sweeper")
        );
        assert!(paragraphs[1].starts_with("Since Venusaur requires sun to work"));
        assert!(paragraphs[1].ends_with("heal Venusaur thanks to Healing Wish."));

        let overview = html_to_text(json["Dragonite"]["overview"].as_str().unwrap());
        assert!(!overview.contains(['<', '>', '\n']));
        assert!(overview.contains("SV OU"));
    }
}
