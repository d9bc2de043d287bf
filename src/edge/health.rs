//! `/health`: KV, the client and index objects, corpus freshness (since the last successful
//! ingestion run) and size, and — when bound — Workers AI and Vectorize, each timed; plus the
//! configuration (server secrets, refused quota values). `/health/live` (in the router) stays
//! trivial.
//!
//! The deep checks (an object call each, an embedding and a Vectorize query) are remembered per
//! isolate for [`DEEP_CHECKS_TTL_MS`], keyed by the dataset version, so a burst of `/health`
//! calls costs two KV reads each; the router limits `/health` per address besides.

use std::cell::RefCell;
use std::future::Future;

use worker::Env;

use super::clock::now_ms;
use super::faults::Faults;
use super::index_object::IndexStats;
use crate::ingest::alert::LastRun;
use crate::policy::health::{corpus_check, summarize, Check, CheckStatus, LastSuccess};
use crate::policy::quotas::QuotaConfig;
use crate::transport::HttpResponse;

const CHECK_TIMEOUT_MS: u64 = 2_000;
/// The daily ingestion succeeds more often than this.
const MAX_CORPUS_AGE_MS: i64 = 3 * 24 * 3600 * 1000;
/// The format whose index stands for the corpus.
const REFERENCE_FORMAT: &str = "gen9ou";
/// How long an isolate reuses its deep checks.
pub(super) const DEEP_CHECKS_TTL_MS: i64 = 10_000;

/// Deep checks as last taken: when, under which dataset version, and what they found.
struct DeepChecks {
    at_ms: i64,
    dataset: Option<String>,
    clients: Check,
    index: (Check, Option<IndexStats>),
    semantic: Check,
}

thread_local! {
    static DEEP: RefCell<Option<DeepChecks>> = const { RefCell::new(None) };
}

pub(super) async fn report(env: &Env, quotas: &QuotaConfig, faults: Faults) -> HttpResponse {
    let (kv, last_run) = futures::join!(kv_check(env, faults), last_run(env, faults));
    let now = now_ms();
    // Faults (test build only) must show at once, so they bypass the memory.
    let reusable = faults.is_clear();
    let remembered = DEEP.with(|d| {
        d.borrow_mut()
            .take()
            .filter(|c| reusable && now - c.at_ms < DEEP_CHECKS_TTL_MS && c.dataset == kv.detail)
    });
    let (deep, age_ms) = match remembered {
        Some(deep) => {
            let age = now - deep.at_ms;
            (deep, Some(age))
        }
        None => {
            let (clients, index, semantic) = deep_checks(env, faults).await;
            (DeepChecks { at_ms: now, dataset: kv.detail.clone(), clients, index, semantic }, None)
        }
    };
    let mut checks = vec![kv, deep.clients.clone(), deep.index.0.clone()];
    if let Some(stats) = &deep.index.1 {
        let (status, detail) = corpus_check(
            stats.documents,
            last_run.as_ref().map(|r| LastSuccess { run_id: &r.run_id, finished_at_ms: r.finished_at_ms }),
            stats.updated_at_ms,
            now_ms(),
            MAX_CORPUS_AGE_MS,
        );
        checks.push(Check {
            name: "corpus",
            status,
            critical: false,
            latency_ms: None,
            detail: Some(detail),
        });
    }
    checks.push(deep.semantic.clone());
    checks.push(config_check(env, quotas));
    DEEP.with(|d| *d.borrow_mut() = Some(deep));
    let report = summarize(checks);
    let response =
        HttpResponse::json(report.http_status(), &serde_json::to_value(&report).unwrap_or_default())
            .with_header("Cache-Control", "no-store");
    match age_ms {
        Some(age) => response.with_header("X-Health-Deep-Checks-Age-Ms", age.to_string()),
        None => response,
    }
}

/// Server secrets and quota variables: a missing session key turns sessions off (critical:
/// clients that initialize cannot work); a missing pseudonym key or a refused quota value is
/// served around, but shown.
fn config_check(env: &Env, quotas: &QuotaConfig) -> Check {
    let mut problems: Vec<String> = quotas.problems.clone();
    let sessions_off = super::secrets::session_keys(env).is_none();
    if sessions_off {
        problems.insert(0, "SESSION_ID_KEY missing or shorter than 16 characters: sessions are off".into());
    }
    if super::secrets::pseudonym_key(env).is_none() {
        problems.push("PSEUDONYM_KEY missing: logs and metrics carry no client pseudonym".into());
    }
    Check {
        name: "config",
        status: match (sessions_off, problems.is_empty()) {
            (true, _) => CheckStatus::Failing,
            (false, true) => CheckStatus::Ok,
            (false, false) => CheckStatus::Degraded,
        },
        critical: true,
        latency_ms: None,
        detail: (!problems.is_empty()).then(|| problems.join("; ")),
    }
}

async fn kv_check(env: &Env, faults: Faults) -> Check {
    timed("kv", true, async {
        if faults.kv_error() {
            return Err(worker::Error::RustError("injected fault: KV read failed".into()));
        }
        let kv = env.kv("STRATEGY_KV")?;
        let version = kv.get(super::ingest_object::DATASET_VERSION_KEY).text().await;
        version
            .map(|v| v.map(|v| format!("dataset {v}")))
            .map_err(|e| worker::Error::RustError(e.to_string()))
    })
    .await
}

async fn deep_checks(env: &Env, faults: Faults) -> (Check, (Check, Option<IndexStats>), Check) {
    futures::join!(
        timed("clientObjects", true, async {
            let stub = env.durable_object("CLIENTS")?.id_from_name("health")?.get_stub()?;
            let resp = stub.fetch_with_str("https://client-object/health").await?;
            match resp.status_code() {
                200 => Ok(None),
                s => Err(worker::Error::RustError(format!("answered {s}"))),
            }
        }),
        index_stats(env),
        semantic(env, faults),
    )
}

/// The last successful ingestion run; `None` also when KV fails (the `kv` check reports that).
async fn last_run(env: &Env, faults: Faults) -> Option<LastRun> {
    if faults.kv_error() {
        return None;
    }
    let kv = env.kv("STRATEGY_KV").ok()?;
    let text = kv.get(super::ingest_object::LAST_INGEST_KEY).text().await.ok()??;
    serde_json::from_str(&text).ok()
}

async fn index_stats(env: &Env) -> (Check, Option<IndexStats>) {
    let mut stats = None;
    let check = timed("index", true, async {
        let stub = env.durable_object("INDEXES")?.id_from_name(REFERENCE_FORMAT)?.get_stub()?;
        let s: IndexStats = stub.fetch_with_str("https://index/stats").await?.json().await?;
        let detail = format!("{REFERENCE_FORMAT}: {} documents", s.documents);
        stats = Some(s);
        Ok(Some(detail))
    })
    .await;
    (check, stats)
}

/// Workers AI + Vectorize: optional, so failing degrades rather than fails.
async fn semantic(env: &Env, faults: Faults) -> Check {
    if env.ai("AI").is_err() || super::vectors::vectorize(env).is_none() {
        return Check {
            name: "semantic",
            status: CheckStatus::Unavailable,
            critical: false,
            latency_ms: None,
            detail: Some("Workers AI / Vectorize not bound here".into()),
        };
    }
    let backend = super::strategy_backend::EdgeBackend::new(env.clone());
    backend.set_faults(faults);
    let request = crate::search::hit::SearchRequest {
        query: "health check".into(),
        limit: 1,
        pokemon_id: None,
        pokemon_ids: Vec::new(),
        section: None,
        phrase: false,
    };
    let started = now_ms();
    let result = crate::tools::backend::StrategyBackend::semantic(&backend, REFERENCE_FORMAT, &request).await;
    let latency = Some((now_ms() - started) as f64);
    match result {
        Some(Ok(_)) => Check {
            name: "semantic",
            status: CheckStatus::Ok,
            critical: false,
            latency_ms: latency,
            detail: None,
        },
        Some(Err(e)) => Check {
            name: "semantic",
            status: CheckStatus::Degraded,
            critical: false,
            latency_ms: latency,
            detail: Some(e.to_string()),
        },
        None => Check {
            name: "semantic",
            status: CheckStatus::Unavailable,
            critical: false,
            latency_ms: None,
            detail: None,
        },
    }
}

async fn timed(
    name: &'static str,
    critical: bool,
    check: impl Future<Output = worker::Result<Option<String>>>,
) -> Check {
    use futures::future::{select, Either};
    let started = now_ms();
    let timer = worker::Delay::from(std::time::Duration::from_millis(CHECK_TIMEOUT_MS));
    let outcome = match select(std::pin::pin!(check), std::pin::pin!(timer)).await {
        Either::Left((Ok(detail), _)) => (CheckStatus::Ok, detail),
        Either::Left((Err(e), _)) => (CheckStatus::Failing, Some(e.to_string())),
        Either::Right(_) => (CheckStatus::Failing, Some(format!("no answer within {CHECK_TIMEOUT_MS} ms"))),
    };
    Check {
        name,
        status: outcome.0,
        critical,
        latency_ms: Some((now_ms() - started) as f64),
        detail: outcome.1,
    }
}
