//! The backup routes, decided: which admin path and method asks for which action
//! (`/admin/backups…`, behind the admin token), which call that is to the backup object, which
//! object route does what, and the status and body every outcome is answered with. Pure; the
//! edge (`edge/backup_object.rs`) reads storage, calls the object and converts.

use serde_json::{json, Value};

use super::job::{Job, JobKind, JobStatus};
use super::manifest::Manifest;
use super::retention::POLICY;
use super::{checked_id, BackupError};

/// The daily backup cron (wrangler.toml [triggers]).
pub(crate) const CRON: &str = "23 3 * * *";

/// The methods the backup routes tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Other,
}

/// A status and a JSON body (the text: a job is written in its own field order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub(crate) fn new(status: u16, body: Value) -> Self {
        Self { status, body: body.to_string() }
    }

    /// The body, parsed back (for tests).
    #[cfg(test)]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    fn error(status: u16, message: impl Into<String>) -> Self {
        Self::new(status, json!({"error": message.into()}))
    }

    /// A job: running → 202, over (finished or failed) → 200.
    pub(crate) fn job(job: &Job) -> Self {
        let status = if job.status == JobStatus::Running { 202 } else { 200 };
        Self { status, body: serde_json::to_string(job).unwrap_or_default() }
    }

    /// A job just started (or resumed): 202.
    pub(crate) fn started(job: &Job) -> Self {
        Self { status: 202, body: serde_json::to_string(job).unwrap_or_default() }
    }
}

/// What an admin request asks of backups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `POST /admin/backups`: start a backup (202; 409 while any job runs).
    StartBackup,
    /// `GET /admin/backups`: backups in R2 with status, the current job, the last of each kind.
    List,
    /// `GET /admin/backups/<id>`: the manifest (404 unknown, 409 incomplete).
    Manifest(String),
    /// `POST /admin/backups/<id>/restore|verify`: start one.
    Start { kind: JobKind, id: String },
    /// `GET /admin/backups/<id>/restore|verify`: the latest one (a verification is started when
    /// there is none); running → 202, over → 200.
    Latest { kind: JobKind, id: String },
}

/// The admin route `path` (under `/admin/backups`) names, or the answer when it names none: 404
/// outside the tree, 400 for an id that is not a backup id (before anything is named by it),
/// 405 for a known path under another method.
pub(crate) fn route(method: Method, path: &str) -> Result<Route, Reply> {
    let rest = path.strip_prefix("/admin/backups").unwrap_or_default();
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Err(Reply::error(404, "not_found"));
    }
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let id = match segments.first().map(|s| checked_id(s)) {
        Some(Err(e)) => return Err(Reply::error(400, e.to_string())),
        Some(Ok(id)) => id.to_owned(),
        None => String::new(),
    };
    let action = |s: &str| [JobKind::Restore, JobKind::Verify].into_iter().find(|k| k.as_str() == s);
    match (method, segments.as_slice()) {
        (Method::Post, []) => Ok(Route::StartBackup),
        (Method::Get, []) => Ok(Route::List),
        (Method::Get, [_]) => Ok(Route::Manifest(id)),
        (Method::Post, [_, a]) if action(a).is_some() => Ok(Route::Start { kind: action(a).unwrap(), id }),
        (Method::Get, [_, a]) if action(a).is_some() => Ok(Route::Latest { kind: action(a).unwrap(), id }),
        (_, [] | [_]) => Err(Reply::error(405, "method not allowed")),
        (_, [_, a]) if action(a).is_some() => Err(Reply::error(405, "method not allowed")),
        _ => Err(Reply::error(404, "not_found")),
    }
}

/// A request to the backup object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectCall {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
}

impl ObjectCall {
    /// Start a job of `kind` (`id`: the backup to restore or verify; a backup names its own).
    pub(crate) fn start(kind: JobKind, id: Option<&str>, trigger: &str) -> Self {
        let body = match id {
            Some(id) => json!({"id": id, "trigger": trigger}),
            None => json!({"trigger": trigger}),
        };
        Self { method: Method::Post, path: format!("/{}", kind.as_str()), body: Some(body) }
    }

    /// The running or last job of `kind` for backup `id`.
    pub(crate) fn latest(kind: JobKind, id: &str) -> Self {
        Self { method: Method::Get, path: format!("/job?kind={}&id={id}", kind.as_str()), body: None }
    }

    /// The current job and the last of each kind.
    pub(crate) fn state() -> Self {
        Self { method: Method::Get, path: "/state".into(), body: None }
    }
}

impl Route {
    /// The object call that answers this route (`List` and `Manifest` read the bucket instead).
    pub(crate) fn object_call(&self) -> Option<ObjectCall> {
        match self {
            Route::StartBackup => Some(ObjectCall::start(JobKind::Backup, None, "admin")),
            Route::Start { kind, id } => Some(ObjectCall::start(*kind, Some(id), "admin")),
            Route::Latest { kind, id } => Some(ObjectCall::latest(*kind, id)),
            Route::List | Route::Manifest(_) => None,
        }
    }

    /// When the object knows no latest job (its 404): the call to make instead, if any — a
    /// verification is started.
    pub(crate) fn when_none(&self) -> Option<ObjectCall> {
        match self {
            Route::Latest { kind: JobKind::Verify, id } => {
                Some(ObjectCall::start(JobKind::Verify, Some(id), "admin"))
            }
            _ => None,
        }
    }
}

/// What the bucket holds for one backup id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ManifestLookup {
    Found(Manifest),
    /// A manifest that does not read: 422.
    Invalid(BackupError),
    /// Parts but no manifest: still running, or it failed (409).
    Incomplete,
    /// Nothing: 404.
    Missing,
}

impl ManifestLookup {
    /// The manifest of a complete backup, or the answer when there is none.
    pub(crate) fn complete(self, id: &str) -> Result<Manifest, Reply> {
        match self {
            Self::Found(m) => Ok(m),
            Self::Invalid(e) => Err(Reply::error(422, format!("backup {id}: {e}"))),
            Self::Incomplete => {
                Err(Reply::error(409, format!("backup {id} is incomplete (still running, or it failed)")))
            }
            Self::Missing => Err(Reply::error(404, format!("no backup {id}"))),
        }
    }

    /// `GET /admin/backups/<id>`.
    pub(crate) fn reply(self, id: &str) -> Reply {
        match self.complete(id) {
            Ok(m) => Reply::new(200, serde_json::to_value(m).unwrap_or_default()),
            Err(reply) => reply,
        }
    }
}

/// What the backup object is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ObjectRoute {
    /// `POST /backup|/restore|/verify`.
    Start(JobKind),
    /// `GET /state`.
    State,
    /// `GET /job?kind=…&id=…`.
    Latest,
    /// `POST /resume`: re-arm the alarm of the job in progress.
    Resume,
}

pub(crate) fn object_route(method: Method, path: &str) -> Result<ObjectRoute, Reply> {
    match (method, path) {
        (Method::Post, _) if start_kind(path).is_some() => Ok(ObjectRoute::Start(start_kind(path).unwrap())),
        (Method::Get, "/state") => Ok(ObjectRoute::State),
        (Method::Get, "/job") => Ok(ObjectRoute::Latest),
        (Method::Post, "/resume") => Ok(ObjectRoute::Resume),
        _ => Err(Reply::error(404, "not found")),
    }
}

fn start_kind(path: &str) -> Option<JobKind> {
    path.strip_prefix('/').and_then(JobKind::parse)
}

/// Why the object did not start a job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NotStarted {
    /// A backup with this second's id exists already.
    Exists(String),
    /// The id to restore or verify is not a backup id.
    BadId(BackupError),
    /// The backup to restore or verify is not complete (see [`ManifestLookup::complete`]).
    NotComplete(Reply),
    /// A job is running (one at a time).
    Running(Box<Job>),
}

impl NotStarted {
    pub(crate) fn reply(self) -> Reply {
        match self {
            Self::Exists(id) => Reply::error(409, format!("backup {id} exists: retry in a second")),
            Self::BadId(e) => Reply::error(400, e.to_string()),
            Self::NotComplete(reply) => reply,
            Self::Running(current) => {
                let message = format!("a {} of backup {} is running", current.kind(), current.backup_id);
                Reply::new(409, json!({"error": message, "current": current}))
            }
        }
    }
}

/// `GET /job`'s answer when the object holds no such job (`kind` as asked).
pub(crate) fn no_latest(kind: &str, id: &str) -> Reply {
    Reply::error(404, format!("no {kind} of backup {id}"))
}

/// `POST /resume`'s answer when no job is in progress.
pub(crate) fn nothing_to_resume() -> Reply {
    Reply::error(404, "no job in progress")
}

/// The backup a running job is writing, when the current job is a backup (listed as "running").
pub(crate) fn running_backup(current: &Value) -> Option<String> {
    let job: Job = serde_json::from_value(current.clone()).ok()?;
    (job.job_kind() == JobKind::Backup).then_some(job.backup_id)
}

/// One backup of `GET /admin/backups`: complete (its manifest's summary), invalid, running or
/// incomplete.
pub(crate) fn listing(
    id: &str,
    manifest: Option<&Result<Manifest, BackupError>>,
    running: Option<&str>,
) -> Value {
    match manifest {
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
        Some(Err(e)) => json!({"id": id, "status": "invalid", "error": e.to_string()}),
        None if running == Some(id) => json!({"id": id, "status": "running"}),
        None => json!({"id": id, "status": "incomplete"}),
    }
}

/// `GET /admin/backups`: the backups (newest first), the object's state, retention and schedule.
pub(crate) fn list_reply(backups: Vec<Value>, state: &Value) -> Reply {
    Reply::new(
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

#[cfg(test)]
mod tests;
