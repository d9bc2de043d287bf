//! Backup, restore and verification jobs as plain data: what `BackupObject` persists (rmp-serde)
//! between alarm steps and shows on `GET /admin/backups`, and the transitions a step applies.
//! The object does the I/O; every decision about progress, counts and failures is here.

use serde::{Deserialize, Serialize};

use super::manifest::{Manifest, NamespaceSummary, PartInfo, FORMAT};
use super::part::Record;
use super::retention::Kept;
use super::NAMESPACES;
use crate::primitives::calendar::iso8601;

/// A job fails after this many consecutive failed steps (each retried with backoff).
pub(crate) const MAX_CONSECUTIVE_FAILURES: u32 = 5;
const MAX_ERROR_SAMPLES: usize = 20;
const MAX_MISMATCH_SAMPLES: usize = 20;
/// KV refuses an expiration less than 60 s ahead; a restore skips keys expiring sooner than
/// this (with a margin for the time the write takes), and verification counts them as expired.
pub(crate) const MIN_RESTORE_TTL_SECS: u64 = 70;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum JobStatus {
    Running,
    Finished,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Job {
    /// The backup this job writes, restores or verifies.
    pub backup_id: String,
    /// `admin`, `cron:23 3 * * *`, …
    pub trigger: String,
    pub status: JobStatus,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub steps: u32,
    pub consecutive_failures: u32,
    pub errors: u32,
    pub error_samples: Vec<String>,
    pub task: Task,
}

/// What a job does (its [`Task`] without the progress): `backup`, `restore`, `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobKind {
    Backup,
    Restore,
    Verify,
}

impl JobKind {
    pub(crate) const ALL: [JobKind; 3] = [JobKind::Backup, JobKind::Restore, JobKind::Verify];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobKind::Backup => "backup",
            JobKind::Restore => "restore",
            JobKind::Verify => "verify",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "progress", rename_all = "lowercase")]
pub(crate) enum Task {
    Backup(BackupProgress),
    Restore(RestoreProgress),
    Verify(VerifyProgress),
}

impl Job {
    fn new(backup_id: String, trigger: String, now_ms: i64, task: Task) -> Self {
        Self {
            backup_id,
            trigger,
            status: JobStatus::Running,
            started_at_ms: now_ms,
            finished_at_ms: None,
            steps: 0,
            consecutive_failures: 0,
            errors: 0,
            error_samples: Vec::new(),
            task,
        }
    }

    pub(crate) fn backup(backup_id: String, trigger: String, now_ms: i64) -> Self {
        Self::new(backup_id, trigger, now_ms, Task::Backup(BackupProgress::new()))
    }

    pub(crate) fn restore(manifest: &Manifest, trigger: String, now_ms: i64) -> Self {
        let task = Task::Restore(RestoreProgress {
            parts: parts_of(manifest),
            next: 0,
            namespaces: manifest.namespaces.iter().map(|n| RestoreCounts::new(&n.binding)).collect(),
            restored: 0,
            skipped_expiring: 0,
            value_bytes: 0,
        });
        Self::new(manifest.id.clone(), trigger, now_ms, task)
    }

    pub(crate) fn verify(manifest: &Manifest, trigger: String, now_ms: i64) -> Self {
        let task = Task::Verify(VerifyProgress {
            parts: parts_of(manifest),
            next: 0,
            offset: 0,
            namespaces: manifest.namespaces.iter().map(|n| VerifyCounts::new(&n.binding)).collect(),
            totals: VerifyCounts::new("*"),
            mismatches: Vec::new(),
        });
        Self::new(manifest.id.clone(), trigger, now_ms, task)
    }

    pub(crate) fn job_kind(&self) -> JobKind {
        match self.task {
            Task::Backup(_) => JobKind::Backup,
            Task::Restore(_) => JobKind::Restore,
            Task::Verify(_) => JobKind::Verify,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        self.job_kind().as_str()
    }

    pub(crate) fn step_succeeded(&mut self) {
        self.steps += 1;
        self.consecutive_failures = 0;
    }

    /// Records a failed step. `Some(delay_ms)`: retry after that long; `None`: the job has
    /// failed for good (too many failures in a row) and is finished.
    pub(crate) fn step_failed(&mut self, error: String, now_ms: i64) -> Option<i64> {
        self.steps += 1;
        self.errors += 1;
        self.consecutive_failures += 1;
        if self.error_samples.len() < MAX_ERROR_SAMPLES {
            self.error_samples.push(error);
        }
        if self.consecutive_failures >= MAX_CONSECUTIVE_FAILURES {
            self.status = JobStatus::Failed;
            self.finished_at_ms = Some(now_ms);
            None
        } else {
            Some(1000 << self.consecutive_failures.min(6))
        }
    }

    pub(crate) fn finish(&mut self, now_ms: i64) {
        self.status = JobStatus::Finished;
        self.finished_at_ms = Some(now_ms);
    }

    /// One line for the logs: what the job did.
    pub(crate) fn summary(&self) -> String {
        match &self.task {
            Task::Backup(p) => {
                let keys: u64 = p.namespaces.iter().map(|n| n.keys).sum();
                let bytes: u64 = p.namespaces.iter().map(|n| n.value_bytes).sum();
                let parts: usize = p.namespaces.iter().map(|n| n.parts.len()).sum();
                let (pruned, objects) =
                    p.prune.as_ref().map_or((0, 0), |p| (p.delete.len(), p.objects_deleted));
                format!("{keys} keys, {bytes} value bytes, {parts} parts; pruned {pruned} backups ({objects} objects)")
            }
            Task::Restore(p) => format!(
                "restored {} keys, {} value bytes; skipped {} expired or expiring",
                p.restored, p.value_bytes, p.skipped_expiring
            ),
            Task::Verify(p) => {
                let t = &p.totals;
                format!(
                    "{} equal, {} different, {} missing, {} expired",
                    t.equal, t.different, t.missing, t.expired
                )
            }
        }
    }

    /// The manifest of a backup whose copy phase is over.
    pub(crate) fn manifest(&self, finished_at_ms: i64) -> Option<Manifest> {
        let Task::Backup(p) = &self.task else { return None };
        let namespaces: Vec<NamespaceSummary> = p
            .namespaces
            .iter()
            .map(|n| NamespaceSummary {
                binding: n.binding.clone(),
                keys: n.keys,
                value_bytes: n.value_bytes,
                part_bytes: n.part_bytes,
                vanished: n.vanished,
                parts: n.parts.clone(),
            })
            .collect();
        Some(Manifest {
            format: FORMAT.into(),
            id: self.backup_id.clone(),
            trigger: self.trigger.clone(),
            started_at: iso8601(self.started_at_ms),
            started_at_ms: self.started_at_ms,
            finished_at: iso8601(finished_at_ms),
            finished_at_ms,
            keys: namespaces.iter().map(|n| n.keys).sum(),
            value_bytes: namespaces.iter().map(|n| n.value_bytes).sum(),
            part_bytes: namespaces.iter().map(|n| n.part_bytes).sum(),
            namespaces,
        })
    }
}

// ---- backup ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NamespaceProgress {
    pub binding: String,
    pub keys: u64,
    pub value_bytes: u64,
    pub part_bytes: u64,
    pub vanished: u64,
    pub parts: Vec<PartInfo>,
    /// The KV list cursor of the page being copied (`None`: the first page).
    pub cursor: Option<String>,
    /// Keys of that page already copied.
    pub offset: u32,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PruneProgress {
    pub keep: Vec<Kept>,
    pub delete: Vec<String>,
    /// Index in `delete` of the backup being deleted.
    pub next: usize,
    pub objects_deleted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BackupProgress {
    pub namespaces: Vec<NamespaceProgress>,
    /// Index of the namespace being copied.
    pub next: usize,
    pub manifest_written: bool,
    pub prune: Option<PruneProgress>,
}

/// What the next step of a backup does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BackupPhase<'a> {
    /// Copy one page of this namespace into the next part.
    Copy {
        binding: &'a str,
        cursor: Option<&'a str>,
        offset: usize,
        part_number: u32,
    },
    /// Write the manifest, then choose what retention deletes.
    Manifest,
    /// Delete (a batch of) the objects of this backup.
    Prune {
        id: &'a str,
    },
    Done,
}

/// The outcome of one copy step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageStep {
    /// Keys of the listed page from the offset on.
    pub remaining: usize,
    /// How many of those this step copied (or found gone).
    pub consumed: usize,
    pub list_complete: bool,
    /// The cursor of the page after this one.
    pub cursor: Option<String>,
    /// The part written, if any key was copied.
    pub part: Option<PartInfo>,
    pub value_bytes: u64,
    pub vanished: u64,
}

impl BackupProgress {
    fn new() -> Self {
        let namespaces = NAMESPACES
            .iter()
            .map(|b| NamespaceProgress {
                binding: (*b).into(),
                keys: 0,
                value_bytes: 0,
                part_bytes: 0,
                vanished: 0,
                parts: Vec::new(),
                cursor: None,
                offset: 0,
                done: false,
            })
            .collect();
        Self { namespaces, next: 0, manifest_written: false, prune: None }
    }

    pub(crate) fn phase(&self) -> BackupPhase<'_> {
        if let Some(ns) = self.namespaces.get(self.next) {
            return BackupPhase::Copy {
                binding: &ns.binding,
                cursor: ns.cursor.as_deref(),
                offset: ns.offset as usize,
                part_number: ns.parts.len() as u32 + 1,
            };
        }
        if !self.manifest_written {
            return BackupPhase::Manifest;
        }
        match &self.prune {
            Some(p) if p.next < p.delete.len() => BackupPhase::Prune { id: &p.delete[p.next] },
            _ => BackupPhase::Done,
        }
    }

    pub(crate) fn apply_page(&mut self, step: PageStep) {
        let Some(ns) = self.namespaces.get_mut(self.next) else { return };
        if let Some(part) = step.part {
            ns.keys += u64::from(part.keys);
            ns.part_bytes += part.bytes;
            ns.parts.push(part);
        }
        ns.value_bytes += step.value_bytes;
        ns.vanished += step.vanished;
        if step.consumed < step.remaining {
            ns.offset += step.consumed as u32;
        } else if step.list_complete || step.cursor.is_none() {
            ns.done = true;
            ns.cursor = None;
            ns.offset = 0;
            self.next += 1;
        } else {
            ns.cursor = step.cursor;
            ns.offset = 0;
        }
    }

    pub(crate) fn manifest_written(&mut self, keep: Vec<Kept>, delete: Vec<String>) {
        self.manifest_written = true;
        self.prune = Some(PruneProgress { keep, delete, next: 0, objects_deleted: 0 });
    }

    /// One batch of the current pruned backup was deleted; `emptied` when none is left.
    pub(crate) fn pruned(&mut self, objects: u64, emptied: bool) {
        if let Some(p) = &mut self.prune {
            p.objects_deleted += objects;
            if emptied {
                p.next += 1;
            }
        }
    }
}

// ---- restore and verify --------------------------------------------------------------------

/// One part to read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartRef {
    pub binding: String,
    pub key: String,
    pub sha256: String,
    pub keys: u32,
}

fn parts_of(manifest: &Manifest) -> Vec<PartRef> {
    manifest
        .namespaces
        .iter()
        .flat_map(|n| {
            n.parts.iter().map(|p| PartRef {
                binding: n.binding.clone(),
                key: p.key.clone(),
                sha256: p.sha256.clone(),
                keys: p.keys,
            })
        })
        .collect()
}

/// Whether a key can be written back now: never expires, or expires far enough ahead.
pub(crate) fn restorable(expiration: Option<u64>, now_secs: u64) -> bool {
    expiration.is_none_or(|e| e >= now_secs + MIN_RESTORE_TTL_SECS)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestoreCounts {
    pub binding: String,
    pub restored: u64,
    pub skipped_expiring: u64,
    pub value_bytes: u64,
}

impl RestoreCounts {
    fn new(binding: &str) -> Self {
        Self { binding: binding.into(), restored: 0, skipped_expiring: 0, value_bytes: 0 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestoreProgress {
    pub parts: Vec<PartRef>,
    /// Index of the next part to restore.
    pub next: usize,
    pub namespaces: Vec<RestoreCounts>,
    pub restored: u64,
    pub skipped_expiring: u64,
    pub value_bytes: u64,
}

impl RestoreProgress {
    pub(crate) fn current(&self) -> Option<&PartRef> {
        self.parts.get(self.next)
    }

    /// The records of the current part to write back now, and how many were skipped.
    pub(crate) fn plan(records: &[Record], now_secs: u64) -> (Vec<&Record>, u64) {
        let put: Vec<&Record> = records.iter().filter(|r| restorable(r.expiration, now_secs)).collect();
        let skipped = (records.len() - put.len()) as u64;
        (put, skipped)
    }

    /// The current part was written back.
    pub(crate) fn part_done(&mut self, restored: u64, skipped: u64, value_bytes: u64) {
        let Some(part) = self.parts.get(self.next) else { return };
        if let Some(c) = self.namespaces.iter_mut().find(|c| c.binding == part.binding) {
            c.restored += restored;
            c.skipped_expiring += skipped;
            c.value_bytes += value_bytes;
        }
        self.restored += restored;
        self.skipped_expiring += skipped;
        self.value_bytes += value_bytes;
        self.next += 1;
    }
}

/// A key as KV holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Current {
    pub value: Vec<u8>,
    pub expiration: Option<u64>,
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Equal,
    /// Which of `value`, `expiration`, `metadata` differ.
    Different(Vec<&'static str>),
    Missing,
    /// Absent, and the backup's copy has expired (or was too close to expiry to restore).
    Expired,
}

pub(crate) fn compare(backup: &Record, current: Option<&Current>, now_secs: u64) -> Verdict {
    let Some(current) = current else {
        return if restorable(backup.expiration, now_secs) { Verdict::Missing } else { Verdict::Expired };
    };
    let mut differs = Vec::new();
    if current.value != backup.value {
        differs.push("value");
    }
    if current.expiration != backup.expiration {
        differs.push("expiration");
    }
    if current.metadata != backup.metadata {
        differs.push("metadata");
    }
    if differs.is_empty() {
        Verdict::Equal
    } else {
        Verdict::Different(differs)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VerifyCounts {
    pub binding: String,
    pub equal: u64,
    pub different: u64,
    pub missing: u64,
    pub expired: u64,
}

impl VerifyCounts {
    fn new(binding: &str) -> Self {
        Self { binding: binding.into(), equal: 0, different: 0, missing: 0, expired: 0 }
    }

    fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Equal => self.equal += 1,
            Verdict::Different(_) => self.different += 1,
            Verdict::Missing => self.missing += 1,
            Verdict::Expired => self.expired += 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Mismatch {
    pub binding: String,
    pub key: String,
    /// `missing`, or the fields that differ.
    pub differs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VerifyProgress {
    pub parts: Vec<PartRef>,
    pub next: usize,
    /// Records of the current part already compared.
    pub offset: u32,
    pub namespaces: Vec<VerifyCounts>,
    /// All namespaces together (`binding` is `*`).
    pub totals: VerifyCounts,
    /// The first few keys that are missing or differ.
    pub mismatches: Vec<Mismatch>,
}

impl VerifyProgress {
    pub(crate) fn current(&self) -> Option<&PartRef> {
        self.parts.get(self.next)
    }

    pub(crate) fn record(&mut self, binding: &str, key: &str, verdict: &Verdict) {
        self.totals.add(verdict);
        if let Some(c) = self.namespaces.iter_mut().find(|c| c.binding == binding) {
            c.add(verdict);
        }
        let differs: Vec<String> = match verdict {
            Verdict::Missing => vec!["missing".into()],
            Verdict::Different(fields) => fields.iter().map(|f| (*f).to_owned()).collect(),
            _ => return,
        };
        if self.mismatches.len() < MAX_MISMATCH_SAMPLES {
            self.mismatches.push(Mismatch { binding: binding.into(), key: key.into(), differs });
        }
    }

    /// `compared` more records of the current part (of `part_len`) were checked.
    pub(crate) fn advance(&mut self, compared: usize, part_len: usize) {
        let offset = self.offset as usize + compared;
        if offset >= part_len {
            self.next += 1;
            self.offset = 0;
        } else {
            self.offset = offset as u32;
        }
    }
}

#[cfg(test)]
mod tests;
