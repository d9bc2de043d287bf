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
//! Also the admin routes (`/admin/backups…`, behind the admin token in `edge::admin`; decided
//! by `crate::backup::admin`) and the daily cron.

use futures::{stream, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::json;
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, ResponseBuilder, Result,
    State,
};

use super::backup_store::{digest, Kv, Store};
use super::clock::now_ms;
use super::convert;
use super::sql_slots::StateSlots;
pub(super) use crate::backup::admin::CRON;
use crate::backup::admin::{self, ManifestLookup, NotStarted, ObjectCall, ObjectRoute, Reply, Route};
use crate::backup::job::{compare, BackupPhase, Job, JobKind, JobStatus, PageStep, RestoreProgress, Task};
use crate::backup::manifest::PartInfo;
use crate::backup::part::{self, Record, CONTENT_TYPE};
use crate::backup::retention::{self, POLICY};
use crate::backup::{checked_id, manifest_key, BackupError};
use crate::primitives::calendar::backup_id;
use crate::primitives::digest::sha256_hex;
use crate::transport::HttpResponse;

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
        let reply = match admin::object_route(method(&req), &path) {
            Err(reply) => reply,
            Ok(ObjectRoute::Start(kind)) => {
                let body: StartBody = req.json().await?;
                self.start(kind, body).await?
            }
            Ok(ObjectRoute::State) => Reply::new(
                200,
                json!({
                    "current": self.slots.load("current")?,
                    "last": {
                        "backup": self.slots.load("last-backup")?,
                        "restore": self.slots.load("last-restore")?,
                        "verify": self.slots.load("last-verify")?,
                    },
                }),
            ),
            Ok(ObjectRoute::Latest) => {
                let (kind, id) = (query("kind").unwrap_or_default(), query("id").unwrap_or_default());
                match JobKind::parse(&kind).map(|k| self.latest(k, &id)).transpose()?.flatten() {
                    Some(job) => Reply::job(&job),
                    None => admin::no_latest(&kind, &id),
                }
            }
            Ok(ObjectRoute::Resume) => match self.slots.load("current")? {
                Some(job) => {
                    self.state.storage().set_alarm(convert::alarm_at(now_ms())).await?;
                    Reply::started(&job)
                }
                None => admin::nothing_to_resume(),
            },
        };
        json_response(reply)
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
    async fn start(&self, kind: JobKind, body: StartBody) -> Result<Reply> {
        Ok(match self.started(kind, body).await? {
            Ok(job) => Reply::started(&job),
            Err(why) => why.reply(),
        })
    }

    async fn started(&self, kind: JobKind, body: StartBody) -> Result<std::result::Result<Job, NotStarted>> {
        let store = Store::new(&self.env)?;
        let now = now_ms();
        // Everything that awaits comes first; the check for a running job and the save of the
        // new one are synchronous, so two concurrent starts cannot both succeed.
        let job = match kind {
            JobKind::Backup => {
                let id = backup_id(now);
                if store.exists(&id).await? {
                    return Ok(Err(NotStarted::Exists(id)));
                }
                Job::backup(id, body.trigger, now)
            }
            JobKind::Restore | JobKind::Verify => {
                let id = match checked_id(body.id.as_deref().unwrap_or_default()) {
                    Ok(id) => id.to_owned(),
                    Err(e) => return Ok(Err(NotStarted::BadId(e))),
                };
                let manifest = match lookup(&store, &id).await?.complete(&id) {
                    Ok(m) => m,
                    Err(reply) => return Ok(Err(NotStarted::NotComplete(reply))),
                };
                if kind == JobKind::Restore {
                    Job::restore(&manifest, body.trigger, now)
                } else {
                    Job::verify(&manifest, body.trigger, now)
                }
            }
        };
        if let Some(current) = self.slots.load("current")? {
            return Ok(Err(NotStarted::Running(Box::new(current))));
        }
        self.slots.save("current", &job)?;
        self.state.storage().set_alarm(convert::alarm_at(now)).await?;
        tracing::info!(kind = job.kind(), backup = %job.backup_id, trigger = %job.trigger, "backup job started");
        Ok(Ok(job))
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
                    let listed: Vec<_> =
                        store.list().await?.iter().map(super::backup_store::Found::listed).collect();
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
    fn latest(&self, kind: JobKind, id: &str) -> Result<Option<Job>> {
        for slot in ["current".to_owned(), format!("last-{}", kind.as_str())] {
            if let Some(job) = self.slots.load(&slot)?.filter(|j| j.job_kind() == kind && j.backup_id == id) {
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

fn json_response(reply: Reply) -> Result<Response> {
    Ok(ResponseBuilder::new()
        .with_status(reply.status)
        .with_header("Content-Type", "application/json")?
        .fixed(reply.body.into_bytes()))
}

fn method(req: &Request) -> admin::Method {
    match req.method() {
        Method::Get => admin::Method::Get,
        Method::Post => admin::Method::Post,
        _ => admin::Method::Other,
    }
}

/// What the bucket holds for backup `id`.
async fn lookup(store: &Store, id: &str) -> Result<ManifestLookup> {
    Ok(match store.manifest(id).await? {
        Some(Ok(m)) => ManifestLookup::Found(m),
        Some(Err(e)) => ManifestLookup::Invalid(e),
        None if store.exists(id).await? => ManifestLookup::Incomplete,
        None => ManifestLookup::Missing,
    })
}

// ---- admin routes and cron ---------------------------------------------------------------

async fn call(env: &Env, call: ObjectCall) -> Result<HttpResponse> {
    let stub = env.durable_object("BACKUP")?.id_from_name("backup")?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(match call.method {
        admin::Method::Get => Method::Get,
        admin::Method::Post | admin::Method::Other => Method::Post,
    });
    if let Some(body) = call.body {
        init.with_body(Some(body.to_string().into()));
    }
    let req = Request::new_with_init(&format!("https://backup{}", call.path), &init)?;
    convert::from_response(stub.fetch_with_request(req).await?).await
}

fn reply(reply: Reply) -> HttpResponse {
    let mut resp = HttpResponse::empty(reply.status).with_header("Content-Type", "application/json");
    resp.body = reply.body.into_bytes();
    resp
}

/// `/admin/backups…` (the admin token is already checked), routed by `backup::admin::route`.
pub(super) async fn admin(req: Request, env: &Env) -> Result<HttpResponse> {
    let route = match admin::route(method(&req), &req.path()) {
        Ok(route) => route,
        Err(refused) => return Ok(reply(refused)),
    };
    match &route {
        Route::List => list(env).await,
        Route::Manifest(id) => Ok(reply(lookup(&Store::new(env)?, id).await?.reply(id))),
        Route::StartBackup | Route::Start { .. } | Route::Latest { .. } => {
            let answered = call(env, route.object_call().expect("an object route")).await?;
            match route.when_none() {
                Some(instead) if answered.status == 404 => call(env, instead).await,
                _ => Ok(answered),
            }
        }
    }
}

async fn list(env: &Env) -> Result<HttpResponse> {
    let state = call(env, ObjectCall::state()).await?;
    let state: serde_json::Value = serde_json::from_slice(&state.body)?;
    let running = admin::running_backup(&state["current"]);
    let backups = Store::new(env)?
        .list()
        .await?
        .into_iter()
        .rev()
        .map(|found| admin::listing(&found.id, found.manifest.as_ref(), running.as_deref()))
        .collect();
    Ok(reply(admin::list_reply(backups, &state)))
}

/// The daily cron: start a backup (a running job makes it a logged no-op).
pub(super) async fn scheduled(env: &Env, cron: &str) {
    match call(env, ObjectCall::start(JobKind::Backup, None, &format!("cron:{cron}"))).await {
        Ok(r) if r.status == 202 => tracing::info!(cron, "scheduled backup started"),
        Ok(r) => tracing::warn!(
            cron, status = r.status, body = %String::from_utf8_lossy(&r.body), "scheduled backup not started"
        ),
        Err(e) => tracing::error!(cron, error = %e, "scheduled backup failed to start"),
    }
}
