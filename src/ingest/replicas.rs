//! Read replicas of a format's search index: the same rows in `n` index objects, so searches
//! spread over `n` objects instead of queueing on one (a Durable Object serves one request at a
//! time; one format's index object capped cold `query_strategy` near 100 questions/s).
//!
//! [`Replicated`] makes several index stores look like one to [`super::step`]:
//! - **writes** go to every replica (concurrently); the step fails, and is retried by the next
//!   alarm, if any replica failed — applying a batch twice is harmless (rows are replaced whole);
//! - **reads** for the diff return the view every replica agrees on: a document some replica
//!   lacks or holds with another hash is reported with an empty hash, so the diff upserts it
//!   again — to all. A replica that missed a batch, or a newly added one, is repaired by the
//!   next run (the cost: those documents' KV bodies are rewritten and, in the cloud, re-embedded
//!   once).
//!
//! Consistency: replicas converge within one step. Between a step's writes to different
//! replicas (milliseconds) two searches can see different versions of a document; the next
//! dataset version bump (end of run) changes every cache key anyway.

use std::collections::HashMap;

use super::diff::Indexed;
use super::step::{ApplyBatch, IndexStore, StoreFailure};

/// The Durable Object name of replica `n` of `format`'s index: replica 0 keeps the format's own
/// name, so the primary is the index object that existed before replicas did.
pub(crate) fn replica_name(format: &str, n: usize) -> String {
    if n == 0 {
        format.to_owned()
    } else {
        format!("{format}#replica{n}")
    }
}

/// Which replica serves a search, from a uniform random number in `[0, 1)`.
pub(crate) fn pick_replica(replicas: usize, random: f64) -> usize {
    let n = replicas.max(1);
    ((random.clamp(0.0, 1.0) * n as f64) as usize).min(n - 1)
}

/// Every replica of one format's index as one store (see the module docs).
pub(crate) struct Replicated<'a, S>(pub &'a [S]);

impl<S: IndexStore> IndexStore for Replicated<'_, S> {
    async fn entries(&self) -> Result<HashMap<String, Indexed>, StoreFailure> {
        let views = futures::future::join_all(self.0.iter().map(super::step::IndexStore::entries)).await;
        let views: Vec<HashMap<String, Indexed>> = views.into_iter().collect::<Result<_, _>>()?;
        let Some((primary, others)) = views.split_first() else { return Ok(HashMap::new()) };
        let mut agreed = primary.clone();
        for other in others {
            for (key, row) in agreed.iter_mut() {
                if other.get(key).is_none_or(|o| o.hash != row.hash) {
                    row.hash.clear();
                }
            }
            for key in other.keys().filter(|k| !primary.contains_key(*k)) {
                agreed.insert(
                    key.clone(),
                    Indexed { hash: String::new(), written_at_ms: 0, embedded_at_ms: None },
                );
            }
        }
        Ok(agreed)
    }

    async fn apply(&self, batch: &ApplyBatch) -> Result<(), StoreFailure> {
        let applied = futures::future::join_all(self.0.iter().map(|s| s.apply(batch))).await;
        let failed: Vec<String> = applied
            .into_iter()
            .enumerate()
            .filter_map(|(n, r)| r.err().map(|e| format!("replica {n}: {e}")))
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(StoreFailure::Index(failed.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use futures::executor::block_on;

    use super::*;

    #[derive(Default)]
    struct Rows {
        rows: RefCell<HashMap<String, Indexed>>,
        fail: Cell<bool>,
    }

    impl IndexStore for Rows {
        async fn entries(&self) -> Result<HashMap<String, Indexed>, StoreFailure> {
            Ok(self.rows.borrow().clone())
        }
        async fn apply(&self, batch: &ApplyBatch) -> Result<(), StoreFailure> {
            if self.fail.get() {
                return Err(StoreFailure::Index("down".into()));
            }
            let mut rows = self.rows.borrow_mut();
            for key in &batch.deletes {
                rows.remove(key);
            }
            for d in &batch.upserts {
                let row = Indexed {
                    hash: d.content_hash.clone(),
                    written_at_ms: batch.at_ms,
                    embedded_at_ms: None,
                };
                rows.insert(d.key.clone(), row);
            }
            Ok(())
        }
    }

    fn row(hash: &str) -> Indexed {
        Indexed { hash: hash.into(), written_at_ms: 5, embedded_at_ms: Some(5) }
    }

    #[test]
    fn the_diff_sees_what_every_replica_agrees_on() {
        let stores: Vec<Rows> = (0..3).map(|_| Rows::default()).collect();
        for s in &stores {
            s.rows.borrow_mut().insert("a".into(), row("1"));
        }
        stores[0].rows.borrow_mut().insert("b".into(), row("2"));
        stores[1].rows.borrow_mut().insert("b".into(), row("old"));
        stores[2].rows.borrow_mut().insert("b".into(), row("2"));
        stores[2].rows.borrow_mut().insert("stray".into(), row("9"));
        let view = block_on(Replicated(&stores).entries()).unwrap();
        assert_eq!(view["a"], row("1"), "agreed: the primary's row");
        assert_eq!(view["b"].hash, "", "one replica is behind: upsert it again");
        assert_eq!(view["b"].embedded_at_ms, Some(5));
        assert_eq!(view["stray"].hash, "", "only a replica has it: the diff deletes it");
        assert_eq!(view.len(), 3);
    }

    #[test]
    fn a_batch_reaches_every_replica_or_the_step_fails() {
        let stores: Vec<Rows> = (0..2).map(|_| Rows::default()).collect();
        let mut doc: crate::corpus::Document = serde_json::from_value(serde_json::json!({
            "key": "k", "pokemonId": "p", "pokemonName": "P", "format": "gen9ou", "generation": 9,
            "section": "usage", "setName": null, "sourceUrl": "u", "dataMonth": null, "cutoff": null,
            "text": "t", "contentHash": "h"
        }))
        .unwrap();
        doc.content_hash = "h".into();
        let batch = ApplyBatch { upserts: vec![doc], at_ms: 7, ..Default::default() };
        stores[1].fail.set(true);
        let err = block_on(Replicated(&stores).apply(&batch)).unwrap_err();
        assert!(matches!(&err, StoreFailure::Index(m) if m.contains("replica 1")), "{err}");
        assert_eq!(block_on(Replicated(&stores).entries()).unwrap()["k"].hash, "", "not agreed yet");
        stores[1].fail.set(false);
        block_on(Replicated(&stores).apply(&batch)).unwrap();
        assert_eq!(block_on(Replicated(&stores).entries()).unwrap()["k"].hash, "h");
    }

    #[test]
    fn names_and_picks() {
        assert_eq!(replica_name("gen9ou", 0), "gen9ou");
        assert_eq!(replica_name("gen9ou", 3), "gen9ou#replica3");
        assert_eq!(pick_replica(4, 0.0), 0);
        assert_eq!(pick_replica(4, 0.999), 3);
        assert_eq!(pick_replica(4, 1.0), 3);
        assert_eq!(pick_replica(0, 0.5), 0);
        assert_eq!(pick_replica(1, f64::NAN), 0);
    }
}
