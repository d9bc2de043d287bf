//! `BackupObject` (a singleton): backs the KV namespaces up into R2, restores and verifies, one
//! job at a time, each as a sequence of bounded alarm steps with its progress persisted
//! (rmp-serde, `crate::backup::job`) after every step — a job survives eviction and restarts.
//!
//! - backup: one step per KV page (≤ 500 keys, values read 16 at a time, ≤ 8 MiB of values) →
//!   one part object; then the manifest; then retention deletes old backups, ≤ 1,000 objects a
//!   step.
//! - restore: one part per step: checksum, then every key put back (16 at a time) with its
//!   bytes, expiration and metadata; keys about to expire are skipped.
//! - verify: ≤ 250 keys of one part per step, each compared with KV as it is now.
//!
//! Also the admin routes (`/admin/backups…`, behind the admin token in `edge::admin`) and the
//! daily cron.

use futures::{stream, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::json;
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State};

use super::backup_store::{digest, Kv, Store};
use super::clock::now_ms;
use super::convert;
use super::sql_slots::StateSlots;
use crate::backup::job::{compare, BackupPhase, Job, JobStatus, PageStep, RestoreProgress, Task};
use crate::backup::manifest::{Manifest, PartInfo};
use crate::backup::part::{self, Record, CONTENT_TYPE};
use crate::backup::retention::{self, POLICY};
use crate::backup::{checked_id, manifest_key, BackupError};
use crate::primitives::calendar::backup_id;
use crate::primitives::digest::sha256_hex;
use crate::transport::HttpResponse;

/// The daily backup cron (wrangler.toml [triggers]).
pub const CRON: &str = "23 3 * * *";
/// Keys per KV list page, hence at most per part: with one read each, a step stays far below
/// the 1,000 KV operations a Worker invocation may make.
const KEYS_PER_PAGE: u32 = 500;
/// A part closes early once its values pass this size (KV values can be up to 25 MiB).
const MAX_PART_VALUE_BYTES: u64 = 8 * 1024 * 1024;
/// KV reads or writes in flight at once.
const CONCURRENCY: usize = 16;
/// Keys compared per verification step (two KV reads each).
const VERIFY_KEYS_PER_STEP: usize = 250;

/// Why a step failed: `Retry` is retried with backoff, `Fatal` (a corrupt backup) fails the job.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("{0}")]
    Retry(String),
    #[error("{0}")]
    Fatal(#[from] BackupError),
}

impl From<worker::Error> for StepError {
    fn from(e: worker::Error) -> Self {
        Self::Retry(e.to_string())
    }
}

#[derive(Deserialize)]
struct StartBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default = "admin_trigger")]
    trigger: String,
}

fn admin_trigger() -> String {
    "admin".into()
}

#[durable_object]
pub struct BackupObject {
    state: State,
    env: Env,
    slots: StateSlots<Job>,
}

impl DurableObject for BackupObject {
    fn new(state: State, env: Env) -> Self {
        super::logging::init();
        let slots = StateSlots::new(state.storage().sql(), "jobs");
        if let Err(e) = slots.migrate() {
            tracing::error!(error = %e, "backup schema migration failed");
        }
        Self { state, env, slots }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        super::telemetry::enter_object(
            &self.state,
            super::telemetry::sentry_config(&self.env),
            "BackupObject",
            None,
        );
        let path = req.path();
        let url = req.url()?;
        let query = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        match (req.method(), path.as_str()) {
            (Method::Post, "/backup" | "/restore" | "/verify") => {
                let body: StartBody = req.json().await?;
                self.start(&path[1..], body).await
            }
            (Method::Get, "/state") => json_response(
                200,
                &json!({
                    "current": self.slots.load("current")?,
                    "last": {
                        "backup": self.slots.load("last-backup")?,
                        "restore": self.slots.load("last-restore")?,
                        "verify": self.slots.load("last-verify")?,
                    },
                }),
            ),
            (Method::Get, "/job") => {
                let (kind, id) = (query("kind").unwrap_or_default(), query("id").unwrap_or_default());
                match self.latest(&kind, &id)? {
                    Some(job) => job_response(&job),
                    None => json_response(404, &json!({"error": format!("no {kind} of backup {id}")})),
                }
            }
            (Method::Post, "/resume") => match self.slots.load("current")? {
                Some(job) => {
                    self.state.storage().set_alarm(convert::alarm_at(now_ms())).await?;
                    json_response(202, &job)
                }
                None => json_response(404, &json!({"error": "no job in progress"})),
            },
            _ => json_response(404, &json!({"error": "not found"})),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        super::telemetry::enter_object(
            &self.state,
            super::telemetry::sentry_config(&self.env),
            "BackupObject",
            None,
        );
        let Some(mut job) = self.slots.load("current")? else { return Response::empty() };
        let result = self.step(&mut job).await;
        let now = now_ms();
        match result {
            Ok(false) => {
                job.step_succeeded();
                self.slots.save("current", &job)?;
                self.state.storage().set_alarm(convert::alarm_at(now)).await?;
            }
            Ok(true) => {
                job.step_succeeded();
                job.finish(now);
                self.end(&job)?;
            }
            Err(e) => {
                let fatal = matches!(e, StepError::Fatal(_));
                tracing::warn!(kind = job.kind(), backup = %job.backup_id, error = %e, fatal, "backup step failed");
                match job.step_failed(e.to_string(), now) {
                    Some(delay) if !fatal => {
                        self.slots.save("current", &job)?;
                        self.state.storage().set_alarm(convert::alarm_at(now + delay)).await?;
                    }
                    _ => {
                        job.status = JobStatus::Failed;
                        job.finished_at_ms = Some(now);
                        self.end(&job)?;
                    }
                }
            }
        }
        Response::empty()
    }
}

impl BackupObject {
    async fn start(&self, kind: &str, body: StartBody) -> Result<Response> {
        let store = Store::new(&self.env)?;
        let now = now_ms();
        // Everything that awaits comes first; the check for a running job and the save of the
        // new one are synchronous, so two concurrent starts cannot both succeed.
        let job = if kind == "backup" {
            let id = backup_id(now);
            if store.exists(&id).await? {
                return json_response(
                    409,
                    &json!({"error": format!("backup {id} exists: retry in a second")}),
                );
            }
            Job::backup(id, body.trigger, now)
        } else {
            let id = match checked_id(body.id.as_deref().unwrap_or_default()) {
                Ok(id) => id.to_owned(),
                Err(e) => return json_response(400, &json!({"error": e.to_string()})),
            };
            let manifest = match self.complete_manifest(&store, &id).await? {
                Ok(m) => m,
                Err((status, message)) => return json_response(status, &json!({"error": message})),
            };
            if kind == "restore" {
                Job::restore(&manifest, body.trigger, now)
            } else {
                Job::verify(&manifest, body.trigger, now)
            }
        };
        if let Some(current) = self.slots.load("current")? {
            let message = format!("a {} of backup {} is running", current.kind(), current.backup_id);
            return json_response(409, &json!({"error": message, "current": current}));
        }
        self.slots.save("current", &job)?;
        self.state.storage().set_alarm(convert::alarm_at(now)).await?;
        tracing::info!(kind = job.kind(), backup = %job.backup_id, trigger = %job.trigger, "backup job started");
        json_response(202, &job)
    }

    /// The manifest of a complete backup, or the status and message to answer with.
    async fn complete_manifest(
        &self,
        store: &Store,
        id: &str,
    ) -> Result<std::result::Result<Manifest, (u16, String)>> {
        Ok(match store.manifest(id).await? {
            Some(Ok(m)) => Ok(m),
            Some(Err(e)) => Err((422, format!("backup {id}: {e}"))),
            None if store.exists(id).await? => {
                Err((409, format!("backup {id} is incomplete (still running, or it failed)")))
            }
            None => Err((404, format!("no backup {id}"))),
        })
    }

    /// One step of the current job; `Ok(true)` when the job is done.
    async fn step(&self, job: &mut Job) -> std::result::Result<bool, StepError> {
        let now = now_ms();
        let now_secs = (now / 1000) as u64;
        let store = Store::new(&self.env)?;
        let backup_id = job.backup_id.clone();
        let manifest = job.manifest(now);
        match &mut job.task {
            Task::Backup(progress) => match progress.phase() {
                BackupPhase::Copy { binding, cursor, offset, part_number } => {
                    let key = part::part_key(&backup_id, binding, part_number);
                    let kv = Kv::bind(&self.env, binding)?;
                    let step = copy_page(&kv, &store, key, cursor, offset).await?;
                    progress.apply_page(step);
                    Ok(false)
                }
                BackupPhase::Manifest => {
                    let manifest = manifest.ok_or_else(|| StepError::Retry("no manifest".into()))?;
                    let bytes =
                        serde_json::to_vec_pretty(&manifest).map_err(|e| StepError::Retry(e.to_string()))?;
                    let sha = digest(&bytes);
                    store.put(&manifest_key(&backup_id), bytes, sha, "application/json").await?;
                    tracing::info!(
                        backup = %backup_id,
                        keys = manifest.keys,
                        value_bytes = manifest.value_bytes,
                        part_bytes = manifest.part_bytes,
                        duration_ms = manifest.finished_at_ms - manifest.started_at_ms,
                        "backup written"
                    );
                    let listed: Vec<_> = store.list().await?.iter().map(|f| f.listed()).collect();
                    let selection = retention::select(&listed, now, &POLICY);
                    if !selection.delete.is_empty() {
                        tracing::info!(delete = ?selection.delete, "backup retention prunes");
                    }
                    progress.manifest_written(selection.keep, selection.delete);
                    Ok(false)
                }
                BackupPhase::Prune { id } => {
                    let (deleted, emptied) = store.delete_batch(id).await?;
                    progress.pruned(deleted, emptied);
                    Ok(false)
                }
                BackupPhase::Done => Ok(true),
            },
            Task::Restore(progress) => {
                let Some(part) = progress.current().cloned() else { return Ok(true) };
                let records = read_part(&store, &part.key, &part.sha256).await?;
                let (put, skipped) = RestoreProgress::plan(&records, now_secs);
                let kv = Kv::bind(&self.env, &part.binding)?;
                stream::iter(put.iter().map(|r| kv.put(r)))
                    .buffer_unordered(CONCURRENCY)
                    .try_collect::<()>()
                    .await?;
                let bytes = put.iter().map(|r| r.value.len() as u64).sum();
                progress.part_done(put.len() as u64, skipped, bytes);
                Ok(progress.current().is_none())
            }
            Task::Verify(progress) => {
                let Some(part) = progress.current().cloned() else { return Ok(true) };
                let records = read_part(&store, &part.key, &part.sha256).await?;
                let start = (progress.offset as usize).min(records.len());
                let batch = &records[start..(start + VERIFY_KEYS_PER_STEP).min(records.len())];
                let kv = Kv::bind(&self.env, &part.binding)?;
                let verdicts: Vec<_> = stream::iter(batch.iter().map(|r| {
                    let kv = &kv;
                    async move { kv.current(&r.key).await.map(|c| compare(r, c.as_ref(), now_secs)) }
                }))
                .buffered(CONCURRENCY)
                .try_collect()
                .await?;
                for (r, verdict) in batch.iter().zip(&verdicts) {
                    progress.record(&part.binding, &r.key, verdict);
                }
                progress.advance(batch.len(), records.len());
                Ok(progress.current().is_none())
            }
        }
    }

    /// A job is over (finished or failed): it becomes the last of its kind.
    fn end(&self, job: &Job) -> Result<()> {
        let duration_ms = job.finished_at_ms.unwrap_or_default() - job.started_at_ms;
        match job.status {
            JobStatus::Failed => tracing::error!(
                kind = job.kind(), backup = %job.backup_id, errors = ?job.error_samples, "backup job failed"
            ),
            _ => tracing::info!(
                kind = job.kind(),
                backup = %job.backup_id,
                steps = job.steps,
                duration_ms,
                summary = %job.summary(),
                "backup job finished"
            ),
        }
        super::telemetry::backup_finished(
            &self.env,
            job.kind(),
            &job.backup_id,
            job.status == JobStatus::Failed,
            duration_ms,
            job.steps,
        );
        self.slots.save(&format!("last-{}", job.kind()), job)?;
        self.slots.delete("current")?;
        Ok(())
    }

    /// The running or last job of `kind` for backup `id`.
    fn latest(&self, kind: &str, id: &str) -> Result<Option<Job>> {
        for slot in ["current".to_owned(), format!("last-{kind}")] {
            if let Some(job) = self.slots.load(&slot)?.filter(|j| j.kind() == kind && j.backup_id == id) {
                return Ok(Some(job));
            }
        }
        Ok(None)
    }
}

/// Copies (part of) one KV page into the part object `key`.
async fn copy_page(
    kv: &Kv,
    store: &Store,
    key: String,
    cursor: Option<&str>,
    offset: usize,
) -> std::result::Result<PageStep, StepError> {
    let page = kv.list(cursor, None, KEYS_PER_PAGE).await?;
    let listed = &page.keys[offset.min(page.keys.len())..];
    let mut reads =
        stream::iter(listed.iter().map(|k| async move { (k, kv.get(&k.name).await) })).buffered(CONCURRENCY);
    let (mut records, mut consumed, mut value_bytes, mut vanished) = (Vec::new(), 0, 0u64, 0u64);
    while let Some((k, value)) = reads.next().await {
        consumed += 1;
        match value? {
            Some(value) => {
                value_bytes += value.len() as u64;
                records.push(Record {
                    key: k.name.clone(),
                    value,
                    expiration: k.expiration,
                    metadata: k.metadata.clone(),
                });
            }
            // Deleted or expired since the list: nothing to keep.
            None => vanished += 1,
        }
        if value_bytes >= MAX_PART_VALUE_BYTES {
            break;
        }
    }
    drop(reads);
    let part = match (records.first(), records.last()) {
        (Some(first), Some(last)) => {
            let bytes = part::encode(&records);
            let info = PartInfo {
                key: key.clone(),
                keys: records.len() as u32,
                bytes: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
                first_key: first.key.clone(),
                last_key: last.key.clone(),
            };
            let sha = digest(&bytes);
            store.put(&key, bytes, sha, CONTENT_TYPE).await?;
            Some(info)
        }
        _ => None,
    };
    Ok(PageStep {
        remaining: listed.len(),
        consumed,
        list_complete: page.list_complete,
        cursor: page.cursor,
        part,
        value_bytes,
        vanished,
    })
}

/// A part's records, after checking it against the manifest's checksum.
async fn read_part(store: &Store, key: &str, sha256: &str) -> std::result::Result<Vec<Record>, StepError> {
    let bytes = store.get(key).await?.ok_or_else(|| BackupError::CorruptPart(format!("{key} is missing")))?;
    if sha256_hex(&bytes) != sha256 {
        return Err(BackupError::Checksum { key: key.into() }.into());
    }
    Ok(part::decode(&bytes)?)
}

fn json_response(status: u16, value: &impl serde::Serialize) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// Running → 202, over (finished or failed) → 200.
fn job_response(job: &Job) -> Result<Response> {
    json_response(if job.status == JobStatus::Running { 202 } else { 200 }, job)
}

// ---- admin routes and cron ---------------------------------------------------------------

async fn call(
    env: &Env,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<HttpResponse> {
    let stub = env.durable_object("BACKUP")?.id_from_name("backup")?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        init.with_body(Some(body.to_string().into()));
    }
    let req = Request::new_with_init(&format!("https://backup{path}"), &init)?;
    convert::from_response(stub.fetch_with_request(req).await?).await
}

fn reply(status: u16, value: serde_json::Value) -> Result<HttpResponse> {
    Ok(HttpResponse::json(status, &value))
}

/// `/admin/backups…` (the admin token is already checked):
///
/// - `POST /admin/backups`                  start a backup (202; 409 while any job runs)
/// - `GET  /admin/backups`                  backups in R2 with status, the current job, the last of each kind
/// - `GET  /admin/backups/<id>`             the manifest (404 unknown, 409 incomplete)
/// - `POST /admin/backups/<id>/restore`     start a restore; `GET` the latest restore of `<id>`
/// - `POST /admin/backups/<id>/verify`      start a verification; `GET` the latest one (starting
///   one if there is none); running → 202, over → 200
pub async fn admin(req: Request, env: &Env) -> Result<HttpResponse> {
    let path = req.path();
    let rest = path.strip_prefix("/admin/backups").unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if !(rest.is_empty() || rest.starts_with('/')) {
        return reply(404, json!({"error": "not_found"}));
    }
    let method = req.method();
    let id = match segments.first().map(|s| checked_id(s)) {
        Some(Err(e)) => return reply(400, json!({"error": e.to_string()})),
        Some(Ok(id)) => id,
        None => "",
    };
    match (method, segments.as_slice()) {
        (Method::Post, []) => call(env, Method::Post, "/backup", Some(json!({"trigger": "admin"}))).await,
        (Method::Get, []) => list(env).await,
        (Method::Get, [_]) => {
            let store = Store::new(env)?;
            match store.manifest(id).await? {
                Some(Ok(m)) => reply(200, serde_json::to_value(m)?),
                Some(Err(e)) => reply(422, json!({"error": format!("backup {id}: {e}")})),
                None if store.exists(id).await? => reply(
                    409,
                    json!({"error": format!("backup {id} is incomplete (still running, or it failed)")}),
                ),
                None => reply(404, json!({"error": format!("no backup {id}")})),
            }
        }
        (Method::Post, [_, action @ ("restore" | "verify")]) => {
            call(env, Method::Post, &format!("/{action}"), Some(json!({"id": id, "trigger": "admin"}))).await
        }
        (Method::Get, [_, action @ ("restore" | "verify")]) => {
            let latest = call(env, Method::Get, &format!("/job?kind={action}&id={id}"), None).await?;
            if latest.status == 404 && *action == "verify" {
                return call(env, Method::Post, "/verify", Some(json!({"id": id, "trigger": "admin"}))).await;
            }
            Ok(latest)
        }
        (_, [] | [_] | [_, "restore" | "verify"]) => reply(405, json!({"error": "method not allowed"})),
        _ => reply(404, json!({"error": "not_found"})),
    }
}

async fn list(env: &Env) -> Result<HttpResponse> {
    let state = call(env, Method::Get, "/state", None).await?;
    let state: serde_json::Value = serde_json::from_slice(&state.body)?;
    let running = state["current"]
        .as_object()
        .filter(|c| c["task"]["kind"] == "backup")
        .and_then(|c| c["backupId"].as_str())
        .map(str::to_owned);
    let mut backups = Vec::new();
    for found in Store::new(env)?.list().await?.into_iter().rev() {
        backups.push(match found.manifest {
            Some(Ok(m)) => json!({
                "id": m.id,
                "status": "complete",
                "trigger": m.trigger,
                "startedAt": m.started_at,
                "finishedAt": m.finished_at,
                "keys": m.keys,
                "valueBytes": m.value_bytes,
                "partBytes": m.part_bytes,
                "parts": m.namespaces.iter().map(|n| n.parts.len()).sum::<usize>(),
                "namespaces": m.namespaces.iter().map(|n| json!({"binding": n.binding, "keys": n.keys})).collect::<Vec<_>>(),
            }),
            Some(Err(e)) => json!({"id": found.id, "status": "invalid", "error": e.to_string()}),
            None if running.as_deref() == Some(found.id.as_str()) => json!({"id": found.id, "status": "running"}),
            None => json!({"id": found.id, "status": "incomplete"}),
        });
    }
    reply(
        200,
        json!({
            "backups": backups,
            "current": state["current"],
            "last": state["last"],
            "retention": {"daily": POLICY.daily, "weekly": POLICY.weekly, "monthly": POLICY.monthly},
            "schedule": CRON,
        }),
    )
}

/// The daily cron: start a backup (a running job makes it a logged no-op).
pub async fn scheduled(env: &Env, cron: &str) {
    match call(env, Method::Post, "/backup", Some(json!({"trigger": format!("cron:{cron}")}))).await {
        Ok(r) if r.status == 202 => tracing::info!(cron, "scheduled backup started"),
        Ok(r) => tracing::warn!(
            cron, status = r.status, body = %String::from_utf8_lossy(&r.body), "scheduled backup not started"
        ),
        Err(e) => tracing::error!(cron, error = %e, "scheduled backup failed to start"),
    }
}
