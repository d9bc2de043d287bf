//! `IngestObject` (a singleton): runs corpus ingestion as a resumable sequence of small steps.
//!
//! A run is a list of formats. In an upstream run, a format's first alarm fetches its raw files
//! once (`RawSource::fetch_candidates`: size cap, timeout, vetted against the last good version;
//! what passes is stored as a candidate). Each further alarm processes one bounded step — build
//! the format's documents (from its candidates, else the last good raw files), then the pure
//! `ingest::step`: diff them against the format's index, refuse the format if the diff deletes too
//! much (`ingest::guard::mass_delete`), else apply at most `MAX_CHANGES_PER_STEP` operations to
//! KV, Vectorize and the FTS index — then persists progress (rmp-serde) and re-arms. The first
//! accepted step promotes the candidates to last good; a refused format discards them. A crash
//! or eviction resumes from the last persisted step: the diff is recomputed, so nothing is
//! written twice.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::clock::now_ms;
use super::convert;
use super::faults::{FakeSemantic, IngestFaults};
use super::raw_source::{analyses_key, sets_key, Candidate, RawSource, SourceMode, StatsRefresh};
use super::sql_slots::StateSlots;
use crate::corpus::Document;
use crate::ingest::alert::{LastRun, RunReport, DEFAULT_ERROR_THRESHOLD};
use crate::ingest::diff::{Indexed, DOCUMENT_TTL_SECS, KV_REFRESH_AFTER_MS};
use crate::ingest::guard;
use crate::ingest::months;
use crate::ingest::replicas::{replica_name, Replicated};
use crate::ingest::step::{
    self, unbound, ApplyBatch, DocStore, FormatProgress, IndexStore, Semantic, StepInput, StepOutcome,
    StoreFailure, MAX_CHANGES_PER_STEP,
};
use crate::ingest::vectors::{FakeVectorize, FakeWorkersAi};

/// KV key holding the dataset version; tools cache by it, so a finished run invalidates caches.
pub(super) const DATASET_VERSION_KEY: &str = "meta:dataset-version";
/// KV key holding the last successful run (`LastRun`): `/health` measures freshness from it, as
/// document writes stop when upstream stops changing.
pub(super) const LAST_INGEST_KEY: &str = "meta:last-ingest";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StartRequest {
    /// Formats to ingest; default: the raw cache's formats (cache mode) or INGEST_FORMATS.
    #[serde(default)]
    pub formats: Option<Vec<String>>,
    #[serde(default = "default_mode")]
    pub source: SourceMode,
    /// Upstream runs: fetch a month's statistics too — `stats_month` if given, else
    /// `STATS_MONTH` if set, else the newest month upstream lists; otherwise the newest cached
    /// statistics are used.
    #[serde(default)]
    pub refresh_stats: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_month: Option<String>,
    /// Skip formats that already hold that month (the daily cron: retries only what is missing).
    #[serde(default)]
    pub only_new_stats: bool,
    #[serde(default = "default_trigger")]
    pub trigger: String,
    /// Re-make the vectors of every document of the formats, changed or not (after recreating
    /// the Vectorize index); content that did not change is not rewritten.
    #[serde(default)]
    pub reembed: bool,
    /// An operator's explicit override for the named `formats` (required with it): accept
    /// deleting more than `INGEST_MAX_DELETE_SHARE` of a format's documents, and an upstream
    /// file with far fewer species or bytes than the last good one. Never set by the cron.
    #[serde(default)]
    pub allow_mass_delete: bool,
    /// Local test runs only (`edge::faults`); ignored elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<IngestFaults>,
}

impl Default for StartRequest {
    fn default() -> Self {
        Self {
            formats: None,
            source: default_mode(),
            refresh_stats: false,
            stats_month: None,
            only_new_stats: false,
            trigger: default_trigger(),
            reembed: false,
            allow_mass_delete: false,
            faults: None,
        }
    }
}

fn default_mode() -> SourceMode {
    SourceMode::Cache
}

fn default_trigger() -> String {
    "admin".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RunStatus {
    Running,
    Finished,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RunState {
    pub id: String,
    pub request: StartRequest,
    pub formats: Vec<String>,
    /// Index of the format being processed.
    pub next: usize,
    pub steps: u32,
    pub status: RunStatus,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub unknown_species: Vec<String>,
    /// Progress through the current format.
    #[serde(default)]
    pub progress: FormatProgress,
    /// Upstream runs: the current format's files were fetched (once per run).
    #[serde(default)]
    pub fetched: bool,
    /// The current format's vetted upstream files, not yet promoted to last good.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// The statistics month this run refreshes (decided when it starts; plain fields, not a
    /// struct: every type rmp-serde decodes adds its own decoder to the wasm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_month: Option<String>,
    #[serde(default)]
    pub stats_only_new: bool,
    pub report: RunReport,
}

#[durable_object]
pub struct IngestObject {
    state: State,
    env: Env,
    slots: StateSlots<RunState>,
}

impl DurableObject for IngestObject {
    fn new(state: State, env: Env) -> Self {
        super::logging::init();
        let slots = StateSlots::new(state.storage().sql(), "runs");
        if let Err(e) = slots.migrate() {
            tracing::error!(error = %e, "ingest schema migration failed");
        }
        Self { state, env, slots }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.enter()?;
        match req.path().as_str() {
            "/start" => {
                let request: StartRequest = req.json().await?;
                if let Err(e) = guard::check_override(request.allow_mass_delete, request.formats.as_deref()) {
                    return Response::error(e, 400);
                }
                if let Some(run) = self.slots.load("current")? {
                    return Ok(Response::from_json(&run)?.with_status(409));
                }
                let run = self.create(request).await?;
                Ok(Response::from_json(&run)?.with_status(202))
            }
            "/resume" => match self.slots.load("current")? {
                Some(run) => {
                    self.state.storage().set_alarm(convert::alarm_at(now_ms())).await?;
                    Ok(Response::from_json(&run)?.with_status(202))
                }
                None => Response::error("no run in progress", 404),
            },
            "/state" => Response::from_json(&serde_json::json!({
                "current": self.slots.load("current")?,
                "last": self.slots.load("last")?,
            })),
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.enter()?;
        let Some(mut run) = self.slots.load("current")? else { return Response::empty() };
        match run.formats.get(run.next).cloned() {
            Some(format) => {
                let outcome = if run.request.source == SourceMode::Upstream && !run.fetched {
                    self.fetch_raw(&mut run, &format).await
                } else {
                    self.step(&mut run, &format).await
                };
                let finished_format = match outcome {
                    Ok(StepOutcome::More) => false,
                    Ok(StepOutcome::Done | StepOutcome::Refused) => true,
                    Err(e) => {
                        run.report.record_error(format!("{format}: {e}"));
                        true
                    }
                };
                if finished_format {
                    if !run.candidates.is_empty() {
                        // Refused or failed before its first step: the last good files stay.
                        let source = RawSource::new(&self.env)?;
                        if let Err(e) = source.discard(&run.candidates).await {
                            tracing::error!(error = %e, format = %format, "discarding candidates failed");
                        }
                    }
                    run.next += 1;
                    run.progress = FormatProgress::default();
                    run.fetched = false;
                    run.candidates.clear();
                }
                run.steps += 1;
                self.slots.save("current", &run)?;
                self.state.storage().set_alarm(convert::alarm_at(now_ms() + 1)).await?;
            }
            None => self.finish(run).await?,
        }
        Response::empty()
    }
}

impl IngestObject {
    /// What every entry point (fetch, alarm) does first: the telemetry scope, the Pokédex table.
    fn enter(&self) -> Result<()> {
        super::telemetry::enter_object(
            &self.state,
            super::telemetry::sentry_config(&self.env),
            "IngestObject",
            None,
        );
        super::dex_table::ensure()
    }

    async fn create(&self, request: StartRequest) -> Result<RunState> {
        let formats = match &request.formats {
            Some(f) => f.clone(),
            None => self.default_formats(request.source).await?,
        };
        let mut run = RunState {
            id: format!("run-{}", now_ms()),
            formats,
            request,
            next: 0,
            steps: 0,
            status: RunStatus::Running,
            started_at_ms: now_ms(),
            finished_at_ms: None,
            unknown_species: Vec::new(),
            progress: FormatProgress::default(),
            fetched: false,
            candidates: Vec::new(),
            stats_month: None,
            stats_only_new: false,
            report: RunReport::default(),
        };
        if run.request.source == SourceMode::Upstream && run.request.refresh_stats {
            if let Some(stats) = self.stats_refresh(&run.request, &mut run.report).await? {
                run.stats_month = Some(stats.month);
                run.stats_only_new = stats.only_new;
            }
        }
        if run.request.reembed
            && self.faults(&run).semantic.is_none()
            && super::vectors::bindings(&self.env).is_none()
        {
            run.report
                .note("re-embedding was requested, but Workers AI / Vectorize are not bound here".into());
        }
        self.slots.save("current", &run)?;
        self.state.storage().set_alarm(convert::alarm_at(now_ms())).await?;
        tracing::info!(run = %run.id, formats = run.formats.len(), "ingestion started");
        Ok(run)
    }

    /// Which month a statistics refresh fetches (`ingest::months::month_to_ingest`); `None`,
    /// with a note, when none is given or configured and the upstream listing cannot be read.
    async fn stats_refresh(
        &self,
        request: &StartRequest,
        report: &mut RunReport,
    ) -> Result<Option<StatsRefresh>> {
        let only_new = request.only_new_stats;
        let given =
            request.stats_month.clone().or_else(|| self.env.var("STATS_MONTH").ok().map(|v| v.to_string()));
        if let Some(month) = months::month_to_ingest(given.as_deref(), &[]) {
            return Ok(Some(StatsRefresh { month, only_new }));
        }
        match RawSource::new(&self.env)?.listed_months().await {
            Ok(listed) => match months::month_to_ingest(None, &listed) {
                Some(month) => Ok(Some(StatsRefresh { month, only_new })),
                None => {
                    report.record_error("usage statistics: the upstream index lists no month".into());
                    Ok(None)
                }
            },
            Err(e) => {
                report.record_error(format!(
                    "usage statistics: the upstream index is unreadable ({e}); statistics not refreshed"
                ));
                Ok(None)
            }
        }
    }

    /// Cache mode: every format whose sets are cached. Upstream: the INGEST_FORMATS var.
    async fn default_formats(&self, mode: SourceMode) -> Result<Vec<String>> {
        if mode == SourceMode::Upstream {
            let list = self.env.var("INGEST_FORMATS").map(|v| v.to_string()).unwrap_or_default();
            return Ok(list.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect());
        }
        let listed = self.env.bucket("RAW_CACHE")?.list().prefix("sets/").execute().await?;
        Ok(listed
            .objects()
            .iter()
            .filter_map(|o| o.key().strip_prefix("sets/")?.strip_suffix(".json").map(str::to_owned))
            .collect())
    }

    /// Upstream runs, once per format: fetch and vet its raw files into candidates.
    async fn fetch_raw(&self, run: &mut RunState, format: &str) -> Result<StepOutcome> {
        let source = RawSource::new(&self.env)?;
        let allow = run.request.allow_mass_delete;
        let stats = run.stats_month.clone().map(|month| StatsRefresh { month, only_new: run.stats_only_new });
        run.candidates = source.fetch_candidates(format, stats.as_ref(), allow, &mut run.report).await?;
        run.fetched = true;
        Ok(StepOutcome::More)
    }

    /// One bounded step of `format`.
    async fn step(&self, run: &mut RunState, format: &str) -> Result<StepOutcome> {
        let source = RawSource::new(&self.env)?;
        let documents = self.build(&source, run, format).await?;
        let namespace = self.env.durable_object("INDEXES")?;
        let stubs = (0..super::index_object::replicas(&self.env))
            .map(|n| Ok(IndexStub(namespace.id_from_name(&replica_name(format, n))?.get_stub()?)))
            .collect::<Result<Vec<IndexStub>>>()?;
        let index = Replicated(&stubs);
        let kv = KvDocs(self.env.kv("STRATEGY_KV")?);
        let faults = self.faults(run);
        let input = StepInput {
            format,
            documents: &documents,
            as_of_ms: run.started_at_ms,
            // Stamps must not precede the run's start (the diff relies on it).
            now_ms: now_ms().max(run.started_at_ms),
            refresh_after_ms: faults.refresh_after_ms.unwrap_or(KV_REFRESH_AFTER_MS),
            reembed_all: run.request.reembed,
            budget: MAX_CHANGES_PER_STEP,
            max_delete_share: (!run.request.allow_mass_delete).then_some(source.limits().max_delete_share),
        };
        let (progress, report) = (&mut run.progress, &mut run.report);
        let done = match (faults.semantic, super::vectors::bindings(&self.env)) {
            (Some(fake), _) => {
                let (ai, vz) = (FakeWorkersAi::default(), FakeVectorize::default());
                ai.down.set(fake == FakeSemantic::Down);
                let semantic = Some(Semantic { embedder: &ai, index: &vz });
                step::step(&input, &kv, &index, semantic, progress, report).await
            }
            (None, Some((ai, vz))) => {
                let semantic = Some(Semantic { embedder: &ai, index: &vz });
                step::step(&input, &kv, &index, semantic, progress, report).await
            }
            (None, None) => step::step(&input, &kv, &index, unbound(), progress, report).await,
        };
        let outcome = done.map_err(|e| worker::Error::RustError(e.to_string()))?;
        if outcome != StepOutcome::Refused && !run.candidates.is_empty() {
            // The format's diff was accepted: its new files become the last good ones.
            source.promote(&run.candidates).await?;
            run.candidates.clear();
        }
        Ok(outcome)
    }

    fn faults(&self, run: &RunState) -> IngestFaults {
        let environment = self.env.var("ENVIRONMENT").map(|v| v.to_string()).unwrap_or_default();
        IngestFaults::effective(run.request.faults, &environment)
    }

    /// The format's documents from its candidates where there are some, else the last good files.
    async fn build(&self, source: &RawSource<'_>, run: &mut RunState, format: &str) -> Result<Vec<Document>> {
        let read = |key: String| {
            let pending = run.candidates.iter().find(|c| c.key == key);
            let key = pending.map_or(key, Candidate::storage_key);
            async move { source.get(&key).await }
        };
        let sets = read(sets_key(format))
            .await?
            .ok_or_else(|| worker::Error::RustError(format!("no sets for {format}")))?;
        let analyses = read(analyses_key(format)).await?;
        let stats = source.newest_stats(format, run.candidates.iter().find(|c| c.entry.is_some())).await?;
        let corpus = super::corpus_input::build(format, &sets, analyses.as_deref(), stats)
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        for species in corpus.unknown_species {
            let tagged = format!("{format}:{species}");
            if !run.unknown_species.contains(&tagged) {
                run.unknown_species.push(tagged);
            }
        }
        Ok(corpus.documents)
    }

    async fn finish(&self, mut run: RunState) -> Result<()> {
        let now = now_ms();
        run.status = RunStatus::Finished;
        run.finished_at_ms = Some(now);
        run.report.run_id = run.id.clone();
        run.report.trigger = run.request.trigger.clone();
        run.report.duration_ms = (now - run.started_at_ms).max(0) as u64;
        let kv = self.env.kv("STRATEGY_KV")?;
        if run.report.documents_written + run.report.documents_deleted > 0 {
            kv.put(DATASET_VERSION_KEY, &run.id)?.execute().await?;
        }
        if run.report.succeeded() {
            let last =
                LastRun { run_id: run.id.clone(), trigger: run.request.trigger.clone(), finished_at_ms: now };
            kv.put(LAST_INGEST_KEY, serde_json::to_string(&last)?)?.execute().await?;
        }
        if run.request.source == SourceMode::Upstream {
            // Retention of the raw statistics (90 days, the newest month of a format kept).
            if let Err(e) = RawSource::new(&self.env)?.prune_stats(now).await {
                run.report.record_error(format!("pruning cached statistics: {e}"));
            }
        }
        super::telemetry::ingestion_finished(&self.env, &run.report, &run.unknown_species);
        let threshold = self
            .env
            .var("INGEST_ERROR_THRESHOLD")
            .ok()
            .and_then(|v| v.to_string().parse().ok())
            .unwrap_or(DEFAULT_ERROR_THRESHOLD);
        if run.report.needs_alert(threshold) {
            let (error_type, message) = if run.report.refusals.is_empty() {
                ("IngestionErrors", format!("ingestion run {} had {} errors", run.id, run.report.errors))
            } else {
                let n = run.report.refusals.len();
                ("IngestionRefused", format!("ingestion run {} refused {n} upstream changes", run.id))
            };
            let report = crate::observe::sentry::ErrorReport {
                kind: crate::observe::sentry::ReportKind::Error,
                error_type: error_type.into(),
                message,
                route: "IngestObject".into(),
                tool: None,
                request_id: Some(run.id.clone()),
                colo: None,
            };
            let sentry = super::telemetry::sentry_config(&self.env);
            super::telemetry::report_error(self.state.as_raw().as_ref(), sentry.as_deref(), &report);
            let payload = serde_json::json!({ "event": run.report.alert_event(), "report": run.report });
            if let Err(e) = super::telemetry::send_alert(&self.env, &payload).await {
                tracing::error!(error = %e, "alert webhook failed");
            }
        }
        self.slots.save("last", &run)?;
        self.slots.delete("current")?;
        Ok(())
    }
}

/// Document bodies in KV, with the document TTL.
struct KvDocs(worker::kv::KvStore);

impl DocStore for KvDocs {
    async fn put(&self, doc: &Document) -> std::result::Result<(), StoreFailure> {
        let failed = |e: &dyn std::fmt::Display| StoreFailure::Documents(e.to_string());
        let body = serde_json::to_string(doc).map_err(|e| failed(&e))?;
        let put = self.0.put(&doc.key, body).map_err(|e| failed(&e))?;
        put.expiration_ttl(DOCUMENT_TTL_SECS).execute().await.map_err(|e| failed(&e))
    }

    async fn delete(&self, key: &str) -> std::result::Result<(), StoreFailure> {
        self.0.delete(key).await.map_err(|e| StoreFailure::Documents(e.to_string()))
    }
}

/// The format's `IndexObject`.
struct IndexStub(worker::Stub);

impl IndexStore for IndexStub {
    async fn entries(&self) -> std::result::Result<HashMap<String, Indexed>, StoreFailure> {
        let fetched = async { self.0.fetch_with_str("https://index/entries").await?.json().await };
        fetched.await.map_err(|e: worker::Error| StoreFailure::Index(e.to_string()))
    }

    async fn apply(&self, batch: &ApplyBatch) -> std::result::Result<(), StoreFailure> {
        let applied = async {
            let mut init = worker::RequestInit::new();
            init.with_method(worker::Method::Post).with_body(Some(serde_json::to_string(batch)?.into()));
            let resp =
                self.0.fetch_with_request(Request::new_with_init("https://index/apply", &init)?).await?;
            match resp.status_code() {
                200 => Ok(()),
                s => Err(worker::Error::RustError(format!("index apply answered {s}"))),
            }
        };
        applied.await.map_err(|e: worker::Error| StoreFailure::Index(e.to_string()))
    }
}
