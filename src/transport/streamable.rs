//! Streamable HTTP (MCP 2025-03-26, 2025-06-18, 2025-11-25) plus the stateless 2026-07-28 style,
//! over one endpoint. Runs inside the client's Durable Object, with that object's session store.
//!
//! Choices where the spec leaves room, for real clients:
//! - A non-initialize request without `Mcp-Session-Id` is served statelessly (Claude.ai often
//!   omits the header) at the revision its `MCP-Protocol-Version` names, else 2025-03-26.
//! - Replies are always `application/json`; GET is 405 (no server-initiated stream yet).
//! - Header/body mismatches (`Mcp-Method`, `Mcp-Name`) are refused whenever the headers are sent,
//!   and the headers are required from 2026-07-28 on.

use rmcp::model::{ClientCapabilities, ErrorCode, ErrorData, ProtocolVersion, RequestId};
use serde_json::Value;

use super::http::{HttpRequest, HttpResponse, Method};
use crate::mcp::dispatch::{check_stateless_request, truncate, StatelessRejection};
use crate::mcp::handler::CallReport;
use crate::mcp::jsonrpc::{self, Incoming, Message};
use crate::mcp::session::{Session, SessionKeys, SessionStore, StoreError};
use crate::mcp::version::{self, Revision};
use crate::mcp::{Dispatcher, McpHandler, NotificationEffect, RequestScope};

pub const SESSION_HEADER: &str = "Mcp-Session-Id";
pub(crate) const VERSION_HEADER: &str = "MCP-Protocol-Version";
pub(crate) const METHOD_HEADER: &str = "Mcp-Method";
pub(crate) const NAME_HEADER: &str = "Mcp-Name";
/// The only request headers the machine reads. The router forwards these to the client object
/// and leaves the rest of what a client sent (credentials included) behind: fewer headers to
/// rebuild on each hop, and nothing the object does not need (tests/fuzz/transport.rs runs a
/// twin machine on these alone and requires the same answers).
pub const MACHINE_HEADERS: [&str; 4] = [SESSION_HEADER, VERSION_HEADER, METHOD_HEADER, NAME_HEADER];
use super::internal::{CACHE_REPORT_HEADER, DEGRADATION_REPORT_HEADER, ERROR_REPORT_HEADER};

/// JSON-RPC code for an unknown or expired session (as the TypeScript SDK uses).
pub(crate) const SESSION_NOT_FOUND: ErrorCode = ErrorCode(-32001);

/// Most live sessions one client object keeps; creating more evicts the least recently seen.
pub const MAX_SESSIONS_PER_CLIENT: usize = 1_000;
/// Largest client-capabilities JSON a session keeps verbatim (see [`stored_capabilities`]).
pub const MAX_STORED_CAPABILITIES_BYTES: usize = 4096;

pub struct Streamable<'a, H, S> {
    pub dispatcher: &'a Dispatcher<H>,
    pub store: &'a S,
    /// Name of the object serving this request; new session ids carry it.
    pub owner: &'a str,
    /// Signs new session ids and verifies presented ones. `None` (the server key is not
    /// configured): no session can be opened or used; stateless requests are still served.
    pub session_keys: Option<&'a SessionKeys>,
    pub now_ms: i64,
    pub idle_ttl_ms: i64,
}

impl<H: McpHandler, S: SessionStore> Streamable<'_, H, S> {
    pub async fn handle(&self, req: &HttpRequest) -> HttpResponse {
        match req.method {
            Method::Post => self.post(req).await,
            Method::Delete => self.delete(req),
            // No server-initiated SSE stream: the spec allows 405 here.
            _ => not_allowed(),
        }
    }

    fn delete(&self, req: &HttpRequest) -> HttpResponse {
        let stateless =
            req.headers.get_token(VERSION_HEADER).ok().flatten().and_then(version::parse_supported);
        if stateless.is_some_and(|v| v.is_stateless()) {
            return not_allowed();
        }
        let id = match req.headers.get_token(SESSION_HEADER) {
            Ok(Some(id)) => id,
            Ok(None) => return bad_request(None, "DELETE needs an Mcp-Session-Id header"),
            Err(e) => return bad_request(None, e.to_string()),
        };
        match self.live_session(id) {
            Ok(Some(_)) => match self.store.remove(id) {
                Ok(_) => HttpResponse::empty(204),
                Err(e) => unavailable(None, &e),
            },
            Ok(None) => session_not_found(None),
            Err(e) => unavailable(None, &e),
        }
    }

    async fn post(&self, req: &HttpRequest) -> HttpResponse {
        let incoming = match jsonrpc::parse(&req.body) {
            Ok(incoming) => incoming,
            Err(error) => return HttpResponse::rpc_error(400, None, &error),
        };
        let first_id = first_request_id(&incoming);
        let header_version = match req.headers.get_token(VERSION_HEADER) {
            Ok(None) => None,
            Ok(Some(raw)) => match version::parse_supported(raw.trim()) {
                Some(v) => Some(v),
                None => return unsupported_version(first_id.as_ref(), raw),
            },
            Err(e) => return bad_request(first_id.as_ref(), e.to_string()),
        };
        match header_version {
            Some(v) if v.is_stateless() => self.post_stateless(req, incoming, v).await,
            _ => self.post_with_sessions(req, incoming, header_version, first_id.as_ref()).await,
        }
    }

    /// 2026-07-28: one message, its context in `_meta`, routing headers required, no session.
    async fn post_stateless(
        &self,
        req: &HttpRequest,
        incoming: Incoming,
        version: ProtocolVersion,
    ) -> HttpResponse {
        let Incoming::Single(message) = incoming else {
            return bad_request(None, "JSON-RPC batches are not part of revision 2026-07-28");
        };
        let id = match &message {
            Message::Request(r) => Some(r.id.clone()),
            Message::Invalid { id, .. } => id.clone(),
            _ => None,
        };
        if let Err(e) = check_routing_headers(req, &message, true) {
            return HttpResponse::rpc_error(400, id.as_ref(), &e);
        }
        match message {
            Message::Request(r) => {
                if let Err(rejection) = check_stateless_request(&r.method, r.params.as_ref(), &version) {
                    let (status, error) = match rejection {
                        StatelessRejection::Meta(e) | StatelessRejection::Mismatch(e) => (400, e),
                        StatelessRejection::UnknownMethod(e) => (404, e),
                    };
                    return HttpResponse::rpc_error(status, Some(&r.id), &error);
                }
                let mut scope = RequestScope::stateless(version, self.now_ms);
                let reply = match self.dispatcher.request(&r, &mut scope).await {
                    Ok(result) => jsonrpc::response(&r.id, result),
                    Err(error) => jsonrpc::error_response(Some(&r.id), &error),
                };
                with_report(HttpResponse::json(200, &reply), &scope.report)
            }
            Message::Notification(_) | Message::Response => HttpResponse::empty(202),
            Message::Invalid { id, error } => HttpResponse::rpc_error(400, id.as_ref(), &error),
        }
    }

    /// 2024-11-05 … 2025-11-25: `initialize` opens a session; later requests name it, or are
    /// served statelessly when they do not (see the module docs).
    async fn post_with_sessions(
        &self,
        req: &HttpRequest,
        incoming: Incoming,
        header_version: Option<ProtocolVersion>,
        first_id: Option<&RequestId>,
    ) -> HttpResponse {
        if let Incoming::Single(message) = &incoming {
            if header_version.is_none() && names_stateless_revision(message) {
                let e = ErrorData::header_mismatch("missing required MCP-Protocol-Version header", None);
                return HttpResponse::rpc_error(400, first_id, &e);
            }
            if let Err(e) = check_routing_headers(req, message, false) {
                return HttpResponse::rpc_error(400, first_id, &e);
            }
        }
        let session_header = match req.headers.get_token(SESSION_HEADER) {
            Ok(h) => h,
            Err(e) => return bad_request(first_id, e.to_string()),
        };

        if let Some(init) = initialize_in(&incoming) {
            return match init {
                Ok(request) => self.initialize(request),
                Err(e) => bad_request(first_id, e),
            };
        }

        let mut session = match session_header {
            None => None,
            Some(id) => match self.live_session(id) {
                Ok(Some(s)) => Some(s),
                Ok(None) => return session_not_found(first_id),
                Err(e) => return unavailable(first_id, &e),
            },
        };

        let protocol = match (&session, header_version) {
            (Some(s), Some(h)) if s.protocol_version != h => {
                return bad_request(
                    first_id,
                    format!(
                        "MCP-Protocol-Version {h} differs from the session's negotiated {}",
                        s.protocol_version
                    ),
                )
            }
            (Some(s), _) => s.protocol_version.clone(),
            (None, Some(h)) => h,
            (None, None) => version::DEFAULT_WITHOUT_HEADER,
        };
        if incoming.is_batch() && !protocol.allows_batches() {
            return bad_request(
                first_id,
                format!("JSON-RPC batches are not supported in protocol revision {protocol}"),
            );
        }

        let mut scope = RequestScope {
            report: Default::default(),
            protocol,
            session_id: session.as_ref().map(|s| s.id.clone()),
            client: None,
            log_level: session.as_ref().and_then(|s| s.log_level),
            now_ms: self.now_ms,
        };
        let was_batch = incoming.is_batch();
        let mut replies = Vec::new();
        let mut initialized = false;
        for message in incoming.into_messages() {
            match message {
                Message::Request(r) => replies.push(match self.dispatcher.request(&r, &mut scope).await {
                    Ok(result) => jsonrpc::response(&r.id, result),
                    Err(error) => jsonrpc::error_response(Some(&r.id), &error),
                }),
                Message::Notification(n) => {
                    initialized |= self.dispatcher.notification(&n) == NotificationEffect::Initialized;
                }
                Message::Response => {}
                Message::Invalid { id, error } => replies.push(jsonrpc::error_response(id.as_ref(), &error)),
            }
        }

        if let Some(s) = session.as_mut() {
            let mut dirty = s.touch(self.now_ms);
            dirty |= initialized && !s.initialized;
            s.initialized |= initialized;
            dirty |= s.log_level != scope.log_level;
            s.log_level = scope.log_level;
            if dirty {
                if let Err(e) = self.store.save(s) {
                    return unavailable(first_id, &e);
                }
            }
        }

        let response = match (was_batch, replies.len()) {
            (_, 0) => HttpResponse::empty(202),
            (false, _) => {
                let reply = replies.pop().expect("one reply");
                // A lone malformed message is a client error at the HTTP level too.
                let status = if is_invalid_request(&reply) { 400 } else { 200 };
                HttpResponse::json(status, &reply)
            }
            (true, _) => HttpResponse::json(200, &Value::Array(replies)),
        };
        with_report(response, &scope.report)
    }

    fn initialize(&self, request: jsonrpc::Request) -> HttpResponse {
        let (result, params) = match self.dispatcher.initialize(request.params.as_ref()) {
            Ok(ok) => ok,
            Err(error) => {
                return HttpResponse::json(200, &jsonrpc::error_response(Some(&request.id), &error))
            }
        };
        let Some(keys) = self.session_keys else {
            let e = StoreError::Misconfigured(
                "sessions are unavailable: the session id key is not configured".into(),
            );
            return unavailable(Some(&request.id), &e);
        };
        let id = match keys.generate(self.owner) {
            Ok(id) => id.to_string(),
            Err(e) => return unavailable(Some(&request.id), &e),
        };
        let session = Session {
            id: id.clone(),
            protocol_version: result.protocol_version.clone(),
            client_name: truncate(&params.client_info.name, 200).to_owned(),
            client_version: truncate(&params.client_info.version, 100).to_owned(),
            client_capabilities: stored_capabilities(&params.capabilities),
            log_level: None,
            initialized: false,
            created_at_ms: self.now_ms,
            last_seen_ms: self.now_ms,
            idle_ttl_ms: self.idle_ttl_ms,
        };
        let saved = self.store.save(&session).and_then(|()| self.store.evict_beyond(MAX_SESSIONS_PER_CLIENT));
        if let Err(e) = saved {
            return unavailable(Some(&request.id), &e);
        }
        let body = serde_json::to_value(&result).unwrap_or(Value::Null);
        HttpResponse::json(200, &jsonrpc::response(&request.id, body)).with_header(SESSION_HEADER, id)
    }

    /// The session if it exists and has not idled out. An expired session is deleted on sight.
    fn live_session(&self, raw_id: &str) -> Result<Option<Session>, StoreError> {
        let Some(parsed) = self.session_keys.and_then(|keys| keys.parse(raw_id)) else {
            return Ok(None);
        };
        if parsed.owner != self.owner {
            return Ok(None);
        }
        match self.store.load(raw_id)? {
            Some(s) if s.is_expired(self.now_ms) => {
                self.store.remove(raw_id)?;
                Ok(None)
            }
            other => Ok(other),
        }
    }
}

/// What a session keeps of the client's declared capabilities: their JSON when it is small, else
/// only which ones were declared. `experimental` and `extensions` are free-form, so a client could
/// otherwise park most of a 1 MiB body in every session row it opens.
fn stored_capabilities(capabilities: &ClientCapabilities) -> String {
    let value = serde_json::to_value(capabilities).unwrap_or_default();
    let text = value.to_string();
    if text.len() <= MAX_STORED_CAPABILITIES_BYTES {
        return text;
    }
    let declared: Vec<&String> = value.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    serde_json::json!({ "truncated": true, "declared": declared }).to_string()
}

/// `Some` when the body is an initialize request; `Err` when initialize is misused (batched).
fn initialize_in(incoming: &Incoming) -> Option<Result<jsonrpc::Request, &'static str>> {
    match incoming {
        Incoming::Single(Message::Request(r)) if r.method == "initialize" => Some(Ok(r.clone())),
        Incoming::Batch(ms) if ms.iter().any(|m| m.method() == Some("initialize")) => {
            Some(Err("initialize must not be part of a JSON-RPC batch"))
        }
        _ => None,
    }
}

/// SEP-2243: `Mcp-Method` / `Mcp-Name` let intermediaries route without parsing the body, so they
/// must agree with it. Required from 2026-07-28; checked whenever present.
fn check_routing_headers(req: &HttpRequest, message: &Message, required: bool) -> Result<(), ErrorData> {
    let method_header =
        req.headers.get_token(METHOD_HEADER).map_err(|e| ErrorData::header_mismatch(e.to_string(), None))?;
    let name_header =
        req.headers.get_unique(NAME_HEADER).map_err(|e| ErrorData::header_mismatch(e.to_string(), None))?;
    if method_header.is_none() && name_header.is_none() && !required {
        return Ok(());
    }
    let Some(method) = message.method() else {
        return Ok(());
    };
    match method_header.map(str::trim) {
        None => return Err(ErrorData::header_mismatch("missing required Mcp-Method header", None)),
        Some(h) if h != method => {
            return Err(ErrorData::header_mismatch(
                format!("Mcp-Method header does not match the body's method `{}`", truncate(method, 100)),
                None,
            ))
        }
        Some(_) => {}
    }
    let params = match message {
        Message::Request(r) => r.params.as_ref(),
        Message::Notification(n) => n.params.as_ref(),
        _ => None,
    };
    let key = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return Ok(()),
    };
    let expected = params.and_then(|p| p.get(key)).and_then(Value::as_str);
    let header = match name_header.map(decode_header_value) {
        None => None,
        Some(Some(decoded)) => Some(decoded),
        Some(None) => return Err(ErrorData::header_mismatch("Mcp-Name header is not valid Base64", None)),
    };
    match (header, expected) {
        (Some(h), Some(e)) if h == e => Ok(()),
        (None, _) if !required => Ok(()),
        (None, _) => {
            Err(ErrorData::header_mismatch(format!("missing required Mcp-Name header for `{method}`"), None))
        }
        _ => Err(ErrorData::header_mismatch(
            format!("Mcp-Name header does not match the body's `{key}`"),
            None,
        )),
    }
}

/// SEP-2243 value encoding: surrounding whitespace is not part of the value, and values that are
/// not safe header text arrive as `=?base64?<b64>?=`.
fn decode_header_value(raw: &str) -> Option<String> {
    use base64::Engine;
    let raw = raw.trim();
    match raw.strip_prefix("=?base64?").and_then(|r| r.strip_suffix("?=")) {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => Some(raw.to_owned()),
    }
}

/// A message whose `_meta` names the stateless revision but arrived without its header.
fn names_stateless_revision(message: &Message) -> bool {
    let params = match message {
        Message::Request(r) => r.params.as_ref(),
        Message::Notification(n) => n.params.as_ref(),
        _ => None,
    };
    params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get("io.modelcontextprotocol/protocolVersion"))
        .and_then(Value::as_str)
        .and_then(version::parse_supported)
        .is_some_and(|v| v.is_stateless())
}

fn first_request_id(incoming: &Incoming) -> Option<RequestId> {
    incoming.messages().iter().find_map(|m| match m {
        Message::Request(r) => Some(r.id.clone()),
        Message::Invalid { id, .. } => id.clone(),
        _ => None,
    })
}

fn is_invalid_request(reply: &Value) -> bool {
    reply.pointer("/error/code").and_then(Value::as_i64) == Some(ErrorCode::INVALID_REQUEST.0 as i64)
}

fn not_allowed() -> HttpResponse {
    HttpResponse::rpc_error(
        405,
        None,
        &ErrorData::invalid_request("Method not allowed: use POST (or DELETE to end a session)", None),
    )
    .with_header("Allow", super::gate::ALLOW)
}

fn bad_request(id: Option<&RequestId>, message: impl Into<String>) -> HttpResponse {
    HttpResponse::rpc_error(400, id, &ErrorData::invalid_request(message.into(), None))
}

fn unsupported_version(id: Option<&RequestId>, raw: &str) -> HttpResponse {
    let supported: Vec<&str> = version::SUPPORTED.iter().map(rmcp::model::ProtocolVersion::as_str).collect();
    HttpResponse::rpc_error(
        400,
        id,
        &ErrorData::new(
            ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
            format!("Unsupported protocol version: {}", truncate(raw, 40)),
            Some(serde_json::json!({ "supported": supported, "requested": truncate(raw, 40) })),
        ),
    )
}

pub(crate) fn session_not_found(id: Option<&RequestId>) -> HttpResponse {
    HttpResponse::rpc_error(
        404,
        id,
        &ErrorData::new(SESSION_NOT_FOUND, "Session not found: initialize a new session", None),
    )
}

fn unavailable(id: Option<&RequestId>, e: &StoreError) -> HttpResponse {
    if e.is_transient() {
        tracing::warn!(error = %e, "session storage failed");
    } else {
        tracing::error!(error = %e, "session storage cannot serve until someone acts");
    }
    HttpResponse::rpc_error(
        503,
        id,
        &ErrorData::internal_error("Session storage unavailable; retry shortly", None),
    )
    .with_header("Retry-After", "1")
    .with_header(ERROR_REPORT_HEADER, format!("session storage: {e}"))
}

/// Carries what the handler reported to the router (which logs it and strips the headers).
fn with_report(mut response: HttpResponse, report: &CallReport) -> HttpResponse {
    if let Some(cache) = report.cache.get() {
        response.headers.insert(CACHE_REPORT_HEADER, cache);
    }
    if let Some(reason) = report.degradation.borrow().as_deref() {
        response.headers.insert(DEGRADATION_REPORT_HEADER, reason);
    }
    response
}
