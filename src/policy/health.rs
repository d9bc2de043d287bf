//! `/health`: each dependency checked with its latency, folded into one verdict.
//!
//! Critical dependencies (KV, the client objects, the index) failing make the service unhealthy
//! (503); optional ones (semantic search) failing, or a stale or empty corpus, leave it serving
//! but degraded (200, visible in the body).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CheckStatus {
    Ok,
    /// Working, but not as it should (stale corpus, optional dependency down).
    Degraded,
    Failing,
    /// Not configured here (Workers AI and Vectorize locally).
    Unavailable,
}

impl CheckStatus {
    /// As the body writes it.
    #[cfg(test)]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Failing => "failing",
            Self::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Check {
    pub name: &'static str,
    pub status: CheckStatus,
    pub critical: bool,
    pub latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// Ok, degraded or failing.
    pub status: CheckStatus,
    pub checks: Vec<Check>,
}

impl Report {
    pub(crate) fn http_status(&self) -> u16 {
        if self.status == CheckStatus::Failing {
            503
        } else {
            200
        }
    }
}

pub(crate) fn summarize(checks: Vec<Check>) -> Report {
    let failing = checks.iter().any(|c| c.critical && c.status == CheckStatus::Failing);
    let degraded = checks.iter().any(|c| matches!(c.status, CheckStatus::Degraded | CheckStatus::Failing));
    let status = if failing {
        CheckStatus::Failing
    } else if degraded {
        CheckStatus::Degraded
    } else {
        CheckStatus::Ok
    };
    Report { status, checks }
}

/// The last successful ingestion run, as far as freshness is concerned (the edge reads it from
/// the run's KV record, `ingest::alert::LastRun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LastSuccess<'a> {
    pub run_id: &'a str,
    pub finished_at_ms: i64,
}

/// Corpus freshness: the time since the last successful ingestion run finished must be under
/// `max_age_ms`, and the index must hold documents. Not the newest document write: a daily run
/// that finds upstream unchanged writes nothing, and the corpus is current all the same. Without
/// a recorded run (before the first one since this was introduced), the index's newest write
/// stands in.
pub(crate) fn corpus_check(
    documents: i64,
    last_run: Option<LastSuccess<'_>>,
    index_updated_at_ms: Option<i64>,
    now_ms: i64,
    max_age_ms: i64,
) -> (CheckStatus, String) {
    if documents == 0 {
        return (CheckStatus::Degraded, "the index is empty: no corpus has been ingested".into());
    }
    let status = |t: i64| if now_ms - t > max_age_ms { CheckStatus::Degraded } else { CheckStatus::Ok };
    let ago = |t: i64| match now_ms - t {
        age if age > max_age_ms => format!("{} h ago", age / 3_600_000),
        age => format!("{} min ago", age / 60_000),
    };
    match (last_run, index_updated_at_ms) {
        (Some(run), _) => (
            status(run.finished_at_ms),
            format!(
                "{documents} documents, last successful ingestion ({}) finished {}",
                run.run_id,
                ago(run.finished_at_ms)
            ),
        ),
        (None, Some(t)) => (
            status(t),
            format!("{documents} documents, updated {} (no successful ingestion run recorded)", ago(t)),
        ),
        (None, None) => (CheckStatus::Degraded, format!("{documents} documents, update time unknown")),
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
        assert_eq!((ok.status.as_str(), ok.http_status()), ("ok", 200));
        assert_eq!(serde_json::to_value(&ok).unwrap()["status"], "ok");
        let degraded = summarize(vec![
            check("kv", CheckStatus::Ok, true),
            check("semantic", CheckStatus::Failing, false),
        ]);
        assert_eq!((degraded.status.as_str(), degraded.http_status()), ("degraded", 200));
        let failing = summarize(vec![check("kv", CheckStatus::Failing, true)]);
        assert_eq!((failing.status.as_str(), failing.http_status()), ("failing", 503));
        for s in [CheckStatus::Ok, CheckStatus::Degraded, CheckStatus::Failing, CheckStatus::Unavailable] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    const DAY: i64 = 86_400_000;

    fn run_at(ms: i64) -> LastSuccess<'static> {
        LastSuccess { run_id: "run-7", finished_at_ms: ms }
    }

    #[test]
    fn corpus_freshness_without_a_recorded_run_falls_back_to_the_newest_write() {
        assert_eq!(corpus_check(0, None, None, 0, DAY).0, CheckStatus::Degraded);
        assert_eq!(corpus_check(0, Some(run_at(0)), Some(0), 1, DAY).0, CheckStatus::Degraded, "empty");
        assert_eq!(corpus_check(10, None, Some(0), DAY - 1, DAY).0, CheckStatus::Ok);
        let (status, detail) = corpus_check(10, None, Some(0), DAY + 1, DAY);
        assert_eq!(status, CheckStatus::Degraded);
        assert_eq!(detail, "10 documents, updated 24 h ago (no successful ingestion run recorded)");
        assert_eq!(corpus_check(10, None, None, 0, DAY).0, CheckStatus::Degraded);
    }

    #[test]
    fn an_unchanged_upstream_is_fresh_while_runs_succeed() {
        // Documents last written 30 days ago, but the daily run succeeded an hour ago: before,
        // this read "degraded" three days after upstream stopped changing.
        let now = 30 * DAY;
        let (status, detail) = corpus_check(10, Some(run_at(now - 3_600_000)), Some(0), now, 3 * DAY);
        assert_eq!(status, CheckStatus::Ok);
        assert_eq!(detail, "10 documents, last successful ingestion (run-7) finished 60 min ago");
    }

    #[test]
    fn no_successful_run_for_too_long_is_stale_even_with_recent_writes() {
        // Runs that fail (and are not recorded) may still write documents.
        let now = 30 * DAY;
        let (status, detail) =
            corpus_check(10, Some(run_at(now - 4 * DAY)), Some(now - 60_000), now, 3 * DAY);
        assert_eq!(status, CheckStatus::Degraded);
        assert_eq!(detail, "10 documents, last successful ingestion (run-7) finished 96 h ago");
    }
}
