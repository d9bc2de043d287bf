//! Run reports and the alert webhook: an HMAC-SHA256-signed JSON POST when a run's errors pass
//! the threshold or the run refused something (an upstream file, a mass delete: `ingest::guard`),
//! so the receiver can verify it came from us.

use hmac::Mac;
use serde::{Deserialize, Serialize};

use crate::primitives::digest::hmac_sha256;
use crate::primitives::hex::hex;

/// Errors in one run above which the webhook fires (issue #4: default 5).
pub(crate) const DEFAULT_ERROR_THRESHOLD: u32 = 5;
/// Header carrying `sha256=<hex hmac of the body>`.
pub(crate) const SIGNATURE_HEADER: &str = "X-Porygon-Signature";

/// Error samples and notes kept per run (the counts are exact).
const MAX_SAMPLES: usize = 20;

/// What a finished (or failed) run reports: to logs, Analytics Engine and, past the threshold,
/// the webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunReport {
    pub run_id: String,
    pub trigger: String,
    pub pokemon_processed: u32,
    /// New or changed documents (KV, FTS and, where bound, vectors).
    pub documents_written: u32,
    pub documents_deleted: u32,
    /// Documents whose content did not change (including those refreshed or re-embedded).
    pub documents_unchanged: u32,
    /// Unchanged documents whose KV body was rewritten for a fresh TTL (`ingest::diff`).
    #[serde(default)]
    pub documents_refreshed: u32,
    /// Unchanged documents given a vector: missing before, or a requested rebuild.
    #[serde(default)]
    pub documents_reembedded: u32,
    pub embeddings_generated: u32,
    pub errors: u32,
    pub error_samples: Vec<String>,
    /// Worth an operator's attention but not errors (a statistics month not published yet).
    #[serde(default)]
    pub notes: Vec<String>,
    /// What the run refused to take (an upstream file that failed `ingest::guard::vet`, a mass
    /// delete): the last good data stayed. Each is a note too; any refusal sends the alert.
    #[serde(default)]
    pub refusals: Vec<String>,
    pub duration_ms: u64,
}

impl RunReport {
    pub(crate) fn needs_alert(&self, threshold: u32) -> bool {
        self.errors > threshold || !self.refusals.is_empty()
    }

    /// The alert's `event`: a refusal outranks errors (it needs an operator's decision).
    pub(crate) fn alert_event(&self) -> &'static str {
        if self.refusals.is_empty() {
            "ingestion.errors"
        } else {
            "ingestion.refused"
        }
    }

    /// Only a run without errors or refusals vouches for the corpus being current (`/health`'s
    /// freshness): a refusal kept older data.
    pub(crate) fn succeeded(&self) -> bool {
        self.errors == 0 && self.refusals.is_empty()
    }

    /// Records a refusal: in `refusals` (which alerts) and in `notes` (what operators read).
    pub(crate) fn refuse(&mut self, message: String) {
        if self.refusals.contains(&message) {
            return;
        }
        tracing::warn!(refusal = %message, "ingestion refused");
        if self.refusals.len() < MAX_SAMPLES {
            self.refusals.push(message.clone());
        }
        self.note(message);
    }

    pub(crate) fn record_error(&mut self, message: String) {
        tracing::warn!(error = %message, "ingestion error");
        self.errors += 1;
        if self.error_samples.len() < MAX_SAMPLES {
            self.error_samples.push(message);
        }
    }

    /// Records `message` once per run (a format's steps may each come across it).
    pub(crate) fn note(&mut self, message: String) {
        if self.notes.len() < MAX_SAMPLES && !self.notes.contains(&message) {
            tracing::info!(note = %message, "ingestion note");
            self.notes.push(message);
        }
    }
}

/// The note for a statistics month the upstream does not have (yet): normal early in a month,
/// so neither an error nor an alert, but visible. `kept`: the newest cached month still in use.
pub(crate) fn stats_not_published(format: &str, month: &str, kept: Option<&str>) -> String {
    let kept = match kept {
        Some(m) => format!("kept {m}"),
        None => "no statistics are cached for it".to_owned(),
    };
    format!("usage statistics for {format} {month} are not published yet; {kept}")
}

/// The last successful run, as `/health` reads it (KV `meta:last-ingest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LastRun {
    pub run_id: String,
    pub trigger: String,
    pub finished_at_ms: i64,
}

/// `sha256=<hex>` of `body` under `secret`.
pub(crate) fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = hmac_sha256(secret);
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// Constant-time check of a signature header, as a receiver does it (the tests' receiver).
#[cfg(test)]
pub(crate) fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else { return false };
    let Some(sig) = crate::primitives::hex::unhex(hex_sig) else { return false };
    let mut mac = hmac_sha256(secret);
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_detect_tampering() {
        // RFC 4231 test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", &sig));
        assert!(!verify(b"other", b"what do ya want for nothing?", &sig));
        assert!(!verify(b"Jefe", b"x", "md5=00"));
        assert!(!verify(b"Jefe", b"x", "sha256=zz"));
    }

    #[test]
    fn notes_are_kept_once_and_are_not_errors() {
        let mut r = RunReport::default();
        let note = stats_not_published("gen9ou", "2026-10", Some("2024-06"));
        assert_eq!(note, "usage statistics for gen9ou 2026-10 are not published yet; kept 2024-06");
        r.note(note.clone());
        r.note(note);
        assert_eq!(r.notes.len(), 1);
        assert_eq!(r.errors, 0);
        assert!(r.succeeded() && !r.needs_alert(0));
        r.record_error("gen9ou: vectors: down".into());
        assert!(!r.succeeded());
        assert_eq!(
            stats_not_published("gen2nu", "2024-06", None),
            "usage statistics for gen2nu 2024-06 are not published yet; no statistics are cached for it"
        );
    }

    #[test]
    fn reports_persisted_before_the_new_counters_still_load() {
        let old = serde_json::json!({
            "runId": "run-1", "trigger": "admin", "pokemonProcessed": 1, "documentsWritten": 2,
            "documentsDeleted": 0, "documentsUnchanged": 3, "embeddingsGenerated": 0, "errors": 0,
            "errorSamples": [], "durationMs": 5
        });
        let r: RunReport = serde_json::from_value(old).unwrap();
        assert_eq!((r.documents_refreshed, r.documents_reembedded, r.notes.len()), (0, 0, 0));
        assert!(r.refusals.is_empty());
    }

    #[test]
    fn a_refusal_is_a_note_and_always_alerts() {
        let mut r = RunReport::default();
        assert_eq!(r.alert_event(), "ingestion.errors");
        r.refuse("gen9ou: upstream sets refused (empty body); kept the last good version".into());
        r.refuse("gen9ou: upstream sets refused (empty body); kept the last good version".into());
        assert_eq!(r.refusals.len(), 1);
        assert_eq!(r.notes, r.refusals);
        assert_eq!(r.errors, 0);
        assert!(r.needs_alert(u32::MAX), "whatever the error threshold");
        assert!(!r.succeeded(), "older data was kept: not fresh");
        assert_eq!(r.alert_event(), "ingestion.refused");
    }

    #[test]
    fn threshold_is_strictly_more_than() {
        let mut r = RunReport { errors: DEFAULT_ERROR_THRESHOLD, ..Default::default() };
        assert!(!r.needs_alert(DEFAULT_ERROR_THRESHOLD));
        r.errors += 1;
        assert!(r.needs_alert(DEFAULT_ERROR_THRESHOLD));
    }
}
