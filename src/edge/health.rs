//! `/health`: KV, the client and index objects, corpus freshness (since the last successful
//! ingestion run) and size, and — when bound — Workers AI and Vectorize, each timed.
//! `/health/live` (in the router) stays trivial.

use std::future::Future;

use worker::Env;

use super::index_object::IndexStats;
use crate::ingest::alert::LastRun;
use crate::policy::health::{corpus_check, summarize, Check, CheckStatus};
use crate::transport::HttpResponse;

const CHECK_TIMEOUT_MS: u64 = 2_000;
/// The daily ingestion succeeds more often than this.
const MAX_CORPUS_AGE_MS: i64 = 3 * 24 * 3600 * 1000;
/// The format whose index stands for the corpus.
const REFERENCE_FORMAT: &str = "gen9ou";

pub async fn report(env: &Env) -> HttpResponse {
    let (kv, clients, index, semantic, last_run) = futures::join!(
        timed("kv", true, async {
            if super::faults::current().kv_error {
                return Err(worker::Error::RustError("injected fault: KV read failed".into()));
            }
            let kv = env.kv("STRATEGY_KV")?;
            let version = kv.get(super::ingest_object::DATASET_VERSION_KEY).text().await;
            version
                .map(|v| v.map(|v| format!("dataset {v}")))
                .map_err(|e| worker::Error::RustError(e.to_string()))
        }),
        timed("clientObjects", true, async {
            let stub = env.durable_object("CLIENTS")?.id_from_name("health")?.get_stub()?;
            let resp = stub.fetch_with_str("https://client-object/health").await?;
            match resp.status_code() {
                200 => Ok(None),
                s => Err(worker::Error::RustError(format!("answered {s}"))),
            }
        }),
        index_stats(env),
        semantic(env),
        last_run(env),
    );
    let (index_check, stats) = index;
    let mut checks = vec![kv, clients, index_check];
    if let Some(stats) = stats {
        let (status, detail) = corpus_check(
            stats.documents,
            last_run.as_ref(),
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
    checks.push(semantic);
    let report = summarize(checks);
    HttpResponse::json(report.http_status(), &serde_json::to_value(&report).unwrap_or_default())
        .with_header("Cache-Control", "no-store")
}

/// The last successful ingestion run; `None` also when KV fails (the `kv` check reports that).
async fn last_run(env: &Env) -> Option<LastRun> {
    if super::faults::current().kv_error {
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
async fn semantic(env: &Env) -> Check {
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
    let request = crate::search::hit::SearchRequest {
        query: "health check".into(),
        limit: 1,
        pokemon_id: None,
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

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
