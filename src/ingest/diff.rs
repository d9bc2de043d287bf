//! What an ingestion run must change in an index: the pure core of idempotence.
//!
//! Documents are identified by a stable key and fingerprinted by a content hash. Same key and
//! hash: nothing to do (no KV write, no re-embedding). New key or new hash: upsert. A key the
//! index holds but the new corpus lacks: delete (from KV, FTS and Vectorize alike).

use std::collections::{HashMap, HashSet};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Keys to write (new or changed), in input order.
    pub upserts: Vec<String>,
    /// Keys to remove, sorted.
    pub deletes: Vec<String>,
    pub unchanged: usize,
}

/// `existing`: key → hash in the index now; `incoming`: (key, hash) of the fresh corpus.
/// Duplicate incoming keys keep the last occurrence (a corpus should never produce them).
pub fn diff<'a>(
    existing: &HashMap<String, String>,
    incoming: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Changes {
    let mut changes = Changes::default();
    let mut seen = HashSet::new();
    let mut latest: Vec<(&str, &str)> = Vec::new();
    for (key, hash) in incoming {
        if seen.insert(key) {
            latest.push((key, hash));
        } else if let Some(slot) = latest.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = hash;
        }
    }
    for (key, hash) in latest {
        match existing.get(key) {
            Some(old) if old == hash => changes.unchanged += 1,
            _ => changes.upserts.push(key.to_owned()),
        }
    }
    changes.deletes = existing.keys().filter(|k| !seen.contains(k.as_str())).cloned().collect();
    changes.deletes.sort();
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, h)| ((*k).to_owned(), (*h).to_owned())).collect()
    }

    #[test]
    fn unchanged_new_changed_and_gone() {
        let existing = index(&[("a", "1"), ("b", "2"), ("gone", "3")]);
        let c = diff(&existing, [("a", "1"), ("b", "2x"), ("new", "4")]);
        assert_eq!(c.unchanged, 1);
        assert_eq!(c.upserts, ["b", "new"]);
        assert_eq!(c.deletes, ["gone"]);
    }

    #[test]
    fn second_run_of_the_same_corpus_changes_nothing() {
        let corpus = [("a", "1"), ("b", "2")];
        let first = diff(&HashMap::new(), corpus);
        assert_eq!(first.upserts.len(), 2);
        let c = diff(&index(&corpus), corpus);
        assert_eq!(c, Changes { upserts: vec![], deletes: vec![], unchanged: 2 });
    }

    #[test]
    fn an_empty_corpus_deletes_everything() {
        let c = diff(&index(&[("a", "1")]), std::iter::empty());
        assert_eq!(c.deletes, ["a"]);
    }
}
