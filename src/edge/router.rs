//! The routing Worker: public routes, the `/mcp` gate, and forwarding to the client's object.

use rmcp::model::ErrorData;
use serde_json::json;
use worker::{event, Context, Env, Request, RequestInit, Response, Result};

use super::convert;
use crate::mcp::session::{owner_for, SessionId};
use crate::mcp::version::{self, Revision};
use crate::transport::gate::{self, GateConfig, Verdict};
use crate::transport::streamable::{SESSION_HEADER, VERSION_HEADER};
use crate::transport::{client_key, Headers, HttpResponse};

/// Header carrying the owning object's name from router to object (never from the outside: the
/// router builds the forwarded request from scratch).
pub const OWNER_HEADER: &str = "X-Porygon-Owner";
const CLIENTS_BINDING: &str = "CLIENTS";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let response = match req.path().as_str() {
        "/health/live" => HttpResponse::json(200, &json!({"status": "ok"})),
        "/mcp" => mcp(req, &env).await,
        _ => HttpResponse::json(404, &json!({"error": "not_found", "message": "See /mcp"})),
    };
    convert::response(response)
}

async fn mcp(req: Request, env: &Env) -> HttpResponse {
    let cfg = gate_config(env);
    let origin = req.headers().get("Origin").ok().flatten();
    let mut response = match forward(req, env, &cfg).await {
        Ok(r) => r,
        Err(e) => {
            // A platform failure (object unreachable, stream broken) is ours, not the client's:
            // 503 with a JSON-RPC body and a retry hint, never a bare 500.
            tracing::error!(error = %e, "forwarding to client object failed");
            HttpResponse::rpc_error(
                503,
                None,
                &ErrorData::internal_error("Temporarily unavailable; retry", None),
            )
            .with_header("Retry-After", "1")
        }
    };
    for (k, v) in gate::cors_headers(origin.as_deref(), &cfg) {
        response.headers.insert(k, v);
    }
    response
}

async fn forward(req: Request, env: &Env, cfg: &GateConfig) -> Result<HttpResponse> {
    let headers = convert::headers(&req);
    if let Verdict::Respond(r) = gate::check(convert::method(&req), &headers, cfg) {
        return Ok(r);
    }
    // 2026-07-28 has no sessions: there an Mcp-Session-Id is ignored (spec, Backward
    // Compatibility), so it must not pick the object either.
    let stateless = headers
        .get(VERSION_HEADER)
        .and_then(|v| version::parse_supported(v.trim()))
        .is_some_and(|v| v.is_stateless());
    // A session id routes to the object that issued it; anything else goes to the client's own
    // object, which also answers unknown or malformed ids (404, echoing the request id).
    let owner = headers
        .get(SESSION_HEADER)
        .filter(|_| !stateless)
        .and_then(|raw| SessionId::parse(raw.trim()))
        .map_or_else(|| owner_for(&client_key(&headers)), |id| id.owner);
    let Some(http) = convert::request(req, cfg.max_body_bytes).await? else {
        return Ok(HttpResponse::rpc_error(
            413,
            None,
            &ErrorData::invalid_request("Payload too large: the limit is 1 MiB", None),
        ));
    };

    let forwarded = worker::Headers::new();
    for (k, v) in http.headers.iter() {
        if !k.eq_ignore_ascii_case(OWNER_HEADER) {
            forwarded.append(k, v)?;
        }
    }
    forwarded.set(OWNER_HEADER, &owner)?;
    let mut init = RequestInit::new();
    init.with_method(worker::Method::from(method_name(&http).to_owned()))
        .with_headers(forwarded);
    if !http.body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(http.body.as_slice()).into()));
    }
    let inner = Request::new_with_init("https://client-object/mcp", &init)?;
    let stub = env
        .durable_object(CLIENTS_BINDING)?
        .id_from_name(&owner)?
        .get_stub()?;
    convert::from_response(stub.fetch_with_request(inner).await?).await
}

fn method_name(http: &crate::transport::HttpRequest) -> &'static str {
    use crate::transport::Method::*;
    match http.method {
        Get => "GET",
        Post => "POST",
        Delete => "DELETE",
        Options => "OPTIONS",
        Head => "HEAD",
        Other => "POST",
    }
}

/// Anonymous identity: the connecting address (set by Cloudflare's edge; wrangler dev sets it too).
fn client_key(headers: &Headers) -> String {
    headers
        .get("CF-Connecting-IP")
        .and_then(client_key::from_ip)
        .unwrap_or_else(|| "ip:unknown".to_owned())
}

fn gate_config(env: &Env) -> GateConfig {
    let origins = env
        .var("ALLOWED_ORIGINS")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let origins = if origins.trim().is_empty() {
        "https://claude.ai".to_owned()
    } else {
        origins
    };
    GateConfig::from_list(&origins)
}
