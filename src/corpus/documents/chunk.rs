//! Document text within [`MAX_TEXT_BYTES`]: split into numbered parts at the coarsest boundary
//! that fits (paragraphs, lines, words, characters).

use super::MAX_TEXT_BYTES;

/// `header\n\nbody`, or parts `header (part i/n)\n\nchunk` each within [`MAX_TEXT_BYTES`].
pub(super) fn split_text(header: &str, body: &str) -> Vec<String> {
    let whole = format!("{header}\n\n{body}");
    if whole.len() <= MAX_TEXT_BYTES {
        return vec![whole];
    }
    // Room for " (part 99/99)" and the blank line; a header near the limit still leaves some.
    let budget = MAX_TEXT_BYTES.saturating_sub(header.len() + 16).max(MAX_TEXT_BYTES / 4);
    let chunks = chunk(body, budget, &["\n\n", "\n", " "]);
    let n = chunks.len();
    chunks.into_iter().enumerate().map(|(i, c)| format!("{header} (part {}/{n})\n\n{c}", i + 1)).collect()
}

/// Packs `text` into chunks of at most `budget` bytes, breaking at the coarsest separator that
/// works (paragraphs, then lines, then words, then characters).
pub(super) fn chunk(text: &str, budget: usize, separators: &[&str]) -> Vec<String> {
    if text.len() <= budget {
        return vec![text.to_owned()];
    }
    let Some((sep, finer)) = separators.split_first() else { return hard_split(text, budget) };
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in text.split(sep) {
        if piece.len() > budget {
            // Too big on its own: split it finer; its last chunk may still take what follows.
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            let mut pieces = chunk(piece, budget, finer);
            current = pieces.pop().unwrap_or_default();
            out.extend(pieces);
        } else if current.is_empty() {
            piece.clone_into(&mut current);
        } else if current.len() + sep.len() + piece.len() <= budget {
            current.push_str(sep);
            current.push_str(piece);
        } else {
            out.push(std::mem::replace(&mut current, piece.to_owned()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Splits at character boundaries into pieces of at most `budget` bytes.
fn hard_split(text: &str, budget: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if current.len() + c.len_utf8() > budget {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
