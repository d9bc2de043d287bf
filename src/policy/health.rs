//! `/health`: each dependency checked with its latency, folded into one verdict.
//!
//! Critical dependencies (KV, the client objects, the index) failing make the service unhealthy
//! (503); optional ones (semantic search) failing, or a stale or empty corpus, leave it serving
//! but degraded (200, visible in the body).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    /// Working, but not as it should (stale corpus, optional dependency down).
    Degraded,
    Failing,
    /// Not configured here (Workers AI and Vectorize locally).
    Unavailable,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub name: &'static str,
    pub status: CheckStatus,
    pub critical: bool,
    pub latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: &'static str,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn http_status(&self) -> u16 {
        if self.status == "failing" {
            503
        } else {
            200
        }
    }
}

pub fn summarize(checks: Vec<Check>) -> Report {
    let failing = checks.iter().any(|c| c.critical && c.status == CheckStatus::Failing);
    let degraded = checks.iter().any(|c| matches!(c.status, CheckStatus::Degraded | CheckStatus::Failing));
    let status = if failing {
        "failing"
    } else if degraded {
        "degraded"
    } else {
        "ok"
    };
    Report { status, checks }
}

/// Corpus freshness: the newest index update must be younger than `max_age_ms`, and the index
/// must hold documents.
pub fn corpus_check(
    documents: i64,
    updated_at_ms: Option<i64>,
    now_ms: i64,
    max_age_ms: i64,
) -> (CheckStatus, String) {
    match updated_at_ms {
        _ if documents == 0 => {
            (CheckStatus::Degraded, "the index is empty: no corpus has been ingested".into())
        }
        Some(t) if now_ms - t > max_age_ms => (
            CheckStatus::Degraded,
            format!("{documents} documents, last updated {} h ago", (now_ms - t) / 3_600_000),
        ),
        Some(t) => {
            (CheckStatus::Ok, format!("{documents} documents, updated {} min ago", (now_ms - t) / 60_000))
        }
        None => (CheckStatus::Degraded, format!("{documents} documents, update time unknown")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, status: CheckStatus, critical: bool) -> Check {
        Check { name, status, critical, latency_ms: Some(1.0), detail: None }
    }

    #[test]
    fn verdicts() {
        let ok = summarize(vec![
            check("kv", CheckStatus::Ok, true),
            check("semantic", CheckStatus::Unavailable, false),
        ]);
        assert_eq!((ok.status, ok.http_status()), ("ok", 200));
        let degraded = summarize(vec![
            check("kv", CheckStatus::Ok, true),
            check("semantic", CheckStatus::Failing, false),
        ]);
        assert_eq!((degraded.status, degraded.http_status()), ("degraded", 200));
        let failing = summarize(vec![check("kv", CheckStatus::Failing, true)]);
        assert_eq!((failing.status, failing.http_status()), ("failing", 503));
    }

    #[test]
    fn corpus_freshness() {
        let day = 86_400_000;
        assert_eq!(corpus_check(0, None, 0, day).0, CheckStatus::Degraded);
        assert_eq!(corpus_check(10, Some(0), day - 1, day).0, CheckStatus::Ok);
        assert_eq!(corpus_check(10, Some(0), day + 1, day).0, CheckStatus::Degraded);
    }
}
