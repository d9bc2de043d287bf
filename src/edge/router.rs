//! The routing Worker: public routes, the `/mcp` gate, rate limiting, and forwarding to the
//! client's Durable Object.

use std::cell::RefCell;

use rmcp::model::ErrorData;
use serde_json::json;
use worker::{event, Context, Env, Request, RequestInit, Response, Result};

use super::client_object::LIMIT_PATH;
use super::faults::{self, Faults, FAULT_HEADER};
use super::{api_keys, convert, telemetry};
use crate::mcp::session::{hex, SessionId};
use crate::mcp::version::{self, Revision};
use crate::observe::request::{client_pseudonym, LimiterDecision};
use crate::observe::{RequestRecord, RpcSummary, SentryConfig};
use crate::policy::api_keys::{bearer_token, AuthError};
use crate::policy::deny_cache::{Denial, DenyCache};
use crate::policy::quotas::{self, encode_policy, Identity, Limit, QuotaConfig};
use crate::transport::gate::{self, GateConfig, Verdict};
use crate::transport::ratelimit::{self, BLOCKED_UNTIL_HEADER, POLICY_HEADER, STATE_HEADER};
use crate::transport::streamable::{
    CACHE_REPORT_HEADER, DEGRADATION_REPORT_HEADER, ERROR_REPORT_HEADER, HANDLER_MS_HEADER, SESSION_HEADER,
    VERSION_HEADER,
};
use crate::transport::{HttpRequest, HttpResponse, Method};

/// Router → object: the object's own name (never taken from the outside: forwarded requests are
/// built from scratch and these headers are overwritten).
pub const OWNER_HEADER: &str = "X-Porygon-Owner";
/// Router → object: enforce this policy (`100/60,1000/3600`) against your log before serving.
pub const LIMIT_HEADER: &str = "X-Porygon-Limit";
const CLIENTS_BINDING: &str = "CLIENTS";

thread_local! {
    static DENIED: RefCell<DenyCache> = RefCell::new(DenyCache::default());
}

/// Router → object: the request id, for the object's own logs and error reports.
pub const REQUEST_ID_HEADER: &str = "X-Porygon-Request-Id";

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    super::logging::init();
    let request_id = telemetry::request_id(req.headers().get("cf-ray").ok().flatten());
    let path = req.path();
    let faults =
        Faults::from_header(&telemetry::environment(&env), req.headers().get(FAULT_HEADER)?.as_deref());
    faults::set_current(faults);
    let sentry = telemetry::sentry_config(&env);
    let wait_until_target: &wasm_bindgen::JsValue = ctx.as_ref().as_ref();
    telemetry::enter(wait_until_target.clone(), sentry.clone(), &path, Some(&request_id));
    if faults.panic {
        panic!("injected fault: router panic");
    }
    let response = match path.as_str() {
        "/health/live" => HttpResponse::json(200, &json!({"status": "ok"})),
        "/health" => super::health::report(&env).await,
        "/mcp" => mcp(req, &env, &ctx, sentry.as_deref(), &request_id).await,
        p if p.starts_with("/admin/") => super::admin::handle(req, &env).await,
        #[cfg(feature = "bench")]
        p if p.starts_with("/bench/") => super::bench::handle(req, &env).await,
        #[cfg(feature = "faults")]
        faults::CLIENT_STATE_ROUTE if telemetry::environment(&env) == "local" => {
            faults::client_state(&req, &env).await
        }
        _ => HttpResponse::json(404, &json!({"error": "not_found", "message": "See /mcp"})),
    };
    convert::response(response.with_header("X-Request-Id", request_id))
}

/// What the router learns about a request on its way through, for the request's record.
struct Trace {
    rpc: RpcSummary,
    client_key: Option<String>,
    limiter: LimiterDecision,
}

async fn mcp(
    req: Request,
    env: &Env,
    ctx: &Context,
    sentry: Option<&SentryConfig>,
    request_id: &str,
) -> HttpResponse {
    let started = telemetry::now_ms();
    let cfg = gate_config(env);
    let origin = req.headers().get("Origin").ok().flatten();
    let protocol = RequestRecord::protocol_label(req.headers().get(VERSION_HEADER).ok().flatten().as_deref());
    let colo = req.cf().map(|cf| cf.colo()).unwrap_or_default();
    let mut trace = Trace { rpc: RpcSummary::of(b""), client_key: None, limiter: LimiterDecision::None };
    let mut failure = None;
    let mut response = match forward(req, env, &cfg, request_id, &mut trace).await {
        Ok(r) => r,
        Err(e) => {
            // A platform failure (object unreachable, stream broken) is ours, not the client's:
            // 503 with a JSON-RPC body and a retry hint, never a bare 500.
            failure = Some(("ForwardFailed", e.to_string()));
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
    let internal = |resp: &HttpResponse, name| resp.headers.get(name).map(str::to_owned);
    let record = RequestRecord {
        request_id: request_id.to_owned(),
        client: trace.client_key.as_deref().map_or_else(|| "-".to_owned(), |key| pseudonym(env, key)),
        environment: telemetry::environment(env),
        rpc: trace.rpc,
        protocol,
        status: response.status,
        latency_ms: (telemetry::now_ms() - started) as f64,
        handler_ms: internal(&response, HANDLER_MS_HEADER).and_then(|ms| ms.parse().ok()),
        limiter: trace.limiter,
        cache: internal(&response, CACHE_REPORT_HEADER).unwrap_or_else(|| "none".into()),
        degradation: internal(&response, DEGRADATION_REPORT_HEADER).unwrap_or_default(),
        colo,
    };
    let failure = failure.or_else(|| {
        record.is_server_error().then(|| {
            let detail = internal(&response, ERROR_REPORT_HEADER).unwrap_or_else(|| "no detail".into());
            ("ServerError", format!("/mcp answered {}: {detail}", response.status))
        })
    });
    telemetry::request_finished(env, ctx, sentry, &record, failure);
    // Object → router notes never reach the client.
    response.headers.retain(|name| !name.to_ascii_lowercase().starts_with("x-porygon-"));
    response
}

/// The client's quota key as a keyed pseudonym (ADMIN_TOKEN is the key: a server secret that
/// production must have anyway).
fn pseudonym(env: &Env, key: &str) -> String {
    let secret = env.secret("ADMIN_TOKEN").map(|s| s.to_string()).unwrap_or_default();
    client_pseudonym(secret.as_bytes(), key)
}

async fn forward(
    req: Request,
    env: &Env,
    cfg: &GateConfig,
    request_id: &str,
    trace: &mut Trace,
) -> Result<HttpResponse> {
    let headers = convert::headers(&req);
    let method = convert::method(&req);
    if let Verdict::Respond(r) = gate::check(method, &headers, cfg) {
        return Ok(r);
    }
    let quotas = QuotaConfig::from_vars(|name| env.var(name).ok().map(|v| v.to_string()));
    let now = now_ms();
    let identity = match identify(env, &headers, &quotas, now).await {
        Ok(identity) => identity,
        Err(Unidentified::Auth(e)) => return Ok(unauthorized(&e)),
        Err(Unidentified::KeyStore(e)) => {
            return Ok(HttpResponse::rpc_error(
                503,
                None,
                &ErrorData::internal_error("API keys cannot be checked right now; retry shortly", None),
            )
            .with_header("Retry-After", "1")
            .with_header(ERROR_REPORT_HEADER, e))
        }
    };
    // 2026-07-28 has no sessions: there an Mcp-Session-Id is ignored (spec, Backward
    // Compatibility), so it must not pick the object either.
    // Read as the session machine reads them (`get_token`), so both agree on repeated headers.
    let stateless = headers
        .get_token(VERSION_HEADER)
        .ok()
        .flatten()
        .and_then(version::parse_supported)
        .is_some_and(|v| v.is_stateless());
    let session =
        headers.get_token(SESSION_HEADER).ok().flatten().filter(|_| !stateless).and_then(SessionId::parse);
    let Some(mut http) = convert::request(req, cfg.max_body_bytes).await? else {
        return Ok(HttpResponse::rpc_error(
            413,
            None,
            &ErrorData::invalid_request("Payload too large: the limit is 1 MiB", None),
        ));
    };
    http.headers.insert(REQUEST_ID_HEADER, request_id);
    trace.rpc = RpcSummary::of(&http.body);
    let is_initialize = trace.rpc.method == "initialize";
    let plan = quotas::plan(&identity, session.as_ref(), is_initialize, &quotas, fresh_owner);
    trace.client_key = Some(plan.serve_owner.clone());

    // Every limit must admit, in order. The last one usually lives in the serving object
    // itself, which then decides it inline: one round trip for the common case.
    let mut inline_limit = None;
    let mut standing = None;
    for (i, limit) in plan.limits.iter().enumerate() {
        if let Some(d) = DENIED.with(|c| c.borrow_mut().check(&limit.owner, now)) {
            trace.limiter = LimiterDecision::RejectedCached;
            return Ok(denied(&http.body, &d, now));
        }
        if i + 1 == plan.limits.len() && limit.owner == plan.serve_owner {
            inline_limit = Some(limit);
            continue;
        }
        let resp = call_object(env, &limit.owner, LIMIT_PATH, Some(limit), &http).await?;
        if resp.status == 429 {
            trace.limiter = LimiterDecision::Rejected;
            return Ok(remember_denial(resp, limit, now));
        }
        trace.limiter = LimiterDecision::Admitted;
        standing = Some((
            resp.headers.get(POLICY_HEADER).map(str::to_owned),
            resp.headers.get(STATE_HEADER).map(str::to_owned),
        ));
    }
    let mut resp = call_object(env, &plan.serve_owner, "/mcp", inline_limit, &http).await?;
    if let Some(limit) = inline_limit {
        if resp.status == 429 {
            trace.limiter = LimiterDecision::Rejected;
            return Ok(remember_denial(resp, limit, now));
        }
        trace.limiter = LimiterDecision::Admitted;
    }
    if let (None, Some((policy, state))) = (resp.headers.get(STATE_HEADER), standing) {
        policy.into_iter().for_each(|p| resp.headers.insert(POLICY_HEADER, p));
        state.into_iter().for_each(|s| resp.headers.insert(STATE_HEADER, s));
    }
    Ok(resp)
}

enum Unidentified {
    /// The client's credentials are wrong: 401.
    Auth(AuthError),
    /// The key store failed: 503, the client should retry.
    KeyStore(String),
}

/// API key if one is presented (and valid), else the connecting address.
async fn identify(
    env: &Env,
    headers: &crate::transport::Headers,
    quotas: &QuotaConfig,
    now: i64,
) -> std::result::Result<Identity, Unidentified> {
    match bearer_token(headers.get("Authorization")).map_err(Unidentified::Auth)? {
        Some(token) => match api_keys::lookup(env, token, now).await.map_err(Unidentified::KeyStore)? {
            Some(record) => {
                Ok(Identity::ApiKey { policy: record.policy(&quotas.api_key_default), id: record.id })
            }
            None => Err(Unidentified::Auth(AuthError::Invalid)),
        },
        // Set by Cloudflare's edge (and by wrangler dev locally); clients cannot forge it there.
        None => Ok(quotas::anonymous_identity(headers.get("CF-Connecting-IP"), quotas)),
    }
}

/// Sends the request to the object named `owner`, asking it to enforce `limit` first.
pub(super) async fn call_object(
    env: &Env,
    owner: &str,
    path: &str,
    limit: Option<&Limit>,
    http: &HttpRequest,
) -> Result<HttpResponse> {
    let forwarded = worker::Headers::new();
    for (k, v) in http.headers.iter() {
        // Our own x-porygon-* headers are set below, never taken from the client; the request id
        // (set by this router) and local-only fault switches travel on.
        let ours = k.eq_ignore_ascii_case(REQUEST_ID_HEADER) || k.eq_ignore_ascii_case(FAULT_HEADER);
        if !k.to_ascii_lowercase().starts_with("x-porygon-") || ours {
            forwarded.append(k, v)?;
        }
    }
    forwarded.set(OWNER_HEADER, owner)?;
    if let Some(limit) = limit {
        forwarded.set(LIMIT_HEADER, &encode_policy(&limit.policy))?;
    }
    let mut init = RequestInit::new();
    init.with_method(worker::Method::from(method_name(http.method).to_owned())).with_headers(forwarded);
    if !http.body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(http.body.as_slice()).into()));
    }
    let inner = Request::new_with_init(&format!("https://client-object{path}"), &init)?;
    let stub = env.durable_object(CLIENTS_BINDING)?.id_from_name(owner)?.get_stub()?;
    convert::from_response(stub.fetch_with_request(inner).await?).await
}

/// Caches an object's 429 for as long as the object says it holds, and passes it on.
fn remember_denial(mut resp: HttpResponse, limit: &Limit, now: i64) -> HttpResponse {
    let until = resp.headers.get(BLOCKED_UNTIL_HEADER).and_then(|v| v.parse::<i64>().ok());
    if let Some(until_ms) = until {
        let quota = resp
            .headers
            .get(STATE_HEADER)
            .and_then(|s| s.split(';').next())
            .and_then(|name| limit.policy.quotas.iter().find(|q| format!("\"{}\"", q.name) == name))
            .map_or("minute", |q| q.name);
        let denial = Denial { until_ms, policy: limit.policy.clone(), quota };
        DENIED.with(|c| c.borrow_mut().record(&limit.owner, denial, now));
    }
    resp.headers.remove(BLOCKED_UNTIL_HEADER);
    resp
}

/// A 429 straight from the deny cache, equal in form to the object's own.
fn denied(body: &[u8], d: &Denial, now: i64) -> HttpResponse {
    let secs = u32::try_from((d.until_ms - now + 999) / 1000).unwrap_or(u32::MAX);
    ratelimit::too_many_requests(body, &d.policy, &format!("\"{}\";r=0;t={secs}", d.quota), secs)
}

fn unauthorized(e: &AuthError) -> HttpResponse {
    HttpResponse::rpc_error(401, None, &ErrorData::invalid_request(format!("Unauthorized: {e}"), None))
        .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
}

/// A new object name for a shared-network client opening a session.
fn fresh_owner() -> String {
    let mut bytes = [0u8; 16];
    // getrandom cannot fail on Workers (crypto.getRandomValues); a zero name would still be valid.
    let _ = getrandom::fill(&mut bytes);
    hex(&bytes)
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Delete => "DELETE",
        Method::Options => "OPTIONS",
        Method::Head => "HEAD",
        Method::Other => "POST",
    }
}

fn gate_config(env: &Env) -> GateConfig {
    let origins = env.var("ALLOWED_ORIGINS").map(|v| v.to_string()).unwrap_or_default();
    let origins = if origins.trim().is_empty() { "https://claude.ai".to_owned() } else { origins };
    GateConfig::from_list(&origins)
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
