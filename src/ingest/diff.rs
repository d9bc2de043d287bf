//! What an ingestion run must change in an index: the pure core of idempotence.
//!
//! Documents are identified by a stable key and fingerprinted by a content hash. New key or new
//! hash: upsert (KV body, FTS row, vector). A key the index holds but the new corpus lacks:
//! delete (from KV, FTS and Vectorize alike). Same key and hash: the content is unchanged and is
//! not rewritten, but two kinds of upkeep can still be due — neither counts as a content change:
//!
//! - **refresh**: KV expires a body `DOCUMENT_TTL_SECS` after its last write, and nothing else
//!   ever rewrites an unchanged document, so a body last written more than
//!   `KV_REFRESH_AFTER_MS` ago is put again (a fresh TTL). No re-embedding, no FTS change.
//! - **re-embed**: where semantic search is bound, a document with no current vector (Workers AI
//!   or Vectorize failed when it was written, or its row predates vector tracking) gets one; a
//!   rebuild (`reembed_all`, after recreating the Vectorize index) re-makes every vector made
//!   before the run started.
//!
//! Both are judged against the run's start (`as_of_ms`), and a step stamps what it writes with a
//! later time, so a run never refreshes or re-embeds the same document twice: steps are
//! recomputed from the diff and always make progress.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// KV documents expire unless rewritten within this time (the plan's 180-day TTL).
pub(crate) const DOCUMENT_TTL_SECS: u64 = 180 * 24 * 3600;
/// Unchanged documents whose KV body is older than this are rewritten. A third of the TTL: daily
/// runs refresh each body long before it expires, and ingestion may stop for four months before
/// anything is lost.
pub(crate) const KV_REFRESH_AFTER_MS: i64 = 60 * 24 * 3600 * 1000;
const _: () = assert!(KV_REFRESH_AFTER_MS < DOCUMENT_TTL_SECS as i64 * 1000 / 2);

/// What the index holds for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Indexed {
    pub hash: String,
    /// When its KV body was last written (ms).
    pub written_at_ms: i64,
    /// When its vector was last written; `None`: no vector is known to exist.
    pub embedded_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// The run's start: ages are measured from it, and what the run writes is stamped later.
    pub as_of_ms: i64,
    /// KV bodies written longer ago than this are refreshed (`KV_REFRESH_AFTER_MS`).
    pub refresh_after_ms: i64,
    /// Vectors can be made (Workers AI and Vectorize bound, and not failing in this run).
    pub semantic: bool,
    /// Re-make every vector made before `as_of_ms`, not only missing ones.
    pub reembed_all: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// Keys to write (new or changed), in input order.
    pub upserts: Vec<String>,
    /// Keys to remove, sorted.
    pub deletes: Vec<String>,
    /// Unchanged keys whose KV body is due for a rewrite, in input order.
    pub refreshes: Vec<String>,
    /// Unchanged keys whose vector must be (re)made, in input order.
    pub reembeds: Vec<String>,
    /// Keys whose content is unchanged, including those refreshed or re-embedded.
    pub unchanged: usize,
}

/// `existing`: what the index holds now; `incoming`: (key, hash) of the fresh corpus.
/// Duplicate incoming keys keep the last occurrence (a corpus should never produce them).
pub(crate) fn diff<'a>(
    existing: &HashMap<String, Indexed>,
    incoming: impl IntoIterator<Item = (&'a str, &'a str)>,
    policy: &Policy,
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
    let refresh_before = policy.as_of_ms.saturating_sub(policy.refresh_after_ms);
    for (key, hash) in latest {
        match existing.get(key) {
            Some(old) if old.hash == hash => {
                changes.unchanged += 1;
                if old.written_at_ms < refresh_before {
                    changes.refreshes.push(key.to_owned());
                }
                let vector_due = match old.embedded_at_ms {
                    None => true,
                    Some(t) => policy.reembed_all && t < policy.as_of_ms,
                };
                if policy.semantic && vector_due {
                    changes.reembeds.push(key.to_owned());
                }
            }
            _ => changes.upserts.push(key.to_owned()),
        }
    }
    changes.deletes = existing.keys().filter(|k| !seen.contains(k.as_str())).cloned().collect();
    changes.deletes.sort();
    changes
}

/// The part of `Changes` one bounded step applies.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Step {
    pub upserts: Vec<String>,
    pub deletes: Vec<String>,
    pub refreshes: Vec<String>,
    pub reembeds: Vec<String>,
    /// Nothing is left for later steps.
    pub done: bool,
}

impl Changes {
    /// At most `budget` operations (a document both refreshed and re-embedded counts twice):
    /// content changes first, then deletes, then refreshes (an expiring body is a loss), then
    /// re-embeds.
    pub(crate) fn step(&self, budget: usize) -> Step {
        let mut left = budget;
        let mut take = |keys: &[String]| {
            let taken: Vec<String> = keys.iter().take(left).cloned().collect();
            left -= taken.len();
            taken
        };
        let step = Step {
            upserts: take(&self.upserts),
            deletes: take(&self.deletes),
            refreshes: take(&self.refreshes),
            reembeds: take(&self.reembeds),
            done: false,
        };
        let done = step.upserts.len() == self.upserts.len()
            && step.deletes.len() == self.deletes.len()
            && step.refreshes.len() == self.refreshes.len()
            && step.reembeds.len() == self.reembeds.len();
        Step { done, ..step }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    /// A run starting on day 100, semantic search unbound.
    const LOCAL: Policy = Policy {
        as_of_ms: 100 * DAY,
        refresh_after_ms: KV_REFRESH_AFTER_MS,
        semantic: false,
        reembed_all: false,
    };
    const CLOUD: Policy = Policy { semantic: true, ..LOCAL };

    fn entry(hash: &str, written_day: i64, embedded_day: Option<i64>) -> Indexed {
        Indexed {
            hash: hash.into(),
            written_at_ms: written_day * DAY,
            embedded_at_ms: embedded_day.map(|d| d * DAY),
        }
    }

    /// Written on day 99 and embedded then: nothing due.
    fn index(pairs: &[(&str, &str)]) -> HashMap<String, Indexed> {
        pairs.iter().map(|(k, h)| ((*k).to_owned(), entry(h, 99, Some(99)))).collect()
    }

    #[test]
    fn unchanged_new_changed_and_gone() {
        let existing = index(&[("a", "1"), ("b", "2"), ("gone", "3")]);
        let c = diff(&existing, [("a", "1"), ("b", "2x"), ("new", "4")], &CLOUD);
        assert_eq!(c.unchanged, 1);
        assert_eq!(c.upserts, ["b", "new"]);
        assert_eq!(c.deletes, ["gone"]);
        assert!(c.refreshes.is_empty() && c.reembeds.is_empty());
    }

    #[test]
    fn second_run_of_the_same_corpus_changes_nothing() {
        let corpus = [("a", "1"), ("b", "2")];
        let first = diff(&HashMap::new(), corpus, &CLOUD);
        assert_eq!(first.upserts.len(), 2);
        let c = diff(&index(&corpus), corpus, &CLOUD);
        assert_eq!(c, Changes { unchanged: 2, ..Changes::default() });
    }

    #[test]
    fn an_empty_corpus_deletes_everything() {
        let c = diff(&index(&[("a", "1")]), std::iter::empty(), &LOCAL);
        assert_eq!(c.deletes, ["a"]);
    }

    #[test]
    fn bodies_older_than_the_refresh_age_are_refreshed_not_rewritten() {
        // Day 100: written on day 39 (61 days ago) is due; day 41 (59 days ago) is not.
        let existing: HashMap<String, Indexed> = [
            ("old".to_owned(), entry("1", 39, Some(39))),
            ("recent".to_owned(), entry("2", 41, Some(41))),
            ("old-changed".to_owned(), entry("3", 10, Some(10))),
        ]
        .into();
        let c = diff(&existing, [("old", "1"), ("recent", "2"), ("old-changed", "3x")], &LOCAL);
        assert_eq!(c.refreshes, ["old"]);
        assert_eq!(c.upserts, ["old-changed"], "a changed document is an upsert, not a refresh");
        assert_eq!(c.unchanged, 2, "a refresh is not a content change");
        assert!(c.reembeds.is_empty(), "a refresh never re-embeds");
    }

    #[test]
    fn the_refresh_age_leaves_most_of_the_ttl_for_missed_runs() {
        // The bug this guards against: bodies written once were never rewritten, so they expired
        // 180 days later however many runs saw them unchanged.
        let ttl_ms = DOCUMENT_TTL_SECS as i64 * 1000;
        let written = entry("1", 0, Some(0));
        let due = |day: i64| {
            let policy = Policy { as_of_ms: day * DAY, ..LOCAL };
            let existing: HashMap<String, Indexed> = [("a".to_owned(), written.clone())].into();
            !diff(&existing, [("a", "1")], &policy).refreshes.is_empty()
        };
        let first_due = (0..=180).find(|&d| due(d)).expect("refreshed before it expires");
        assert_eq!(first_due, KV_REFRESH_AFTER_MS / DAY + 1);
        assert!(first_due * DAY * 2 < ttl_ms);
    }

    #[test]
    fn a_refreshed_body_is_not_refreshed_again_in_the_same_run() {
        // Refreshing with an age of zero (every body written before the run) must still end:
        // the step stamps the rewrite after the run's start.
        let policy = Policy { refresh_after_ms: 0, ..LOCAL };
        let mut existing: HashMap<String, Indexed> = [("a".to_owned(), entry("1", 99, None))].into();
        assert_eq!(diff(&existing, [("a", "1")], &policy).refreshes, ["a"]);
        existing.get_mut("a").unwrap().written_at_ms = policy.as_of_ms + 5;
        assert!(diff(&existing, [("a", "1")], &policy).refreshes.is_empty());
    }

    #[test]
    fn missing_vectors_are_made_only_where_semantic_search_is_bound() {
        let existing: HashMap<String, Indexed> =
            [("no-vector".to_owned(), entry("1", 99, None)), ("vector".to_owned(), entry("2", 99, Some(99)))]
                .into();
        let corpus = [("no-vector", "1"), ("vector", "2")];
        let local = diff(&existing, corpus, &LOCAL);
        assert_eq!(local, Changes { unchanged: 2, ..Changes::default() }, "unbound: nothing to do");
        let cloud = diff(&existing, corpus, &CLOUD);
        assert_eq!(cloud.reembeds, ["no-vector"]);
        assert!(cloud.upserts.is_empty() && cloud.refreshes.is_empty());
        assert_eq!(cloud.unchanged, 2);
    }

    #[test]
    fn a_rebuild_remakes_every_vector_made_before_the_run() {
        let rebuild = Policy { reembed_all: true, ..CLOUD };
        let existing: HashMap<String, Indexed> = [
            ("old".to_owned(), entry("1", 99, Some(99))),
            ("none".to_owned(), entry("2", 99, None)),
            // Already re-made by an earlier step of this run.
            (
                "done".to_owned(),
                Indexed { embedded_at_ms: Some(rebuild.as_of_ms + 1), ..entry("3", 99, None) },
            ),
        ]
        .into();
        let corpus = [("old", "1"), ("none", "2"), ("done", "3")];
        assert_eq!(diff(&existing, corpus, &rebuild).reembeds, ["old", "none"]);
        let unbound = Policy { semantic: false, ..rebuild };
        assert!(diff(&existing, corpus, &unbound).reembeds.is_empty());
    }

    #[test]
    fn steps_are_bounded_and_ordered_by_priority() {
        let keys = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
        let changes = Changes {
            upserts: keys("u", 150),
            deletes: keys("d", 30),
            refreshes: keys("r", 40),
            reembeds: keys("e", 500),
            unchanged: 540,
        };
        let step = changes.step(200);
        assert_eq!(
            (step.upserts.len(), step.deletes.len(), step.refreshes.len(), step.reembeds.len()),
            (150, 30, 20, 0)
        );
        assert!(!step.done);
        let small = Changes { reembeds: keys("e", 3), refreshes: keys("r", 2), ..Changes::default() };
        let all = small.step(200);
        assert!(all.done);
        assert_eq!((all.refreshes.len(), all.reembeds.len()), (2, 3));
        assert!(Changes::default().step(200).done);
    }
}
