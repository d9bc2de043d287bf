//! Bench-only routes (cargo feature `bench`, and ENVIRONMENT=local): what the limiter is
//! measured against. Never part of a deployable build.

use rmcp::model::ErrorData;
use serde_json::json;
use worker::{Env, Request};

use super::convert;
use super::object_call::call_object;
use crate::mcp::session::owner_for;
use crate::policy::client_key;
use crate::transport::HttpResponse;

const PLAN_LIMIT_PER_MINUTE: u64 = 100;

pub(super) async fn handle(req: Request, env: &Env) -> HttpResponse {
    if env.var("ENVIRONMENT").map(|v| v.to_string()).ok().as_deref() != Some("local") {
        return HttpResponse::json(404, &json!({"error": "not_found"}));
    }
    let path = req.path();
    let result = match path.as_str() {
        "/bench/kv-counter/mcp" => kv_counter(req, env).await,
        "/bench/unlimited/mcp" => unlimited(req, env).await,
        "/bench/storage" => storage(req, env).await,
        _ => Ok(HttpResponse::json(404, &json!({"error": "not_found"}))),
    };
    result.unwrap_or_else(|e| HttpResponse::json(503, &json!({"error": e.to_string()})))
}

fn owner(req: &Request) -> String {
    let ip = req.headers().get("CF-Connecting-IP").ok().flatten();
    owner_for(&ip.as_deref().and_then(client_key::from_ip).unwrap_or_else(|| "ip:unknown".into()))
}

/// The plan's limiter, reproduced faithfully: read the client's counter from KV, refuse at the
/// limit, otherwise write counter + 1 with a 60 s TTL. Get-then-put is not atomic, and KV is
/// eventually consistent: concurrent requests read the same count.
async fn kv_counter(req: Request, env: &Env) -> worker::Result<HttpResponse> {
    let key = format!("ratelimit:{}", owner(&req));
    let kv = env.kv("STRATEGY_KV")?;
    let count: u64 = kv.get(&key).text().await?.and_then(|t| t.parse().ok()).unwrap_or(0);
    if count >= PLAN_LIMIT_PER_MINUTE {
        return Ok(HttpResponse::rpc_error(
            429,
            None,
            &ErrorData::invalid_request("Rate limit exceeded", None),
        ));
    }
    kv.put(&key, (count + 1).to_string())?.expiration_ttl(60).execute().await?;
    unlimited(req, env).await
}

/// The same request, served with no limiter at all.
async fn unlimited(req: Request, env: &Env) -> worker::Result<HttpResponse> {
    let owner = owner(&req);
    let headers = convert::headers(&req);
    let Some(http) = convert::request(req, headers, crate::transport::gate::MAX_BODY_BYTES).await? else {
        return Ok(HttpResponse::empty(413));
    };
    call_object(env, &owner, "/mcp", None, &http).await
}

/// The SQLite size of the object holding client key `?key=` (`ip:1.2.3.4`, `key:k_…`).
async fn storage(req: Request, env: &Env) -> worker::Result<HttpResponse> {
    let url = req.url()?;
    let key = url.query_pairs().find(|(k, _)| k == "key").map(|(_, v)| v.into_owned()).unwrap_or_default();
    let stub = env.durable_object("CLIENTS")?.id_from_name(&owner_for(&key))?.get_stub()?;
    convert::from_response(stub.fetch_with_str("https://client-object/bench/storage").await?).await
}
