//! Raw user text → a safe SQLite FTS5 MATCH expression.
//!
//! User text never reaches FTS5 as syntax: `"`, `NEAR(`, `-`, `*`, `:` and column filters would
//! be operators (or errors). Text is split into words of letters and digits, each word becomes a
//! quoted string, and the words are OR-ed so BM25 ranks documents by how many (and how rare) of
//! them they contain.

/// Words kept at most (a 1000-character query must not become a 500-term MATCH).
const MAX_TERMS: usize = 24;

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "best", "by", "can", "do", "does", "for", "from", "good",
    "how", "i", "in", "is", "it", "its", "me", "my", "of", "on", "or", "should", "the", "this", "to", "use",
    "what", "when", "which", "who", "why", "with", "you",
];

/// The MATCH expression for `text`, or `None` when it has no searchable word.
pub fn any_terms(text: &str) -> Option<String> {
    match_expression(&phrases(text, false))
}

/// The MATCH expression for `text` as one phrase (its words in order), or `None`.
pub fn phrase(text: &str) -> Option<String> {
    match_expression(&phrases(text, true))
}

/// The phrases a search for `text` OR-s together, in order: each kept word, or (`as_phrase`) all
/// words as one. The index object quotes them into a MATCH expression; the in-isolate copy
/// (`search::isolate_index`) matches the same list, so both search for exactly the same thing.
pub(crate) fn phrases(text: &str, as_phrase: bool) -> Vec<String> {
    if as_phrase {
        let terms = words_with_stopwords(text);
        if terms.is_empty() {
            Vec::new()
        } else {
            vec![terms.join(" ")]
        }
    } else {
        words(text)
    }
}

fn match_expression(phrases: &[String]) -> Option<String> {
    (!phrases.is_empty()).then(|| phrases.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(" OR "))
}

/// The first [`MAX_TERMS`] distinct words that are not stopwords. Stopwords are skipped before
/// counting, so any number of them cannot hide the words after them.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in split_words(text) {
        if out.len() == MAX_TERMS {
            break;
        }
        if !STOPWORDS.contains(&w.as_str()) && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

fn words_with_stopwords(text: &str) -> Vec<String> {
    split_words(text).take(MAX_TERMS * 4).collect()
}

fn split_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_become_plain_words() {
        assert_eq!(
            any_terms("Kingambit NEAR(sets) -\"tera\" *").as_deref(),
            Some("\"kingambit\" OR \"near\" OR \"sets\" OR \"tera\"")
        );
        assert_eq!(any_terms("title:foo OR bar").as_deref(), Some("\"title\" OR \"foo\" OR \"bar\""));
        assert_eq!(any_terms("\"\" -- ** ()"), None);
        assert_eq!(any_terms("what is the best"), None, "only stopwords");
        assert_eq!(phrase("Swords Dance + Sucker Punch").as_deref(), Some("\"swords dance sucker punch\""));
    }

    #[test]
    fn unicode_and_limits() {
        assert_eq!(
            any_terms("Flabébé's Fairy-type").as_deref(),
            Some("\"flabébé\" OR \"s\" OR \"fairy\" OR \"type\"")
        );
        let long = "word ".repeat(1000) + &(0..100).map(|i| format!("w{i} ")).collect::<String>();
        assert!(any_terms(&long).unwrap().matches(" OR ").count() < MAX_TERMS);
    }

    #[test]
    fn many_stopwords_do_not_hide_the_words_after_them() {
        // Found by tests/fuzz (fts): the word cap used to apply before stopwords were dropped.
        let text = format!("{}b", "the a of ".repeat(32));
        assert_eq!(any_terms(&text).as_deref(), Some("\"b\""));
        let text = format!("{}kingambit", "what is the best ".repeat(200));
        assert_eq!(any_terms(&text).as_deref(), Some("\"kingambit\""));
    }
}
