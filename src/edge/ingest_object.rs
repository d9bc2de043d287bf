//! `IngestObject` (a singleton): runs corpus ingestion as a resumable sequence of small steps.
//!
//! A run is a list of formats. Each alarm processes one bounded step of one format — fetch (or
//! read cached) raw inputs, build the format's documents, diff them against the format's index
//! by key and content hash, and apply at most `MAX_CHANGES_PER_STEP` changes to KV, Vectorize and
//! the FTS index — then persists progress (rmp-serde) and re-arms. A crash or eviction resumes
//! from the last persisted step: the diff is recomputed, so nothing is written twice.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

use super::convert;
use super::index_object::{ApplyBatch, IndexStats};
use super::raw_source::{RawSource, SourceMode};
use crate::corpus::Document;
use crate::ingest::alert::{RunReport, DEFAULT_ERROR_THRESHOLD};
use crate::ingest::diff::diff;

/// Changes (KV writes/deletes) per step: well inside Workers' subrequest limit per invocation.
const MAX_CHANGES_PER_STEP: usize = 200;
/// KV documents expire unless re-ingested within this time (the plan's 180-day TTL).
const DOCUMENT_TTL_SECS: u64 = 180 * 24 * 3600;
/// KV key holding the dataset version; tools cache by it, so a finished run invalidates caches.
pub const DATASET_VERSION_KEY: &str = "meta:dataset-version";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRequest {
    /// Formats to ingest; default: the raw cache's formats (cache mode) or INGEST_FORMATS.
    #[serde(default)]
    pub formats: Option<Vec<String>>,
    #[serde(default = "default_mode")]
    pub source: SourceMode,
    /// Fetch this month's statistics (monthly cron); otherwise the newest cached are used.
    #[serde(default)]
    pub refresh_stats: bool,
    #[serde(default = "default_trigger")]
    pub trigger: String,
}

fn default_mode() -> SourceMode {
    SourceMode::Cache
}

fn default_trigger() -> String {
    "admin".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Finished,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
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
    /// Documents written in earlier steps of the current format (they show as unchanged in
    /// later steps' diffs, and must not be counted as such).
    #[serde(default)]
    pub format_written: u32,
    pub report: RunReport,
}

#[durable_object]
pub struct IngestObject {
    state: State,
    env: Env,
    sql: SqlStorage,
}

impl DurableObject for IngestObject {
    fn new(state: State, env: Env) -> Self {
        super::logging::init();
        let sql = state.storage().sql();
        if let Err(e) =
            sql.exec("CREATE TABLE IF NOT EXISTS runs (slot TEXT PRIMARY KEY, state BLOB NOT NULL)", None)
        {
            tracing::error!(error = %e, "ingest schema migration failed");
        }
        Self { state, env, sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/start" => {
                let request: StartRequest = req.json().await?;
                if let Some(run) = self.load("current")? {
                    return Ok(Response::from_json(&run)?.with_status(409));
                }
                let run = self.create(request).await?;
                Ok(Response::from_json(&run)?.with_status(202))
            }
            "/resume" => match self.load("current")? {
                Some(run) => {
                    self.state.storage().set_alarm(convert::alarm_at(now_ms())).await?;
                    Ok(Response::from_json(&run)?.with_status(202))
                }
                None => Response::error("no run in progress", 404),
            },
            "/state" => Response::from_json(&serde_json::json!({
                "current": self.load("current")?,
                "last": self.load("last")?,
            })),
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let Some(mut run) = self.load("current")? else { return Response::empty() };
        match run.formats.get(run.next).cloned() {
            Some(format) => {
                let finished_format = match self.step(&mut run, &format).await {
                    Ok(done) => done,
                    Err(e) => {
                        record_error(&mut run.report, format!("{format}: {e}"));
                        true
                    }
                };
                if finished_format {
                    run.next += 1;
                    run.format_written = 0;
                }
                run.steps += 1;
                self.save("current", &run)?;
                self.state.storage().set_alarm(convert::alarm_at(now_ms() + 1)).await?;
            }
            None => self.finish(run).await?,
        }
        Response::empty()
    }
}

impl IngestObject {
    async fn create(&self, request: StartRequest) -> Result<RunState> {
        let formats = match &request.formats {
            Some(f) => f.clone(),
            None => self.default_formats(request.source).await?,
        };
        let run = RunState {
            id: format!("run-{}", now_ms()),
            formats,
            request,
            next: 0,
            steps: 0,
            status: RunStatus::Running,
            started_at_ms: now_ms(),
            finished_at_ms: None,
            unknown_species: Vec::new(),
            format_written: 0,
            report: RunReport::default(),
        };
        self.save("current", &run)?;
        self.state.storage().set_alarm(convert::alarm_at(now_ms())).await?;
        tracing::info!(run = %run.id, formats = run.formats.len(), "ingestion started");
        Ok(run)
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

    /// One bounded step of `format`; `Ok(true)` when the format is fully applied.
    async fn step(&self, run: &mut RunState, format: &str) -> Result<bool> {
        let source = RawSource::new(&self.env, run.request.source)?;
        let documents = self.build(&source, run, format).await?;
        let index = self.env.durable_object("INDEXES")?.id_from_name(format)?.get_stub()?;
        let existing: HashMap<String, String> =
            index.fetch_with_str("https://index/hashes").await?.json().await?;
        let changes = diff(&existing, documents.iter().map(|d| (d.key.as_str(), d.content_hash.as_str())));

        let by_key: HashMap<&str, &Document> = documents.iter().map(|d| (d.key.as_str(), d)).collect();
        let upserts: Vec<Document> = changes
            .upserts
            .iter()
            .take(MAX_CHANGES_PER_STEP)
            .filter_map(|k| by_key.get(k.as_str()).map(|d| (*d).clone()))
            .collect();
        let deletes: Vec<String> = changes
            .deletes
            .iter()
            .take(MAX_CHANGES_PER_STEP.saturating_sub(upserts.len()))
            .cloned()
            .collect();
        let done = upserts.len() == changes.upserts.len() && deletes.len() == changes.deletes.len();

        // Bodies first, then the index (a search hit must always find its body), then deletes.
        let kv = self.env.kv("STRATEGY_KV")?;
        for d in &upserts {
            kv.put(&d.key, serde_json::to_string(d)?)?.expiration_ttl(DOCUMENT_TTL_SECS).execute().await?;
        }
        let embedded = super::vectors::sync_if_bound(&self.env, &upserts, &deletes).await;
        match embedded {
            Ok(n) => run.report.embeddings_generated += n,
            Err(e) => record_error(&mut run.report, format!("{format}: vectors: {e}")),
        }
        let batch = ApplyBatch { upserts, deletes };
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post).with_body(Some(serde_json::to_string(&batch)?.into()));
        let _stats: IndexStats = index
            .fetch_with_request(Request::new_with_init("https://index/apply", &init)?)
            .await?
            .json()
            .await?;
        for key in &batch.deletes {
            kv.delete(key).await?;
        }

        run.report.documents_written += batch.upserts.len() as u32;
        run.report.documents_deleted += batch.deletes.len() as u32;
        if done {
            run.report.documents_unchanged += (changes.unchanged as u32).saturating_sub(run.format_written);
            let mut pokemon: Vec<&str> = documents.iter().map(|d| d.pokemon_id.as_str()).collect();
            pokemon.sort_unstable();
            pokemon.dedup();
            run.report.pokemon_processed += pokemon.len() as u32;
        }
        run.format_written += batch.upserts.len() as u32;
        Ok(done)
    }

    async fn build(&self, source: &RawSource<'_>, run: &mut RunState, format: &str) -> Result<Vec<Document>> {
        let sets = source
            .sets(format)
            .await?
            .ok_or_else(|| worker::Error::RustError(format!("no sets for {format}")))?;
        let analyses = source.analyses(format).await?;
        let stats = source.stats(format, run.request.refresh_stats).await?;
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
        if run.report.documents_written + run.report.documents_deleted > 0 {
            self.env.kv("STRATEGY_KV")?.put(DATASET_VERSION_KEY, &run.id)?.execute().await?;
        }
        super::telemetry::ingestion_finished(&self.env, &run.report, &run.unknown_species);
        let threshold = self
            .env
            .var("INGEST_ERROR_THRESHOLD")
            .ok()
            .and_then(|v| v.to_string().parse().ok())
            .unwrap_or(DEFAULT_ERROR_THRESHOLD);
        if run.report.needs_alert(threshold) {
            let report = crate::observe::ErrorReport {
                kind: crate::observe::ReportKind::Error,
                error_type: "IngestionErrors".into(),
                message: format!("ingestion run {} had {} errors", run.id, run.report.errors),
                route: "IngestObject".into(),
                tool: None,
                request_id: Some(run.id.clone()),
                colo: None,
            };
            let sentry = super::telemetry::sentry_config(&self.env);
            super::telemetry::report_error(self.state.as_raw().as_ref(), sentry.as_ref(), &report);
            let payload = serde_json::json!({ "event": "ingestion.errors", "report": run.report });
            if let Err(e) = super::telemetry::send_alert(&self.env, &payload).await {
                tracing::error!(error = %e, "alert webhook failed");
            }
        }
        self.save("last", &run)?;
        self.sql.exec("DELETE FROM runs WHERE slot = 'current'", None)?;
        Ok(())
    }

    fn load(&self, slot: &str) -> Result<Option<RunState>> {
        let rows: Vec<Vec<SqlStorageValue>> = self
            .sql
            .exec("SELECT state FROM runs WHERE slot = ?", vec![slot.into()])?
            .raw()
            .collect::<Result<_>>()?;
        match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(SqlStorageValue::Blob(b)) => {
                rmp_serde::from_slice(&b).map(Some).map_err(|e| worker::Error::RustError(e.to_string()))
            }
            _ => Ok(None),
        }
    }

    fn save(&self, slot: &str, run: &RunState) -> Result<()> {
        let bytes = rmp_serde::to_vec_named(run).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let cursor = self.sql.exec(
            "INSERT INTO runs (slot, state) VALUES (?, ?) ON CONFLICT(slot) DO UPDATE SET state = excluded.state",
            vec![slot.into(), SqlStorageValue::Blob(bytes)],
        )?;
        let _ = cursor.raw().count();
        Ok(())
    }
}

fn record_error(report: &mut RunReport, message: String) {
    tracing::warn!(error = %message, "ingestion error");
    report.errors += 1;
    if report.error_samples.len() < 20 {
        report.error_samples.push(message);
    }
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
