//! Operator endpoints, behind `Authorization: Bearer <ADMIN_TOKEN>` (a secret; locally from
//! `.dev.vars`, which `make deps` creates):
//!
//! - `PUT  /admin/raw/<sets|analyses|stats>/…`  put a raw source file into the R2 cache
//! - `GET  /admin/raw/…`                        a cached raw file (also `rejected/…`)
//! - `POST /admin/raw-manifest`                  register a cached statistics file
//! - `POST /admin/raw-prune`                     apply the statistics retention now (90 days)
//! - `POST /admin/ingest`                        start a run (`StartRequest`)
//! - `GET  /admin/ingest`                        the current and last run
//! - `POST /admin/ingest/resume`                 re-arm a run that stopped
//! - `GET  /admin/doc/<key>`                     a stored document (KV)
//! - `GET  /admin/index/<format>/stats`, `POST /admin/index/<format>/search`   inspect an index
//! - `/admin/backups…`                           KV backups, restore, verify (`edge::backup_object`)
//! - `GET /admin/alerts`, `POST /admin/alerts/check`  fleet alert state, a check now (`edge::monitor_object`)
//! - `GET  /admin/check`                         200 when the token is right (asked first by
//!   src/entry.mjs's `POST /admin/oauth/revoke`)
//!
//! Also the cron entry point, which starts upstream runs, the daily backup and the 5-minute
//! fleet alert check.

use rmcp::model::ErrorData;
use serde_json::json;
use worker::{event, Env, Method, Request, RequestInit, ScheduleContext, ScheduledEvent};

use super::convert;
use super::faults::Faults;
use super::ingest_object::StartRequest;
use super::raw_source::{RawSource, SourceMode};
use crate::ingest::manifest::StatsEntry;
use crate::policy::admin::{check, AdminAuth};
use crate::transport::HttpResponse;

/// Raw files can be large (a month of chaos statistics for a big format is several MiB).
const MAX_RAW_BYTES: usize = 25 * 1024 * 1024;

pub(super) async fn handle(req: Request, env: &Env, faults: Faults) -> HttpResponse {
    let auth = req.headers().get("Authorization").ok().flatten();
    let secret = env.secret("ADMIN_TOKEN").ok().map(|s| s.to_string());
    match check(auth.as_deref(), secret.as_deref()) {
        AdminAuth::Allowed => {}
        AdminAuth::Denied => {
            return HttpResponse::rpc_error(401, None, &ErrorData::invalid_request("Unauthorized", None))
                .with_header("WWW-Authenticate", "Bearer")
        }
        AdminAuth::Disabled => {
            return HttpResponse::json(503, &json!({"error": "admin disabled: set the ADMIN_TOKEN secret"}))
        }
    }
    route(req, env, faults)
        .await
        .unwrap_or_else(|e| HttpResponse::json(503, &json!({"error": e.to_string()})))
}

async fn route(mut req: Request, env: &Env, faults: Faults) -> worker::Result<HttpResponse> {
    let path = req.path();
    let method = req.method();
    if let Some(key) = path.strip_prefix("/admin/raw/") {
        if method == Method::Get
            && (valid_raw_key(key) || valid_raw_key(key.strip_prefix("rejected/").unwrap_or("")))
        {
            return Ok(match RawSource::new(env)?.get(key).await? {
                Some(body) => {
                    HttpResponse { status: 200, headers: Default::default(), body: body.into_bytes() }
                        .with_header("Content-Type", "application/octet-stream")
                }
                None => HttpResponse::json(404, &json!({"error": "no such raw file"})),
            });
        }
        if method != Method::Put || !valid_raw_key(key) {
            return Ok(bad("PUT or GET /admin/raw/{sets|analyses|stats}/<file> with a plain relative path"));
        }
        let headers = convert::headers(&req);
        let Some(body) = convert::body_capped(&mut req, &headers, MAX_RAW_BYTES).await? else {
            return Ok(bad("raw file larger than 25 MiB"));
        };
        RawSource::new(env)?.put(key, body).await?;
        return Ok(HttpResponse::json(201, &json!({"stored": key})));
    }
    match (method, path.as_str()) {
        // The JS entry's own operator routes (`/admin/oauth/…`, src/entry.mjs) ask here first, so
        // the admin rule lives once (policy::admin) and its refusals read the same.
        (Method::Get, "/admin/check") => Ok(HttpResponse::json(200, &json!({"admin": true}))),
        (Method::Post, "/admin/raw-manifest") => {
            let Ok(entry) = json_object::<StatsEntry>(&mut req).await else {
                return Ok(bad("body: a statistics entry {format, kind, month, cutoff, key}"));
            };
            if !valid_raw_key(&entry.key) {
                return Ok(bad("invalid key"));
            }
            if crate::ingest::guard::RawKind::from_stats_kind(entry.kind).is_none() {
                return Ok(bad("kind: chaos or moveset (the usage table is not cached)"));
            }
            RawSource::new(env)?.add_to_manifest(entry).await?;
            Ok(HttpResponse::json(201, &json!({"ok": true})))
        }
        (Method::Post, "/admin/raw-prune") => {
            let deleted = RawSource::new(env)?.prune_stats(super::clock::now_ms()).await?;
            let manifest = RawSource::new(env)?.manifest().await?;
            Ok(HttpResponse::json(200, &json!({"deleted": deleted, "manifest": manifest})))
        }
        (Method::Post, "/admin/ingest") => {
            let start: StartRequest = match json_object(&mut req).await {
                Ok(start) => start,
                // The operator's mistake: a 400, not a 503 that would page (and reach Sentry).
                Err(e) => return Ok(bad(&format!("body: {e}"))),
            };
            ingest(env, "/start", Some(serde_json::to_string(&start)?)).await
        }
        (Method::Get, "/admin/ingest") => ingest(env, "/state", None).await,
        (Method::Get, p) if p.starts_with("/admin/doc/") => {
            let key = percent_encoding::percent_decode_str(&p["/admin/doc/".len()..])
                .decode_utf8_lossy()
                .into_owned();
            if faults.kv_error() {
                return Err(worker::Error::RustError("KV read: injected fault".into()));
            }
            match env.kv("STRATEGY_KV")?.get(&key).text().await? {
                Some(body) => {
                    Ok(HttpResponse::json(200, &serde_json::from_str(&body).unwrap_or(json!(body))))
                }
                None => Ok(HttpResponse::json(404, &json!({"error": "no such document"}))),
            }
        }
        (Method::Post, "/admin/ingest/resume") => ingest(env, "/resume", None).await,
        (_, p) if p == "/admin/alerts" || p.starts_with("/admin/alerts/") => {
            super::monitor_object::admin(&req, env).await
        }
        (_, p) if p == "/admin/backups" || p.starts_with("/admin/backups/") => {
            super::backup_object::admin(req, env).await
        }
        (m, p) if p.starts_with("/admin/index/") => {
            let rest = &p["/admin/index/".len()..];
            let Some((format, action)) = rest.split_once('/') else { return Ok(bad("unknown index route")) };
            if !is_format_id(format)
                || !matches!((m.clone(), action), (Method::Get, "stats") | (Method::Post, "search"))
            {
                return Ok(bad("GET …/<format>/stats or POST …/<format>/search"));
            }
            let namespace = env.durable_object("INDEXES")?;
            if action == "search" {
                let stub = namespace.id_from_name(format)?.get_stub()?;
                return call(&stub, "/search", Some(req.text().await?)).await;
            }
            // The primary's figures, with searches counted over every replica.
            let mut replicas = Vec::new();
            for n in 0..super::index_object::replicas(env) {
                let stub =
                    namespace.id_from_name(&crate::ingest::replicas::replica_name(format, n))?.get_stub()?;
                let answer = call(&stub, "/stats", None).await?;
                if answer.status != 200 {
                    return Ok(answer);
                }
                let stats: super::index_object::IndexStats = serde_json::from_slice(&answer.body)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                replicas.push(stats);
            }
            let mut total = serde_json::to_value(&replicas[0]).unwrap_or_default();
            total["searchesServed"] = replicas.iter().map(|r| r.searches_served).sum::<u64>().into();
            total["replicas"] = serde_json::to_value(&replicas).unwrap_or_default();
            Ok(HttpResponse::json(200, &total))
        }
        _ => Ok(HttpResponse::json(404, &json!({"error": "not_found"}))),
    }
}

async fn ingest(env: &Env, path: &str, body: Option<String>) -> worker::Result<HttpResponse> {
    let stub = env.durable_object("INGEST")?.id_from_name("ingest")?.get_stub()?;
    call(&stub, path, body).await
}

async fn call(stub: &worker::Stub, path: &str, body: Option<String>) -> worker::Result<HttpResponse> {
    let mut init = RequestInit::new();
    init.with_method(if body.is_some() { Method::Post } else { Method::Get });
    if let Some(body) = body {
        init.with_body(Some(body.into()));
    }
    let req = Request::new_with_init(&format!("https://internal{path}"), &init)?;
    convert::from_response(stub.fetch_with_request(req).await?).await
}

/// An operator's JSON body, which must be an object (serde would read `[]` as a struct of
/// defaults: an empty array must not start a run).
async fn json_object<T: serde::de::DeserializeOwned>(req: &mut Request) -> std::result::Result<T, String> {
    let value: serde_json::Value = req.json().await.map_err(|e| e.to_string())?;
    if !value.is_object() {
        return Err("a JSON object is required".into());
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

fn valid_raw_key(key: &str) -> bool {
    let allowed_root = ["sets/", "analyses/", "stats/"].iter().any(|p| key.starts_with(p));
    let clean = key.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    allowed_root && clean && key.len() <= 200
}

fn is_format_id(s: &str) -> bool {
    s.len() <= 40 && s.starts_with("gen") && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn bad(message: &str) -> HttpResponse {
    HttpResponse::json(400, &json!({"error": message}))
}

/// Cron: sets, analyses and new statistics daily — always from upstream, cached in R2 — and the
/// backup and fleet-check crons.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    super::logging::init();
    if event.cron() == super::backup_object::CRON {
        return super::backup_object::scheduled(&env, &event.cron()).await;
    }
    if event.cron() == super::monitor_object::CRON {
        return super::monitor_object::scheduled(&env).await;
    }
    // Daily: sets, analyses, and the newest statistics month for the formats still missing it
    // (Smogon publishes early in the month; a format not there yet is retried the next day).
    let start = StartRequest {
        formats: None,
        source: SourceMode::Upstream,
        refresh_stats: true,
        only_new_stats: true,
        trigger: format!("cron:{}", event.cron()),
        ..StartRequest::default()
    };
    let result = match serde_json::to_string(&start) {
        Ok(body) => ingest(&env, "/start", Some(body)).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(r) if r.status == 202 => tracing::info!(cron = %event.cron(), "scheduled ingestion started"),
        Ok(r) => {
            tracing::warn!(cron = %event.cron(), status = r.status, "scheduled ingestion not started (one running?)");
        }
        Err(e) => tracing::error!(cron = %event.cron(), error = %e, "scheduled ingestion failed to start"),
    }
}
