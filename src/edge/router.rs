//! The routing Worker: public routes, the `/mcp` gate, rate limiting, and forwarding to the
//! client's Durable Object.

use std::cell::RefCell;

use rmcp::model::ErrorData;
use serde_json::json;
use worker::worker_sys::web_sys;
use worker::{event, Context, Env, Request, Result};

use super::clock::now_ms;
use super::faults::Faults;
use super::object_call::{call_object, LIMIT_PATH};
use super::{api_keys, convert, telemetry};
use crate::mcp::jsonrpc;
use crate::mcp::version::{self, Revision};
use crate::observe::request::{client_pseudonym, BilledCalls, LimiterDecision};
use crate::observe::request::{RequestRecord, RpcSummary};
use crate::observe::sentry::SentryConfig;
use crate::policy::api_keys::{bearer_token, AuthError};
use crate::policy::deny_cache::{Denial, DenyCache};
use crate::policy::quotas::{self, Identity, Limit, QuotaConfig};
use crate::primitives::hex::hex;
use crate::transport::admission::{self, Admission, DenyMemory, Held, LimitObjects, Limiter, Outcome};
use crate::transport::gate::{self, GateConfig, Verdict};
use crate::transport::internal::{
    is_internal, CACHE_REPORT_HEADER, DEGRADATION_REPORT_HEADER, ERROR_REPORT_HEADER, FAULT_HEADER,
    HANDLER_MS_HEADER, HOPS_HEADER, REQUEST_ID_HEADER,
};
use crate::transport::ratelimit;
use crate::transport::sign_in::{SignIn, TokenCheck, TokenRefusal};
use crate::transport::streamable::{self, SESSION_HEADER, VERSION_HEADER};
use crate::transport::{HttpRequest, HttpResponse, Method};

thread_local! {
    static DENIED: RefCell<DenyCache> = RefCell::new(DenyCache::default());
}

/// This isolate's deny cache (`transport::admission` decides what goes in and out).
struct IsolateDenials;

impl DenyMemory for IsolateDenials {
    fn check(&self, key: &str, now_ms: i64) -> Option<Denial> {
        DENIED.with(|c| c.borrow_mut().check(key, now_ms))
    }

    fn record(&self, key: &str, denial: Denial, now_ms: i64) {
        DENIED.with(|c| c.borrow_mut().record(key, denial, now_ms));
    }
}

/// The client objects, asked to count a limit (a limit-only call).
struct ClientObjects<'e>(&'e Env);

impl LimitObjects for ClientObjects<'_> {
    type Error = worker::Error;

    async fn count(&self, limit: &Limit, units: u32, http: &HttpRequest) -> Result<HttpResponse> {
        call_object(self.0, &limit.owner, LIMIT_PATH, Some((limit, units)), http).await
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<web_sys::Response> {
    super::logging::init();
    let request_id = telemetry::request_id(req.headers().get("cf-ray").ok().flatten());
    let path = req.path();
    let faults =
        Faults::from_header(&super::vars::environment(&env), req.headers().get(FAULT_HEADER)?.as_deref());
    let sentry = telemetry::sentry_config(&env);
    let wait_until_target: &wasm_bindgen::JsValue = ctx.as_ref().as_ref();
    telemetry::enter(wait_until_target.clone(), sentry.clone(), &path, Some(&request_id));
    if faults.panic() {
        panic!("injected fault: router panic");
    }
    if front_door_asks_admission(&ctx) {
        return convert::runtime_response(
            &oauth_endpoint_admission(&req, &env).await.with_header("X-Request-Id", request_id),
        );
    }
    let response = match path.as_str() {
        "/health/live" => HttpResponse::json(200, &json!({"status": "ok"})),
        "/health" => health(&req, &env, faults).await,
        "/mcp" => mcp(req, &env, &ctx, sentry.as_deref(), &request_id, faults).await,
        p if p.starts_with("/admin/") => super::admin::handle(req, &env, faults).await,
        #[cfg(feature = "bench")]
        p if p.starts_with("/bench/") => super::bench::handle(req, &env).await,
        #[cfg(feature = "faults")]
        super::faults::CLIENT_STATE_ROUTE if super::vars::environment(&env) == "local" => {
            super::faults::client_state(&req, &env).await
        }
        #[cfg(feature = "faults")]
        super::faults::CHARGE_ROUTE if super::vars::environment(&env) == "local" => {
            super::faults::charge(&req, &env).await
        }
        #[cfg(feature = "faults")]
        super::copy_check::ISOLATE_INDEX_ROUTE if super::vars::environment(&env) == "local" => {
            let mut req = req;
            super::copy_check::isolate_index(&mut req, &env).await
        }
        _ => HttpResponse::json(404, &json!({"error": "not_found", "message": "See /mcp"})),
    };
    // /mcp reports its own failures with its request record; the operator routes report here.
    if response.status >= 500 && (path == "/health" || path.starts_with("/admin/")) {
        telemetry::operator_route_failed(wait_until_target, sentry.as_deref(), &path, &response, &request_id);
    }
    convert::runtime_response(&response.with_header("X-Request-Id", request_id))
}

/// What the router learns about a request on its way through, for the request's record.
struct Trace {
    rpc: RpcSummary,
    client_key: Option<String>,
    /// The request's limiting (its outcome is the record's `limiter`).
    limiter: Limiter<'static, IsolateDenials>,
}

impl Trace {
    fn new(now_ms: i64) -> Self {
        Self { rpc: RpcSummary::of(b""), client_key: None, limiter: Limiter::new(&IsolateDenials, now_ms) }
    }
}

fn limiter_decision(outcome: Outcome) -> LimiterDecision {
    match outcome {
        Outcome::None => LimiterDecision::None,
        Outcome::Admitted => LimiterDecision::Admitted,
        Outcome::Rejected => LimiterDecision::Rejected,
        Outcome::RejectedCached => LimiterDecision::RejectedCached,
    }
}

async fn mcp(
    req: Request,
    env: &Env,
    ctx: &Context,
    sentry: Option<&SentryConfig>,
    request_id: &str,
    faults: Faults,
) -> HttpResponse {
    let started = now_ms();
    let cfg = gate_config(env);
    // Read once, in one call (`convert::headers`); everything below looks them up natively.
    let headers = convert::headers(&req);
    let origin = headers.get("Origin").map(str::to_owned);
    let protocol = RequestRecord::protocol_label(headers.get(VERSION_HEADER));
    let colo = req.cf().map(worker::Cf::colo).unwrap_or_default();
    let mut trace = Trace::new(started);
    let mut failure = None;
    let mut response = match forward(req, headers, env, ctx, &cfg, request_id, &mut trace, faults).await {
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
    // Lazy sign-in: the pool a shared network's anonymous callers share is used up, so the
    // refusal is the OAuth challenge (Claude.ai then offers "Connect") rather than a bare 429.
    if response.status == 429 && trace.limiter.refused.is_some_and(SignIn::offered_for) {
        if let Some(sign_in) = sign_in(env) {
            response = sign_in.challenge(response);
        }
    }
    for (k, v) in gate::cors_headers(origin.as_deref(), &cfg) {
        response.headers.insert(k, v);
    }
    let internal = |resp: &HttpResponse, name| resp.headers.get(name).map(str::to_owned);
    let record = RequestRecord {
        request_id: request_id.to_owned(),
        client: trace.client_key.as_deref().map_or_else(|| "-".to_owned(), |key| pseudonym(env, key)),
        environment: super::vars::environment(env),
        rpc: trace.rpc,
        protocol,
        status: response.status,
        latency_ms: (now_ms() - started) as f64,
        handler_ms: internal(&response, HANDLER_MS_HEADER).and_then(|ms| ms.parse().ok()),
        limiter: limiter_decision(trace.limiter.outcome),
        cache: internal(&response, CACHE_REPORT_HEADER).unwrap_or_else(|| "none".into()),
        degradation: internal(&response, DEGRADATION_REPORT_HEADER).unwrap_or_default(),
        colo,
        billed: internal(&response, HOPS_HEADER)
            .map(|h| BilledCalls::from_hops_header(&h))
            .unwrap_or_default(),
    };
    #[cfg(feature = "bench")]
    if let Some(timing) = server_timing(&response, record.latency_ms) {
        response.headers.insert("Server-Timing", timing);
    }
    let failure = failure.or_else(|| {
        record.is_server_error().then(|| {
            let detail = internal(&response, ERROR_REPORT_HEADER).unwrap_or_else(|| "no detail".into());
            ("ServerError", format!("/mcp answered {}: {detail}", response.status))
        })
    });
    telemetry::request_finished(env, ctx, sentry, &record, failure);
    // Object → router notes never reach the client.
    response.headers.retain(|name| !is_internal(name));
    response
}

/// Bench builds only: where the request's time went, per hop, as `Server-Timing` (bench/hops.mjs
/// reads it). `router` is the whole router time; `object` its wait on the client object;
/// `handler` the object's MCP handling; `index` and `storage` the handler's waits on them.
#[cfg(feature = "bench")]
fn server_timing(response: &HttpResponse, router_ms: f64) -> Option<String> {
    let object = response.headers.get(crate::transport::internal::OBJECT_MS_HEADER)?;
    let handler = response.headers.get(HANDLER_MS_HEADER).unwrap_or("0");
    let hops: Vec<&str> = response.headers.get(HOPS_HEADER).unwrap_or("0,0").split(',').collect();
    let (index, storage) = (hops.first().unwrap_or(&"0"), hops.get(1).unwrap_or(&"0"));
    Some(format!(
        "router;dur={router_ms}, object;dur={object}, handler;dur={handler}, index;dur={index}, storage;dur={storage}"
    ))
}

/// The client's quota key as a keyed pseudonym under `PSEUDONYM_KEY`; "-" without that secret
/// (an unkeyed hash of an IPv4 address is reversible by trying all 2³² of them).
fn pseudonym(env: &Env, key: &str) -> String {
    super::secrets::pseudonym_key(env).map_or_else(|| "-".to_owned(), |secret| client_pseudonym(&secret, key))
}

/// One `/mcp` request on its way through: identified, checked, limited, forwarded.
///
/// Every request counts against its caller's own limits, served or refused: gate refusals
/// (403/405/406/413/415), bad credentials and forged session ids are charged to the caller's
/// anonymous limits before they are answered. Nothing a request carries can make it charge,
/// create rows in or block another client's object: the only client-chosen pointer to an object,
/// the session id, is verified (`SessionKeys`) before any object is contacted.
#[allow(clippy::too_many_arguments)]
async fn forward(
    req: Request,
    headers: crate::transport::Headers,
    env: &Env,
    ctx: &Context,
    cfg: &GateConfig,
    request_id: &str,
    trace: &mut Trace,
    faults: Faults,
) -> Result<HttpResponse> {
    let method = convert::method(&req);
    let quotas = super::vars::quota_config(env);
    let now = trace.limiter.now_ms();
    // Set by Cloudflare's edge (and by wrangler dev locally); clients cannot forge it there.
    let address = quotas::anonymous_identity(headers.get("CF-Connecting-IP"), &quotas);
    // 2026-07-28 has no sessions: there an Mcp-Session-Id is ignored (spec, Backward
    // Compatibility), so it must not pick the object either. Read as the session machine reads
    // it (`get_token`), so both agree on repeated headers.
    let stateless = headers
        .get_token(VERSION_HEADER)
        .ok()
        .flatten()
        .and_then(version::parse_supported)
        .is_some_and(|v| v.is_stateless());
    let presented =
        headers.get_token(SESSION_HEADER).ok().flatten().filter(|_| !stateless).map(str::to_owned);
    let keys = super::secrets::session_keys(env);
    let session = presented.as_deref().and_then(|raw| keys.as_ref()?.parse(raw));

    if let Verdict::Respond(refusal) = gate::check(method, &headers, cfg) {
        if refusal.status == 204 {
            return Ok(refusal); // a CORS preflight: not a refusal
        }
        let limits = quotas::refusal_limits(&address, session.as_ref(), &quotas);
        if refusal.status == 413 {
            charge_later(env, ctx, limits, now);
            return Ok(refusal);
        }
        return charge_refusal(env, &limits, refusal, &bare_request(Method::Post), trace).await;
    }
    let identity = match identify(env, ctx, &headers, &quotas, &address, &mut trace.limiter, faults).await {
        Ok(identity) => identity,
        Err(Unidentified::Auth(e)) => {
            let limits = quotas::refusal_limits(&address, session.as_ref(), &quotas);
            return charge_refusal(env, &limits, unauthorized(&e), &bare_request(Method::Post), trace).await;
        }
        Err(Unidentified::Token(refusal)) => {
            let limits = quotas::refusal_limits(&address, session.as_ref(), &quotas);
            let answer = refusal.answer(sign_in(env).as_ref());
            return charge_refusal(env, &limits, answer, &bare_request(Method::Post), trace).await;
        }
        Err(Unidentified::AddressDenied(held)) => return Ok(held.answer(&[])),
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
    trace.client_key = Some(quotas::refusal_limits(&identity, None, &quotas)[0].owner.clone());
    // A client over quota is answered before its body is read or parsed (only a small body is
    // read, to echo its JSON-RPC id).
    if let Some(held) = trace.limiter.held(&quotas::limits_before_body(&identity, session.as_ref(), &quotas))
    {
        let small = convert::request(req, headers, DENIED_BODY_BYTES).await.ok().flatten();
        return Ok(held.answer(small.as_ref().map_or(&[][..], |h| &h.body)));
    }
    let Some(mut http) = convert::request(req, headers, cfg.max_body_bytes).await? else {
        let too_large = HttpResponse::rpc_error(
            413,
            None,
            &ErrorData::invalid_request("Payload too large: the limit is 1 MiB", None),
        );
        charge_later(env, ctx, quotas::refusal_limits(&identity, session.as_ref(), &quotas), now);
        return Ok(too_large);
    };
    http.headers.insert(REQUEST_ID_HEADER, request_id);
    trace.rpc = RpcSummary::of(&http.body);
    let is_initialize = trace.rpc.method == "initialize";
    if presented.is_some() && session.is_none() && !is_initialize {
        // Well-formed or not, an id we did not sign names no session: 404 (the client starts
        // over), counted against the caller — no object is contacted on its behalf.
        let not_found = streamable::session_not_found(jsonrpc::echo_id(&http.body).as_ref());
        let limits = quotas::refusal_limits(&identity, None, &quotas);
        return charge_refusal(env, &limits, not_found, &http, trace).await;
    }
    let plan = quotas::plan(&identity, session.as_ref(), is_initialize, &quotas, fresh_owner);
    trace.client_key = Some(plan.serve_owner.clone());
    let units = trace.rpc.units;
    if units > plan.max_units() {
        let refusal = ratelimit::batch_over_quota(&http.body, units, plan.max_units());
        return charge_refusal(env, &plan.limits, refusal, &http, trace).await;
    }

    // Every limit must admit, in order. The last one usually lives in the serving object
    // itself, which then decides it inline: one round trip for the common case.
    let (inline, elsewhere) = admission::split_inline(&plan);
    let standing = match trace.limiter.admit(&ClientObjects(env), elsewhere, units, &http).await? {
        Admission::Admitted(standing) => standing,
        Admission::Denied(resp) => return Ok(resp),
    };
    if let Some(held) = inline.and_then(|limit| trace.limiter.held(std::slice::from_ref(limit))) {
        return Ok(held.answer(&http.body));
    }
    let resp = call_object(env, &plan.serve_owner, "/mcp", inline.map(|l| (l, units)), &http).await?;
    let mut resp = match inline {
        Some(limit) => match trace.limiter.verdict(resp, limit) {
            Ok(resp) => resp,
            Err(refused) => return Ok(refused),
        },
        None => resp,
    };
    if let Some(standing) = standing {
        standing.fill(&mut resp);
    }
    Ok(resp)
}
/// Most of a denied request's body read, to echo its JSON-RPC id in the 429.
const DENIED_BODY_BYTES: usize = 4096;

enum Unidentified {
    /// The client's credentials are wrong: 401 (counted against the address).
    Auth(AuthError),
    /// The OAuth front door found the access token invalid (401) or short of scope (403);
    /// counted against the address.
    Token(TokenRefusal),
    /// The key store failed: 503, the client should retry.
    KeyStore(String),
    /// A token this isolate has not seen, from an address already over quota: 429 without a KV
    /// read, so a flood of made-up tokens costs no storage reads.
    AddressDenied(Held),
}

/// The signed-in account when the OAuth front door checked an access token, else the API key if
/// one is presented (and valid), else the connecting address.
async fn identify(
    env: &Env,
    ctx: &Context,
    headers: &crate::transport::Headers,
    quotas: &QuotaConfig,
    address: &Identity,
    limiter: &mut Limiter<'static, IsolateDenials>,
    faults: Faults,
) -> std::result::Result<Identity, Unidentified> {
    if let Some(check) = token_check(ctx) {
        return check.identity().map_err(Unidentified::Token);
    }
    let now = limiter.now_ms();
    let Some(token) = bearer_token(headers.get("Authorization")).map_err(Unidentified::Auth)? else {
        return Ok(address.clone());
    };
    let record = match api_keys::cached(token, now) {
        Some(known) => known,
        None => {
            if let Some(held) = limiter.held(&quotas::refusal_limits(address, None, quotas)) {
                return Err(Unidentified::AddressDenied(held));
            }
            api_keys::lookup(env, token, now, faults).await.map_err(Unidentified::KeyStore)?
        }
    };
    match record {
        Some(record) => {
            Ok(Identity::ApiKey { policy: record.policy(&quotas.api_key_default), id: record.id })
        }
        None => Err(Unidentified::Auth(AuthError::Invalid)),
    }
}

/// Counts a request that is refused before it is served against `limits` (the caller's own),
/// then answers with `refusal` — or with the 429 when the caller is over quota.
async fn charge_refusal(
    env: &Env,
    limits: &[Limit],
    refusal: HttpResponse,
    http: &HttpRequest,
    trace: &mut Trace,
) -> Result<HttpResponse> {
    trace.limiter.charge_refusal(&ClientObjects(env), limits, refusal, http).await
}

/// Counts a 413 against `limits` after answering it: the client may still be uploading, and an
/// answer that waits for an object round trip gives the platform's proxy more time to cut the
/// upload with a reset instead of delivering the 413. Counted all the same (an over-quota
/// client gets its 413, and its next request the 429).
fn charge_later(env: &Env, ctx: &Context, limits: Vec<Limit>, now: i64) {
    let env = env.clone();
    ctx.wait_until(async move {
        let mut limiter = Limiter::new(&IsolateDenials, now);
        if let Err(e) = limiter.admit(&ClientObjects(&env), &limits, 1, &bare_request(Method::Post)).await {
            tracing::warn!(error = %e, "could not count a 413");
        }
    });
}

/// A request with no headers or body, for limit-only calls on behalf of a refused request.
fn bare_request(method: Method) -> HttpRequest {
    HttpRequest { method, headers: crate::transport::Headers::new(), body: Vec::new() }
}

/// The invocation's props as the OAuth front door (`src/entry.mjs`) sets them.
#[derive(serde::Deserialize)]
struct FrontDoorProps {
    #[serde(rename = "porygonOAuth")]
    oauth: Option<TokenCheck>,
    /// `"oauth-endpoint"`: the entry asks whether it may serve one of its OAuth endpoints.
    #[serde(rename = "porygonAdmit")]
    admit: Option<String>,
}

fn front_door_asks_admission(ctx: &Context) -> bool {
    ctx.props::<FrontDoorProps>().ok().and_then(|p| p.admit).as_deref() == Some("oauth-endpoint")
}

/// What the front door found about the request's OAuth access token, if it carried one. Props
/// are set by our own entry module for this invocation only; a client cannot write them.
fn token_check(ctx: &Context) -> Option<TokenCheck> {
    ctx.props::<FrontDoorProps>().ok()?.oauth
}

/// Where clients learn to sign in (`PUBLIC_URL`); `None` where OAuth is not configured.
fn sign_in(env: &Env) -> Option<SignIn> {
    SignIn::from_public_url(env.var("PUBLIC_URL").ok().map(|v| v.to_string()).as_deref())
}

fn unauthorized(e: &AuthError) -> HttpResponse {
    HttpResponse::rpc_error(401, None, &ErrorData::invalid_request(format!("Unauthorized: {e}"), None))
        .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
}

/// `/health` is public and its deep checks are costly: limited per address, in an object of
/// its own (so monitoring never spends a client's MCP quota).
async fn health(req: &Request, env: &Env, faults: Faults) -> HttpResponse {
    let quotas = super::vars::quota_config(env);
    let ip = req.headers().get("CF-Connecting-IP").ok().flatten();
    let limit = quotas::health_limit(&quotas::anonymous_identity(ip.as_deref(), &quotas), &quotas);
    let mut limiter = Limiter::new(&IsolateDenials, now_ms());
    let admitted =
        limiter.admit(&ClientObjects(env), std::slice::from_ref(&limit), 1, &bare_request(Method::Get)).await;
    match admitted {
        Ok(Admission::Admitted(_)) => super::health::report(env, &quotas, faults).await,
        Ok(Admission::Denied(resp)) => resp,
        // The limiter's object is unreachable: reporting that is what /health is for.
        Err(e) => {
            tracing::warn!(error = %e, "health limiter unreachable");
            super::health::report(env, &quotas, faults).await
        }
    }
}

/// The front door's question before it serves an OAuth endpoint that writes state: 204 (go on)
/// or the 429 with `Retry-After`/`RateLimit`, which the entry turns into an OAuth error.
async fn oauth_endpoint_admission(req: &Request, env: &Env) -> HttpResponse {
    let quotas = super::vars::quota_config(env);
    let ip = req.headers().get("CF-Connecting-IP").ok().flatten();
    let limit = quotas::oauth_endpoint_limit(ip.as_deref(), &quotas);
    let mut limiter = Limiter::new(&IsolateDenials, now_ms());
    let admitted = limiter
        .admit(&ClientObjects(env), std::slice::from_ref(&limit), 1, &bare_request(Method::Post))
        .await;
    match admitted {
        Ok(Admission::Admitted(_)) => {
            HttpResponse { status: 204, headers: Default::default(), body: Vec::new() }
        }
        Ok(Admission::Denied(resp)) => resp,
        // Signing in is not refused because the limiter's object is unreachable.
        Err(e) => {
            tracing::warn!(error = %e, "oauth endpoint limiter unreachable");
            HttpResponse { status: 204, headers: Default::default(), body: Vec::new() }
        }
    }
}

/// A new object name for a shared-network client opening a session.
fn fresh_owner() -> String {
    let mut bytes = [0u8; 16];
    // getrandom cannot fail on Workers (crypto.getRandomValues); a zero name would still be valid.
    let _ = getrandom::fill(&mut bytes);
    hex(&bytes)
}

fn gate_config(env: &Env) -> GateConfig {
    let origins = env.var("ALLOWED_ORIGINS").map(|v| v.to_string()).unwrap_or_default();
    let origins = if origins.trim().is_empty() { "https://claude.ai".to_owned() } else { origins };
    GateConfig::from_list(&origins)
}
