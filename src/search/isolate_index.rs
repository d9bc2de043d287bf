//! An in-isolate, read-only copy of one format's lexical index that answers a search with the
//! same hits, in the same order, with the same scores as the index object's SQLite FTS5 — so a
//! question never asked before costs no round trip to the index object (issue #14).
//!
//! The index object stays the index of record: ingestion writes only there, it serves every
//! search while a copy loads, and it serves whatever a copy declines. A copy is built from the
//! object's snapshot (`/snapshot`, [`SnapshotRow`]) and reproduces exactly what
//! `IndexObject::search` asks SQLite for:
//! - the tokenizer `unicode61 remove_diacritics 2` for the characters it knows: ASCII, U+00A0 to
//!   U+017F (table generated from SQLite's own tokenizer, checked against it by
//!   tests/integration/isolate-index.test.mjs) and the General Punctuation separators. A document with
//!   any other character makes the copy refuse to build; a query with one is declined
//!   (`None`) and goes to the index object. Never a guess;
//! - the phrases of `fts_query::phrases`, OR-ed (or one phrase), matched per column;
//! - FTS5's `bm25()`: k1 = 1.2, b = 0.75, IDF `ln((N - n + 0.5) / (n + 0.5))` floored at 1e-6,
//!   per-column weights 0/4/1/2/1, a document's length = tokens of all its columns, the average
//!   over every row — the same float operations in the same order;
//! - the filters after scoring, `ORDER BY score DESC` (ties by rowid, FTS5's scan order) and the
//!   limit clamped to 1-100.
//!
//! Pure: no `worker` types. `edge/strategy_backend.rs` decides when a copy is current.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::fts_query;
use super::hit::{SearchHit, SearchRequest, MAX_POKEMON_IDS};

/// One row of the index object's snapshot: the FTS5 row as indexed (`rowid` and its four
/// indexed columns) and the document it describes (absent for an FTS5 row without one, which
/// still counts in BM25's statistics, as it does in SQLite's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SnapshotRow {
    pub(crate) rowid: i64,
    /// The FTS5 columns `pokemon`, `section`, `set_name`, `body`.
    pub(crate) fts_pokemon: String,
    pub(crate) fts_section: String,
    pub(crate) fts_set_name: String,
    pub(crate) body: String,
    /// Whether the row has a document (the inner join of `IndexObject::search`).
    pub(crate) listed: bool,
    pub(crate) key: String,
    pub(crate) pokemon_id: String,
    pub(crate) pokemon_name: String,
    pub(crate) format: String,
    pub(crate) section: String,
    pub(crate) set_name: Option<String>,
    pub(crate) source_url: String,
    pub(crate) data_month: Option<String>,
}

/// Why a snapshot cannot be copied exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Uncopyable {
    #[error("document {key} holds U+{code:04X}, a character the copy's tokenizer does not know")]
    UnknownCharacter { key: String, code: u32 },
}

/// FTS5 `bm25()` constants (sqlite/ext/fts5/fts5_aux.c).
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// `bm25(docs_fts, 0.0, 4.0, 1.0, 2.0, 1.0)`, without the unindexed `key` column.
const WEIGHTS: [f64; 4] = [4.0, 1.0, 2.0, 1.0];

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    column: u8,
    position: u32,
}

struct Doc {
    /// Tokens in all indexed columns (FTS5's `xColumnSize(-1)`).
    length: u32,
    /// The document's hit with score 0, `None` for a row without a document.
    hit: Option<SearchHit>,
}

/// One format's index, in memory. Build once, search many times.
pub(crate) struct IsolateIndex {
    /// In rowid order: a document's index is its rank in FTS5's scan order.
    docs: Vec<Doc>,
    /// Token → every occurrence, sorted by (doc, column, position).
    postings: HashMap<Box<str>, Vec<Posting>>,
    total_tokens: u64,
    /// Memory held, estimated: text, postings and their tokens (what the isolate's budget counts).
    bytes: usize,
}

impl IsolateIndex {
    /// The copy of `rows`, or why it cannot be exact.
    pub(crate) fn build(mut rows: Vec<SnapshotRow>) -> Result<Self, Uncopyable> {
        rows.sort_by_key(|r| r.rowid);
        let mut postings: HashMap<Box<str>, Vec<Posting>> = HashMap::new();
        let (mut docs, mut total_tokens, mut bytes) = (Vec::with_capacity(rows.len()), 0u64, 0usize);
        for (doc, row) in rows.into_iter().enumerate() {
            let doc = u32::try_from(doc).unwrap_or(u32::MAX);
            let mut length = 0u32;
            let columns = [&row.fts_pokemon, &row.fts_section, &row.fts_set_name, &row.body];
            for (column, text) in columns.into_iter().enumerate() {
                bytes += text.len();
                let tokens = tokenize(text)
                    .map_err(|code| Uncopyable::UnknownCharacter { key: row.key.clone(), code })?;
                for (position, token) in tokens.into_iter().enumerate() {
                    let posting = Posting { doc, column: column as u8, position: position as u32 };
                    postings.entry(token.into_boxed_str()).or_default().push(posting);
                    length += 1;
                }
            }
            total_tokens += u64::from(length);
            let hit = row.listed.then_some(SearchHit {
                key: row.key,
                pokemon_id: row.pokemon_id,
                pokemon_name: row.pokemon_name,
                format: row.format,
                section: row.section,
                set_name: row.set_name,
                source_url: row.source_url,
                data_month: row.data_month,
                score: 0.0,
                text: row.body,
            });
            docs.push(Doc { length, hit });
        }
        bytes += postings
            .iter()
            .map(|(token, list)| token.len() + 48 + list.len() * std::mem::size_of::<Posting>())
            .sum::<usize>();
        Ok(Self { docs, postings, total_tokens, bytes })
    }

    /// Rows held (documents and rows without one).
    pub(crate) fn rows(&self) -> usize {
        self.docs.len()
    }

    /// Memory held, estimated: its text, and its postings (12 bytes per token occurrence) and
    /// their tokens (a map entry each).
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// What `IndexObject::search` answers for `request`, or `None` when the query holds a
    /// character the copy does not know (ask the index object instead).
    pub(crate) fn search(&self, request: &SearchRequest) -> Option<Vec<SearchHit>> {
        let phrases = fts_query::phrases(&request.query, request.phrase);
        if phrases.is_empty() || self.docs.is_empty() {
            return Some(Vec::new());
        }
        let mut tokenized = Vec::with_capacity(phrases.len());
        for phrase in &phrases {
            let tokens = tokenize(phrase).ok()?;
            if tokens.is_empty() {
                return None;
            }
            tokenized.push(tokens);
        }
        let rows = self.docs.len() as f64;
        let average_length = self.total_tokens as f64 / rows;
        // Per phrase: the weighted frequency in each document that has it, and its IDF.
        let mut frequencies: HashMap<u32, Vec<f64>> = HashMap::new();
        let mut idfs = Vec::with_capacity(tokenized.len());
        for (i, tokens) in tokenized.iter().enumerate() {
            let mut documents = 0u64;
            let mut last_doc = None;
            for p in self.instances(tokens) {
                if last_doc != Some(p.doc) {
                    documents += 1;
                    last_doc = Some(p.doc);
                }
                frequencies.entry(p.doc).or_insert_with(|| vec![0.0; tokenized.len()])[i] +=
                    WEIGHTS[usize::from(p.column)];
            }
            let n = documents as f64;
            let idf = ((rows - n + 0.5) / (n + 0.5)).ln();
            idfs.push(if idf <= 0.0 { 1e-6 } else { idf });
        }
        let ids: Vec<&String> = request.pokemon_ids.iter().take(MAX_POKEMON_IDS).collect();
        let mut hits: Vec<(f64, u32, &SearchHit)> = frequencies
            .into_iter()
            .filter_map(|(doc, freq)| {
                let d = &self.docs[doc as usize];
                let hit = d.hit.as_ref()?;
                let keep = request.pokemon_id.as_ref().is_none_or(|p| *p == hit.pokemon_id)
                    && (ids.is_empty() || ids.contains(&&hit.pokemon_id))
                    && request.section.as_ref().is_none_or(|s| *s == hit.section);
                if !keep {
                    return None;
                }
                let length = f64::from(d.length);
                let mut score = 0.0;
                for (f, idf) in freq.iter().zip(&idfs) {
                    score += idf * ((f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * length / average_length)));
                }
                Some((score, doc, hit))
            })
            .collect();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        hits.truncate(request.limit.clamp(1, 100) as usize);
        Some(hits.into_iter().map(|(score, _, hit)| SearchHit { score, ..hit.clone() }).collect())
    }

    /// Every occurrence of the phrase `tokens` (its first token's posting), in (doc, column,
    /// position) order.
    fn instances<'a>(&'a self, tokens: &'a [String]) -> impl Iterator<Item = Posting> + 'a {
        let lists: Vec<&[Posting]> =
            tokens.iter().map(|t| self.postings.get(t.as_str()).map_or(&[][..], Vec::as_slice)).collect();
        let first = lists.first().copied().unwrap_or(&[]);
        first.iter().copied().filter(move |p| {
            lists.iter().enumerate().skip(1).all(|(i, list)| {
                let want = (p.doc, p.column, p.position + i as u32);
                list.binary_search_by(|q| (q.doc, q.column, q.position).cmp(&want)).is_ok()
            })
        })
    }
}

/// `text`'s tokens as `unicode61 remove_diacritics 2` makes them, or the first character it
/// does not know.
pub(crate) fn tokenize(text: &str) -> Result<Vec<String>, u32> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        match fold(c) {
            Fold::Token(t) => current.push_str(t),
            Fold::Ascii(a) => current.push(a),
            Fold::Separator => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            Fold::Unknown => return Err(u32::from(c)),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    Ok(tokens)
}

enum Fold {
    Ascii(char),
    Token(&'static str),
    Separator,
    Unknown,
}

fn fold(c: char) -> Fold {
    match c {
        'a'..='z' | '0'..='9' => Fold::Ascii(c),
        'A'..='Z' => Fold::Ascii(c.to_ascii_lowercase()),
        '\0'..='\x7f' => Fold::Separator,
        '\u{a0}'..='\u{17f}' => match LATIN[c as usize - 0xa0] {
            "" => Fold::Separator,
            folded => Fold::Token(folded),
        },
        // General Punctuation (spaces, dashes, quotes, bullets, invisible format characters):
        // all separators. Later code points of the block are not stable across SQLite versions.
        '\u{2000}'..='\u{205f}' => Fold::Separator,
        _ => Fold::Unknown,
    }
}

/// U+00A0..=U+017F as SQLite 3.40's `unicode61 remove_diacritics 2` tokenizes each one alone:
/// "" is a separator, anything else the token it becomes (lowercased, diacritics removed).
#[rustfmt::skip]
const LATIN: [&str; 0x180 - 0xa0] = [
    "", "", "", "", "", "", "", "", "", "", "ª", "", "", "", "", "",
    "", "", "²", "³", "", "μ", "", "", "", "¹", "º", "", "¼", "½", "¾", "",
    "a", "a", "a", "a", "a", "a", "æ", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "ð", "n", "o", "o", "o", "o", "o", "", "ø", "u", "u", "u", "u", "y", "þ", "ß",
    "a", "a", "a", "a", "a", "a", "æ", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "ð", "n", "o", "o", "o", "o", "o", "", "ø", "u", "u", "u", "u", "y", "þ", "y",
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "đ", "đ", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    "g", "g", "g", "g", "h", "h", "ħ", "ħ", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "ı", "ĳ", "ĳ", "j", "j", "k", "k", "ĸ", "l", "l", "l", "l", "l", "l", "ŀ",
    "ŀ", "ł", "ł", "n", "n", "n", "n", "n", "n", "ŉ", "ŋ", "ŋ", "o", "o", "o", "o",
    "o", "o", "œ", "œ", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "s", "s", "t", "t", "t", "t", "ŧ", "ŧ", "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
];

#[cfg(test)]
mod tests;

/// After this long a copy is refreshed even if the dataset version did not move (a safety net:
/// every change to an index should move it). The copy keeps serving while its successor loads.
pub(crate) const MAX_COPY_AGE_MS: i64 = 5 * 60 * 1000;
/// A failed or refused load is not retried for this long.
pub(crate) const RETRY_AFTER_MS: i64 = 30 * 1000;
/// A load that has not reported after this long is presumed lost (its isolate's request ended).
pub(crate) const LOAD_TIMEOUT_MS: i64 = 30 * 1000;

/// At most one load starts per this long in an isolate, and one at a time, whatever the format:
/// questions cycling through more formats than the budget holds cannot turn every question into
/// a snapshot read (those questions go to the index objects instead).
pub(crate) const MIN_LOAD_INTERVAL_MS: i64 = 1000;

/// What [`IsolateIndexes::lookup`] tells the caller to do.
pub(crate) enum Lookup {
    /// Search this copy.
    Use(std::rc::Rc<IsolateIndex>),
    /// Ask the index object, and start loading a copy (the caller has been registered as the
    /// loader; report with [`IsolateIndexes::loaded`]).
    AskAndLoad,
    /// Search this copy, and load its successor (it is older than [`MAX_COPY_AGE_MS`]).
    UseAndLoad(std::rc::Rc<IsolateIndex>),
    /// Ask the index object; a copy is loading, or cannot be made for now.
    Ask,
}

enum Slot {
    Ready { version: String, copy: std::rc::Rc<IsolateIndex>, built_ms: i64, used_ms: i64 },
    Loading { started_ms: i64, previous: Option<Box<Slot>> },
    Refused { version: String, until_ms: i64 },
}

/// An isolate's copies, one per format, under a byte budget (least recently used evicted). A
/// copy serves only under the dataset version it was loaded under, and for at most
/// [`MAX_COPY_AGE_MS`].
pub(crate) struct IsolateIndexes {
    budget_bytes: usize,
    slots: HashMap<String, Slot>,
    last_load_ms: Option<i64>,
}

impl IsolateIndexes {
    pub(crate) fn new(budget_bytes: usize) -> Self {
        Self { budget_bytes, slots: HashMap::new(), last_load_ms: None }
    }

    /// Whether a load may start now ([`MIN_LOAD_INTERVAL_MS`]); if so, it is counted as started.
    fn start_load(&mut self, now_ms: i64) -> bool {
        let in_flight = self
            .slots
            .values()
            .any(|s| matches!(s, Slot::Loading { started_ms, .. } if now_ms - *started_ms < LOAD_TIMEOUT_MS));
        let rested = self.last_load_ms.is_none_or(|t| now_ms - t >= MIN_LOAD_INTERVAL_MS || now_ms < t);
        if in_flight || !rested {
            return false;
        }
        self.last_load_ms = Some(now_ms);
        true
    }

    pub(crate) fn set_budget(&mut self, budget_bytes: usize) {
        self.budget_bytes = budget_bytes;
    }

    pub(crate) fn lookup(&mut self, format: &str, version: &str, now_ms: i64) -> Lookup {
        enum Found {
            Fresh(std::rc::Rc<IsolateIndex>),
            Old(std::rc::Rc<IsolateIndex>),
            Waiting(Option<std::rc::Rc<IsolateIndex>>),
            Nothing,
        }
        if self.budget_bytes == 0 {
            self.slots.clear();
            return Lookup::Ask;
        }
        let found = match self.slots.get_mut(format) {
            Some(Slot::Ready { version: v, copy, built_ms, used_ms }) if v == version => {
                *used_ms = now_ms;
                match now_ms - *built_ms < MAX_COPY_AGE_MS && now_ms >= *built_ms {
                    true => Found::Fresh(copy.clone()),
                    false => Found::Old(copy.clone()),
                }
            }
            Some(Slot::Loading { started_ms, previous }) if now_ms - *started_ms < LOAD_TIMEOUT_MS => {
                Found::Waiting(match previous.as_deref() {
                    Some(Slot::Ready { version: v, copy, .. }) if v == version => Some(copy.clone()),
                    _ => None,
                })
            }
            Some(Slot::Refused { version: v, until_ms }) if v == version && now_ms < *until_ms => {
                Found::Waiting(None)
            }
            _ => Found::Nothing,
        };
        match found {
            Found::Fresh(copy) | Found::Waiting(Some(copy)) => Lookup::Use(copy),
            Found::Waiting(None) => Lookup::Ask,
            // Old: refresh in the background, serving this copy meanwhile.
            Found::Old(copy) if self.start_load(now_ms) => {
                let previous = self.slots.remove(format).map(Box::new);
                self.slots.insert(format.to_owned(), Slot::Loading { started_ms: now_ms, previous });
                Lookup::UseAndLoad(copy)
            }
            Found::Old(copy) => Lookup::Use(copy),
            Found::Nothing if self.start_load(now_ms) => {
                self.slots.insert(format.to_owned(), Slot::Loading { started_ms: now_ms, previous: None });
                Lookup::AskAndLoad
            }
            Found::Nothing => Lookup::Ask,
        }
    }

    /// Whether [`lookup`](Self::lookup) would answer [`Lookup::Use`] or [`Lookup::UseAndLoad`]
    /// (changes nothing).
    pub(crate) fn is_current(&self, format: &str, version: &str, now_ms: i64) -> bool {
        if self.budget_bytes == 0 {
            return false;
        }
        match self.slots.get(format) {
            Some(Slot::Ready { version: v, .. }) => v == version,
            Some(Slot::Loading { started_ms, previous }) if now_ms - *started_ms < LOAD_TIMEOUT_MS => {
                matches!(previous.as_deref(), Some(Slot::Ready { version: v, .. }) if v == version)
            }
            _ => false,
        }
    }

    /// A load started by [`Lookup::AskAndLoad`] finished: keep the copy (evicting others to fit
    /// the budget) or remember the refusal.
    pub(crate) fn loaded(
        &mut self,
        format: &str,
        version: &str,
        now_ms: i64,
        copy: Result<IsolateIndex, String>,
    ) {
        let copy = match copy {
            Ok(copy) if copy.bytes() <= self.budget_bytes => copy,
            _ => {
                let slot = Slot::Refused { version: version.to_owned(), until_ms: now_ms + RETRY_AFTER_MS };
                self.slots.insert(format.to_owned(), slot);
                return;
            }
        };
        self.slots.remove(format);
        while self.held_bytes() + copy.bytes() > self.budget_bytes {
            let oldest = self
                .slots
                .iter()
                .filter_map(|(f, s)| match s {
                    Slot::Ready { used_ms, .. } => Some((*used_ms, f.clone())),
                    _ => None,
                })
                .min();
            let Some((_, evicted)) = oldest else { break };
            self.slots.remove(&evicted);
        }
        let copy = std::rc::Rc::new(copy);
        let slot = Slot::Ready { version: version.to_owned(), copy, built_ms: now_ms, used_ms: now_ms };
        self.slots.insert(format.to_owned(), slot);
    }

    /// Bytes of text the ready copies hold.
    pub(crate) fn held_bytes(&self) -> usize {
        self.slots
            .values()
            .map(|s| match s {
                Slot::Ready { copy, .. } => copy.bytes(),
                _ => 0,
            })
            .sum()
    }
}
