//! One bounded step of ingesting a format, over abstract stores: the edge (`IngestObject`)
//! supplies KV, the format's `IndexObject` and Workers AI + Vectorize; tests supply memory and
//! the contract fakes of `ingest::vectors`.
//!
//! A step diffs the format's documents against the index (`ingest::diff`), refuses the whole
//! format when the diff deletes more than the allowed share of its documents (`ingest::guard`),
//! else applies at most `MAX_CHANGES_PER_STEP` operations of the result, and reports whether the
//! format is done. Order
//! within a step: KV bodies (written and refreshed), then vectors, then the index, then KV
//! deletes — a search hit must always find its body.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::alert::RunReport;
use super::diff::{diff, Indexed, Policy};
use super::guard;
use super::vectors::{self, Embedder, FakeVectorize, FakeWorkersAi, VectorDoc, VectorIndex};
use crate::corpus::Document;

/// Operations per step (KV writes and deletes, re-embeds): well inside Workers' subrequest limit
/// per invocation.
pub(crate) const MAX_CHANGES_PER_STEP: usize = 200;

/// A batch of index changes, applied by the index in one synchronous transaction.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplyBatch {
    /// New or changed documents: replaced whole.
    pub upserts: Vec<Document>,
    pub deletes: Vec<String>,
    /// Unchanged documents whose KV body was rewritten: their write time becomes `at_ms`.
    #[serde(default)]
    pub refreshed: Vec<String>,
    /// Documents (upserted or not) whose vector was written: their vector time becomes `at_ms`.
    /// Upserts not listed have no vector.
    #[serde(default)]
    pub embedded: Vec<String>,
    /// The ingestion's clock, stamped on every row touched: the diff compares these stamps with
    /// the run's start, so they must come from the same clock (0: the index's own).
    #[serde(default)]
    pub at_ms: i64,
}

/// A store a step writes could not do its part. The step stops there; the next step (or run)
/// recomputes from the diff, so the failure loses nothing. The message is the store's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StoreFailure {
    /// The document bodies (KV).
    #[error("{0}")]
    Documents(String),
    /// The lexical index (the format's index objects; with replicas, each failing one named).
    #[error("{0}")]
    Index(String),
}

#[allow(async_fn_in_trait)]
pub(crate) trait DocStore {
    /// Writes a document body with the document TTL (`diff::DOCUMENT_TTL_SECS`).
    async fn put(&self, doc: &Document) -> Result<(), StoreFailure>;
    async fn delete(&self, key: &str) -> Result<(), StoreFailure>;
}

#[allow(async_fn_in_trait)]
pub(crate) trait IndexStore {
    async fn entries(&self) -> Result<HashMap<String, Indexed>, StoreFailure>;
    async fn apply(&self, batch: &ApplyBatch) -> Result<(), StoreFailure>;
}

/// The semantic path, where Workers AI and Vectorize are bound.
pub(crate) struct Semantic<'a, E, V> {
    pub embedder: &'a E,
    pub index: &'a V,
}

/// No semantic path (locally): the type parameters are placeholders.
pub(crate) fn unbound() -> Option<Semantic<'static, FakeWorkersAi, FakeVectorize>> {
    None
}

/// Progress through the current format, persisted between steps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FormatProgress {
    /// Documents written by earlier steps: later diffs see them as unchanged, and must not count
    /// them so.
    pub written: u32,
    /// A step's vectors failed: re-embedding stops for the rest of the format (it would retry the
    /// same documents forever). Content changes still try; what fails is repaired next run.
    pub vectors_failed: bool,
}

pub(crate) struct StepInput<'a> {
    pub format: &'a str,
    pub documents: &'a [Document],
    /// The run's start (`diff::Policy::as_of_ms`).
    pub as_of_ms: i64,
    /// Now, on the same clock: stamped on what this step writes; never before `as_of_ms`.
    pub now_ms: i64,
    pub refresh_after_ms: i64,
    pub reembed_all: bool,
    pub budget: usize,
    /// The largest share of the format's indexed documents the run may delete
    /// (`INGEST_MAX_DELETE_SHARE`); `None`: an operator allowed a mass delete.
    pub max_delete_share: Option<f64>,
}

/// What a step left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepOutcome {
    /// More steps are needed.
    More,
    /// The format is fully applied.
    Done,
    /// The format's diff would delete too much: nothing was applied, the refusal is in the report.
    Refused,
}

/// One step of `input.format`. Store failures end the step with `Err` (the caller records it
/// and moves on); vector failures are recorded in `report` and the step goes on, lexical search
/// being the baseline.
pub(crate) async fn step<E: Embedder, V: VectorIndex>(
    input: &StepInput<'_>,
    kv: &impl DocStore,
    index: &impl IndexStore,
    semantic: Option<Semantic<'_, E, V>>,
    progress: &mut FormatProgress,
    report: &mut RunReport,
) -> Result<StepOutcome, StoreFailure> {
    let existing = index.entries().await?;
    let policy = Policy {
        as_of_ms: input.as_of_ms,
        refresh_after_ms: input.refresh_after_ms,
        semantic: semantic.is_some() && !progress.vectors_failed,
        reembed_all: input.reembed_all,
    };
    let changes =
        diff(&existing, input.documents.iter().map(|d| (d.key.as_str(), d.content_hash.as_str())), &policy);
    if let Some(max_share) = input.max_delete_share {
        if let Err(refused) = guard::mass_delete(existing.len(), changes.deletes.len(), max_share, false) {
            report.refuse(refused.message(input.format));
            return Ok(StepOutcome::Refused);
        }
    }
    let step = changes.step(input.budget);

    let by_key: HashMap<&str, &Document> = input.documents.iter().map(|d| (d.key.as_str(), d)).collect();
    let docs = |keys: &[String]| -> Vec<&Document> {
        keys.iter().filter_map(|k| by_key.get(k.as_str()).copied()).collect()
    };
    let (upserts, refreshes, reembeds) = (docs(&step.upserts), docs(&step.refreshes), docs(&step.reembeds));

    for d in upserts.iter().chain(&refreshes) {
        kv.put(d).await?;
    }
    let mut embedded: Vec<String> = Vec::new();
    if let Some(s) = semantic {
        let to_embed: Vec<VectorDoc> = upserts.iter().chain(&reembeds).map(|d| vector_doc(d)).collect();
        if !to_embed.is_empty() || !step.deletes.is_empty() {
            match vectors::sync(s.embedder, s.index, &to_embed, &step.deletes).await {
                Ok(n) => {
                    report.embeddings_generated += n;
                    report.documents_reembedded += reembeds.len() as u32;
                    embedded = to_embed.into_iter().map(|d| d.key).collect();
                }
                Err(e) => {
                    report.record_error(format!("{}: vectors: {e}", input.format));
                    progress.vectors_failed = true;
                }
            }
        }
    }
    let batch = ApplyBatch {
        upserts: upserts.iter().map(|d| (*d).clone()).collect(),
        deletes: step.deletes,
        refreshed: step.refreshes,
        embedded,
        at_ms: input.now_ms,
    };
    index.apply(&batch).await?;
    for key in &batch.deletes {
        kv.delete(key).await?;
    }

    report.documents_written += batch.upserts.len() as u32;
    report.documents_deleted += batch.deletes.len() as u32;
    report.documents_refreshed += batch.refreshed.len() as u32;
    if step.done {
        report.documents_unchanged += (changes.unchanged as u32).saturating_sub(progress.written);
        let pokemon: HashSet<&str> = input.documents.iter().map(|d| d.pokemon_id.as_str()).collect();
        report.pokemon_processed += pokemon.len() as u32;
    }
    progress.written += batch.upserts.len() as u32;
    Ok(if step.done { StepOutcome::Done } else { StepOutcome::More })
}

fn vector_doc(d: &Document) -> VectorDoc {
    VectorDoc {
        key: d.key.clone(),
        text: d.text.clone(),
        pokemon_id: d.pokemon_id.clone(),
        format: d.format.clone(),
        section: d.section.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use futures::executor::block_on;

    use super::*;
    use crate::corpus::documents::Section;
    use crate::ingest::diff::{DOCUMENT_TTL_SECS, KV_REFRESH_AFTER_MS};
    use crate::ingest::vectors::vector_id;

    const DAY: i64 = 86_400_000;

    fn doc(i: usize, version: &str) -> Document {
        Document {
            key: format!("doc:v1:gen9ou:mon{i}:set:{i}"),
            pokemon_id: format!("mon{}", i / 2),
            pokemon_name: format!("Mon{}", i / 2),
            format: "gen9ou".into(),
            generation: 9,
            section: Section::Set,
            set_name: Some(format!("Set {i}")),
            source_url: "https://www.smogon.com/dex/sv/pokemon/x/".into(),
            data_month: None,
            cutoff: None,
            text: format!("set {i} {version}"),
            content_hash: format!("{i}-{version}"),
        }
    }

    fn corpus(n: usize) -> Vec<Document> {
        (0..n).map(|i| doc(i, "v1")).collect()
    }

    /// KV: bodies with their expiry, on a clock the test moves.
    #[derive(Default)]
    struct MemoryKv {
        now_ms: Cell<i64>,
        bodies: RefCell<HashMap<String, i64>>,
        puts: Cell<usize>,
    }

    impl MemoryKv {
        /// Keys still readable at `at_ms`.
        fn live(&self, at_ms: i64) -> usize {
            self.bodies.borrow().values().filter(|&&expires| expires > at_ms).count()
        }
    }

    impl DocStore for MemoryKv {
        async fn put(&self, doc: &Document) -> Result<(), StoreFailure> {
            self.puts.set(self.puts.get() + 1);
            let expires = self.now_ms.get() + DOCUMENT_TTL_SECS as i64 * 1000;
            self.bodies.borrow_mut().insert(doc.key.clone(), expires);
            Ok(())
        }

        async fn delete(&self, key: &str) -> Result<(), StoreFailure> {
            self.bodies.borrow_mut().remove(key);
            Ok(())
        }
    }

    /// The index object's row semantics (`edge::index_object::apply`) over a map.
    #[derive(Default)]
    struct MemoryIndex {
        rows: RefCell<HashMap<String, Indexed>>,
    }

    impl IndexStore for MemoryIndex {
        async fn entries(&self) -> Result<HashMap<String, Indexed>, StoreFailure> {
            Ok(self.rows.borrow().clone())
        }

        async fn apply(&self, batch: &ApplyBatch) -> Result<(), StoreFailure> {
            let mut rows = self.rows.borrow_mut();
            for key in &batch.deletes {
                rows.remove(key);
            }
            for d in &batch.upserts {
                let embedded = batch.embedded.contains(&d.key).then_some(batch.at_ms);
                let row = Indexed {
                    hash: d.content_hash.clone(),
                    written_at_ms: batch.at_ms,
                    embedded_at_ms: embedded,
                };
                rows.insert(d.key.clone(), row);
            }
            for key in &batch.refreshed {
                rows.get_mut(key)
                    .ok_or(StoreFailure::Index("refreshed a missing row".into()))?
                    .written_at_ms = batch.at_ms;
            }
            for key in &batch.embedded {
                rows.get_mut(key)
                    .ok_or(StoreFailure::Index("embedded a missing row".into()))?
                    .embedded_at_ms = Some(batch.at_ms);
            }
            Ok(())
        }
    }

    struct World {
        kv: MemoryKv,
        index: MemoryIndex,
        ai: FakeWorkersAi,
        vz: FakeVectorize,
        /// `StepInput::max_delete_share` of the next runs (`None`: unguarded).
        max_delete_share: Cell<Option<f64>>,
    }

    impl World {
        fn new() -> Self {
            Self {
                kv: MemoryKv::default(),
                index: MemoryIndex::default(),
                ai: FakeWorkersAi::default(),
                vz: FakeVectorize::default(),
                max_delete_share: Cell::new(None),
            }
        }

        /// A whole run of `documents` starting on `day`, as the ingest object drives it: steps
        /// until done, each stamped a moment later. Returns the report and the step count.
        fn run(
            &self,
            documents: &[Document],
            day: i64,
            bound: bool,
            reembed_all: bool,
        ) -> (RunReport, usize) {
            let (mut report, mut progress) = (RunReport::default(), FormatProgress::default());
            let as_of_ms = day * DAY;
            for n in 1..=50 {
                let now_ms = as_of_ms + n as i64;
                self.kv.now_ms.set(now_ms);
                let input = StepInput {
                    format: "gen9ou",
                    documents,
                    as_of_ms,
                    now_ms,
                    refresh_after_ms: KV_REFRESH_AFTER_MS,
                    reembed_all,
                    budget: MAX_CHANGES_PER_STEP,
                    max_delete_share: self.max_delete_share.get(),
                };
                let semantic = Semantic { embedder: &self.ai, index: &self.vz };
                let done = if bound {
                    block_on(step(&input, &self.kv, &self.index, Some(semantic), &mut progress, &mut report))
                } else {
                    block_on(step(&input, &self.kv, &self.index, unbound(), &mut progress, &mut report))
                }
                .unwrap();
                if done != StepOutcome::More {
                    return (report, n);
                }
            }
            panic!("the run did not finish in 50 steps");
        }

        fn with_vector(&self) -> usize {
            self.index.rows.borrow().values().filter(|r| r.embedded_at_ms.is_some()).count()
        }
    }

    #[test]
    fn a_large_format_is_written_in_bounded_steps_and_counted_once() {
        let w = World::new();
        let docs = corpus(450);
        let (r, steps) = w.run(&docs, 0, true, false);
        assert_eq!(steps, 3);
        assert_eq!((r.documents_written, r.documents_unchanged, r.documents_refreshed), (450, 0, 0));
        assert_eq!((r.embeddings_generated, r.documents_reembedded, r.pokemon_processed), (450, 0, 225));
        assert_eq!(w.vz.vectors.borrow().len(), 450);
        let (again, _) = w.run(&docs, 1, true, false);
        assert_eq!(
            (again.documents_written, again.documents_unchanged, again.embeddings_generated),
            (0, 450, 0)
        );
    }

    #[test]
    fn unchanged_documents_stay_in_kv_as_long_as_runs_continue() {
        // Before: a body written once expired 180 days later, whatever the runs in between.
        let w = World::new();
        let docs = corpus(10);
        w.run(&docs, 0, false, false);
        for day in 1..=400 {
            let (r, _) = w.run(&docs, day, false, false);
            assert_eq!(r.documents_written, 0, "day {day}");
            assert_eq!(r.documents_unchanged, 10);
            assert_eq!(w.kv.live(day * DAY + DAY), 10, "day {day}: a body expired");
        }
        // Refreshed every ~61 days, not every day.
        assert!(w.kv.puts.get() <= 10 + 10 * 7, "{} KV writes", w.kv.puts.get());
    }

    #[test]
    fn a_refresh_rewrites_kv_only() {
        let w = World::new();
        let docs = corpus(5);
        w.run(&docs, 0, true, false);
        let (puts, embed_calls) = (w.kv.puts.get(), w.ai.calls.borrow().len());
        let (r, _) = w.run(&docs, 61, true, false);
        assert_eq!((r.documents_refreshed, r.documents_written, r.documents_unchanged), (5, 0, 5));
        assert_eq!(w.kv.puts.get(), puts + 5);
        assert_eq!((r.embeddings_generated, w.ai.calls.borrow().len()), (0, embed_calls), "no re-embedding");
        let (next, _) = w.run(&docs, 62, true, false);
        assert_eq!(next.documents_refreshed, 0);
    }

    #[test]
    fn documents_ingested_during_an_outage_get_vectors_on_a_later_run() {
        let w = World::new();
        let docs = corpus(30);
        w.ai.down.set(true);
        let (outage, _) = w.run(&docs, 0, true, false);
        assert_eq!(outage.documents_written, 30);
        assert_eq!(outage.errors, 1);
        assert!(outage.error_samples[0].starts_with("gen9ou: vectors: "));
        assert_eq!((w.with_vector(), w.vz.vectors.borrow().len()), (0, 0));

        w.ai.down.set(false);
        let puts = w.kv.puts.get();
        let (repair, _) = w.run(&docs, 1, true, false);
        assert_eq!((repair.documents_written, repair.documents_unchanged), (0, 30), "not a content change");
        assert_eq!((repair.documents_reembedded, repair.embeddings_generated, repair.errors), (30, 30, 0));
        assert_eq!(w.kv.puts.get(), puts, "KV untouched");
        assert_eq!((w.with_vector(), w.vz.vectors.borrow().len()), (30, 30));

        let (after, _) = w.run(&docs, 2, true, false);
        assert_eq!((after.documents_reembedded, after.embeddings_generated), (0, 0));
    }

    #[test]
    fn without_semantic_search_nothing_is_reembedded_or_counted() {
        let w = World::new();
        let docs = corpus(8);
        w.run(&docs, 0, false, false);
        assert_eq!(w.with_vector(), 0);
        for reembed_all in [false, true] {
            let (r, steps) = w.run(&docs, 1, false, reembed_all);
            assert_eq!(steps, 1);
            assert_eq!(
                (r.documents_written, r.documents_reembedded, r.embeddings_generated, r.errors),
                (0, 0, 0, 0)
            );
        }
    }

    #[test]
    fn a_rebuild_reembeds_everything_in_bounded_steps_without_rewriting_content() {
        let mut w = World::new();
        let docs = corpus(450);
        w.run(&docs, 0, true, false);
        w.vz = FakeVectorize::default(); // the Vectorize index deleted and recreated
        w.ai.calls.borrow_mut().clear();
        let puts = w.kv.puts.get();

        let (plain, _) = w.run(&docs, 1, true, false);
        assert_eq!(plain.documents_reembedded, 0, "the index's hashes alone cannot see the loss");

        let (rebuild, steps) = w.run(&docs, 1, true, true);
        assert_eq!(steps, 3, "≤ {MAX_CHANGES_PER_STEP} per step");
        assert_eq!((rebuild.documents_reembedded, rebuild.embeddings_generated), (450, 450));
        assert_eq!((rebuild.documents_written, rebuild.documents_unchanged, rebuild.errors), (0, 450, 0));
        assert_eq!(w.kv.puts.get(), puts, "no KV rewrites");
        assert!(w.ai.calls.borrow().iter().all(|&n| n <= 100));
        let vectors = w.vz.vectors.borrow();
        assert_eq!(vectors.len(), 450);
        assert!(docs.iter().all(|d| vectors.contains_key(&vector_id(&d.key))));
    }

    #[test]
    fn a_vector_outage_during_a_rebuild_ends_the_format_instead_of_looping() {
        let w = World::new();
        let docs = corpus(450);
        w.run(&docs, 0, true, false);
        w.ai.down.set(true);
        let (r, steps) = w.run(&docs, 1, true, true);
        assert_eq!(steps, 2, "the failed step, then one that finds nothing left to try");
        assert_eq!((r.errors, r.documents_reembedded), (1, 0));
        assert_eq!(w.with_vector(), 450, "the old vectors stay marked");
    }

    #[test]
    fn changed_documents_and_deletions_keep_their_vectors_in_step() {
        let w = World::new();
        let mut docs = corpus(4);
        w.run(&docs, 0, true, false);
        docs[0] = doc(0, "v2");
        let gone = docs.pop().unwrap();
        let (r, _) = w.run(&docs, 1, true, false);
        assert_eq!((r.documents_written, r.documents_deleted, r.documents_unchanged), (1, 1, 2));
        assert_eq!(r.documents_reembedded, 0);
        assert!(!w.vz.vectors.borrow().contains_key(&vector_id(&gone.key)));
        assert_eq!(w.with_vector(), 3);
    }

    #[test]
    fn a_mass_delete_is_refused_before_anything_is_applied_then_accepted_with_the_override() {
        let w = World::new();
        let docs = corpus(450);
        w.max_delete_share.set(Some(0.2));
        w.run(&docs, 0, true, false);
        let (puts, vectors) = (w.kv.puts.get(), w.vz.vectors.borrow().len());

        // Upstream lost most of the format, and one survivor changed.
        let mut shrunk: Vec<Document> = docs[..100].to_vec();
        shrunk[0] = doc(0, "v2");
        let (refused, steps) = w.run(&shrunk, 1, true, false);
        assert_eq!(steps, 1);
        assert_eq!((refused.documents_written, refused.documents_deleted, refused.errors), (0, 0, 0));
        assert_eq!(
            refused.refusals,
            vec!["gen9ou: refused to delete 350 of 450 documents (78% > 20%); nothing of the format was changed; \
                  rerun with allowMassDelete to accept"
                .to_owned()]
        );
        assert_eq!(refused.notes, refused.refusals);
        assert!(refused.needs_alert(u32::MAX));
        assert_eq!(w.index.rows.borrow().len(), 450, "the index is untouched");
        assert_eq!(w.index.rows.borrow()["doc:v1:gen9ou:mon0:set:0"].hash, "0-v1", "not even the change");
        assert_eq!((w.kv.puts.get(), w.kv.live(DAY), w.vz.vectors.borrow().len()), (puts, 450, vectors));

        // A share within the limit goes through: 90 of 450 is exactly 20%.
        let (small, _) = w.run(&docs[..360], 2, true, false);
        assert_eq!((small.documents_deleted, small.refusals.len()), (90, 0));
        let _ = w.run(&docs, 3, true, false);

        // The override: the same shrink is accepted, in bounded steps.
        w.max_delete_share.set(None);
        let (accepted, steps) = w.run(&shrunk, 4, true, false);
        assert_eq!((accepted.documents_deleted, accepted.documents_written), (350, 1));
        assert!(accepted.refusals.is_empty());
        assert_eq!(steps, 2, "351 operations, ≤ {MAX_CHANGES_PER_STEP} per step");
        assert_eq!(
            (w.index.rows.borrow().len(), w.kv.live(5 * DAY), w.vz.vectors.borrow().len()),
            (100, 100, 100)
        );
    }

    #[test]
    fn an_empty_corpus_never_empties_a_guarded_format() {
        let w = World::new();
        w.max_delete_share.set(Some(0.2));
        w.run(&corpus(30), 0, false, false);
        let (r, _) = w.run(&[], 1, false, false);
        assert_eq!((r.documents_deleted, r.refusals.len()), (0, 1));
        assert_eq!(w.index.rows.borrow().len(), 30);
        // A new format has nothing to lose.
        let fresh = World::new();
        fresh.max_delete_share.set(Some(0.0));
        let (first, _) = fresh.run(&corpus(3), 0, false, false);
        assert_eq!((first.documents_written, first.refusals.len()), (3, 0));
    }
}
