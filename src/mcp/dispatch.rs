//! Method routing: JSON-RPC request → typed params → [`McpHandler`] → JSON result.
//!
//! Everything here is transport-agnostic; sessions and HTTP live in `crate::transport`.

use rmcp::model::{
    CacheScope, CallToolRequestParams, CompleteRequestParams, CompleteResult, DiscoverResult, EmptyObject,
    ErrorCode, ErrorData, GetPromptRequestParams, InitializeRequestParams, InitializeResult, JsonObject,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, RequestMetaObject,
    SetLevelRequestParams,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::handler::{McpHandler, RequestScope};
use super::jsonrpc::{Notification, Request};
use super::pagination::paginate;
use super::version::{self, Revision};

pub struct Dispatcher<H> {
    handler: H,
}

/// What a notification asks of the session layer.
#[derive(Debug, PartialEq, Eq)]
pub enum NotificationEffect {
    /// `notifications/initialized`: the session's handshake is complete.
    Initialized,
    /// Anything else (cancellation of an already-answered request, progress, unknown): no-op.
    None,
}

impl<H: McpHandler> Dispatcher<H> {
    pub fn new(handler: H) -> Self {
        Self { handler }
    }

    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// Validates `initialize` params and builds the result; the caller creates the session.
    pub fn initialize(
        &self,
        params: Option<&JsonObject>,
    ) -> Result<(InitializeResult, InitializeRequestParams), ErrorData> {
        let request: InitializeRequestParams = decode(params)?;
        let negotiated = version::negotiate(&request.protocol_version);
        let mut result = InitializeResult::new(self.handler.capabilities())
            .with_server_info(self.handler.server_info())
            .with_protocol_version(negotiated);
        result.instructions = self.handler.instructions();
        Ok((result, request))
    }

    /// `server/discover` (2026-07-28): what a stateless client needs instead of `initialize`.
    pub fn discover(&self) -> DiscoverResult {
        let mut result = DiscoverResult::new(version::SUPPORTED.to_vec(), self.handler.capabilities())
            .with_ttl_ms(CACHE_TTL_MS)
            .with_cache_scope(CacheScope::Public);
        result.instructions = self.handler.instructions();
        result.set_server_info(self.handler.server_info());
        result
    }

    /// Serves one request (anything but `initialize`, which needs the session layer).
    /// Stateless (2026-07-28) requests must have passed [`check_stateless_request`] first.
    pub async fn request(&self, req: &Request, scope: &mut RequestScope) -> Result<Value, ErrorData> {
        let params = req.params.as_ref();
        let result = match req.method.as_str() {
            "ping" => to_json(EmptyObject {}),
            "server/discover" => to_json(self.discover()),
            "logging/setLevel" => {
                let p: SetLevelRequestParams = decode(params)?;
                scope.log_level = Some(p.level);
                to_json(EmptyObject {})
            }
            "tools/list" => {
                let (page, next) = paginate(self.handler.tools(), cursor(params)?.as_deref())?;
                let mut r = ListToolsResult::with_all_items(page);
                r.next_cursor = next;
                to_json(r)
            }
            "tools/call" => {
                let p: CallToolRequestParams = decode(params)?;
                let result = self.handler.call_tool(&p.name, p.arguments.unwrap_or_default(), scope).await?;
                to_json(result)
            }
            "resources/list" => {
                let (page, next) = paginate(self.handler.resources(), cursor(params)?.as_deref())?;
                let mut r = ListResourcesResult::with_all_items(page);
                r.next_cursor = next;
                to_json(r)
            }
            "resources/templates/list" => {
                let templates = self.handler.resource_templates();
                let (page, next) = paginate(templates, cursor(params)?.as_deref())?;
                let mut r = ListResourceTemplatesResult::with_all_items(page);
                r.next_cursor = next;
                to_json(r)
            }
            "resources/read" => {
                let p: ReadResourceRequestParams = decode(params)?;
                match self.handler.read_resource(&p.uri, scope).await {
                    Ok(r) => to_json(r),
                    // SEP-2164: from 2026-07-28 an unknown resource is an invalid-params error.
                    Err(e) if e.code == ErrorCode::RESOURCE_NOT_FOUND && scope.protocol.is_stateless() => {
                        Err(ErrorData::invalid_params(e.message, e.data))
                    }
                    Err(e) => Err(e),
                }
            }
            "prompts/list" => {
                let (page, next) = paginate(self.handler.prompts(), cursor(params)?.as_deref())?;
                let mut r = ListPromptsResult::with_all_items(page);
                r.next_cursor = next;
                to_json(r)
            }
            "prompts/get" => {
                let p: GetPromptRequestParams = decode(params)?;
                to_json(self.handler.get_prompt(&p.name, p.arguments.unwrap_or_default(), scope).await?)
            }
            "completion/complete" => {
                let p: CompleteRequestParams = decode(params)?;
                let info = self.handler.complete(&p.r#ref, &p.argument, p.context.as_ref())?;
                to_json(CompleteResult::new(info))
            }
            "initialize" => Err(ErrorData::invalid_request(
                "initialize must be sent alone, as the first request of a session",
                None,
            )),
            other => Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("Method not found: {}", truncate(other, 100)),
                None,
            )),
        }?;
        Ok(self.shape_for(&scope.protocol, &req.method, result))
    }

    /// Results of revisions before 2026-07-28 never carried `resultType` (rmcp's constructors set
    /// it); from 2026-07-28 every result names the server in `_meta` and cacheable results say
    /// for how long (our catalogue changes only with a deploy or an ingestion run).
    fn shape_for(&self, protocol: &ProtocolVersion, method: &str, mut result: Value) -> Value {
        let Value::Object(obj) = &mut result else {
            return result;
        };
        if !protocol.is_stateless() {
            obj.remove("resultType");
            return result;
        }
        obj.entry("resultType").or_insert_with(|| "complete".into());
        if CACHEABLE.contains(&method) {
            obj.entry("ttlMs").or_insert_with(|| CACHE_TTL_MS.into());
            obj.entry("cacheScope").or_insert_with(|| "public".into());
        }
        let meta = obj.entry("_meta").or_insert_with(|| Value::Object(Default::default()));
        if let (Value::Object(meta), Ok(info)) = (meta, serde_json::to_value(self.handler.server_info())) {
            meta.insert(SERVER_INFO_META_KEY.into(), info);
        }
        result
    }

    pub fn notification(&self, n: &Notification) -> NotificationEffect {
        match n.method.as_str() {
            "notifications/initialized" => NotificationEffect::Initialized,
            _ => NotificationEffect::None,
        }
    }
}

/// Why a 2026-07-28 request is refused before dispatch.
#[derive(Debug)]
pub(crate) enum StatelessRejection {
    /// `_meta` lacks a required key (-32602).
    Meta(ErrorData),
    /// `_meta`'s protocol version disagrees with the header (-32020).
    Mismatch(ErrorData),
    /// Not a method of this revision (-32601).
    UnknownMethod(ErrorData),
}

/// 2026-07-28 requests carry their own client context in `_meta` (SEP-2575), and only the
/// revision's own methods exist (no initialize, ping or logging).
pub(crate) fn check_stateless_request(
    method: &str,
    params: Option<&JsonObject>,
    header_version: &ProtocolVersion,
) -> Result<(), StatelessRejection> {
    let meta = params.and_then(|p| p.get("_meta")).cloned().unwrap_or(Value::Null);
    let meta: RequestMetaObject = serde_json::from_value(meta).unwrap_or_default();
    let missing: Vec<&str> =
        RequestMetaObject::DRAFT_REQUIRED_KEYS.into_iter().filter(|k| !meta.0.contains_key(*k)).collect();
    if !missing.is_empty() {
        return Err(StatelessRejection::Meta(ErrorData::invalid_params(
            format!("request _meta is missing required fields: {}", missing.join(", ")),
            None,
        )));
    }
    if meta.protocol_version().as_ref() != Some(header_version) {
        return Err(StatelessRejection::Mismatch(ErrorData::header_mismatch(
            "MCP-Protocol-Version header does not match _meta io.modelcontextprotocol/protocolVersion",
            None,
        )));
    }
    if !STATELESS_METHODS.contains(&method) {
        return Err(StatelessRejection::UnknownMethod(ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found in revision {header_version}: {}", truncate(method, 100)),
            None,
        )));
    }
    Ok(())
}

/// Requests that exist in 2026-07-28.
const STATELESS_METHODS: [&str; 9] = [
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
];
/// 2026-07-28 `CacheableResult`s.
const CACHEABLE: [&str; 5] =
    ["tools/list", "resources/list", "resources/templates/list", "resources/read", "prompts/list"];
const CACHE_TTL_MS: u64 = 300_000;
const SERVER_INFO_META_KEY: &str = "io.modelcontextprotocol/serverInfo";

fn cursor(params: Option<&JsonObject>) -> Result<Option<String>, ErrorData> {
    let p: PaginatedRequestParams = decode(params)?;
    Ok(p.cursor)
}

/// Longest serde detail an "Invalid params" message carries: serde quotes the offending value
/// (`unknown variant `…``), and a client must not get its megabyte back in the error.
const MAX_ERROR_DETAIL_CHARS: usize = 200;

/// Decodes `params` into the method's rmcp type; absent params decode as `{}`.
pub(crate) fn decode<T: DeserializeOwned>(params: Option<&JsonObject>) -> Result<T, ErrorData> {
    let value = Value::Object(params.cloned().unwrap_or_default());
    serde_json::from_value(value).map_err(|e| {
        let detail = e.to_string();
        let clipped = truncate(&detail, MAX_ERROR_DETAIL_CHARS);
        let ellipsis = if clipped.len() < detail.len() { "…" } else { "" };
        ErrorData::invalid_params(format!("Invalid params: {clipped}{ellipsis}"), None)
    })
}

fn to_json<T: Serialize>(value: T) -> Result<Value, ErrorData> {
    serde_json::to_value(value)
        .map_err(|e| ErrorData::internal_error(format!("result serialization: {e}"), None))
}

pub(crate) fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::SetLevelRequestParams;

    fn params(v: Value) -> JsonObject {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn invalid_params_messages_do_not_echo_megabytes() {
        let short = decode::<SetLevelRequestParams>(Some(&params(serde_json::json!({"level": "loud"}))));
        let message = short.unwrap_err().message;
        assert!(message.contains("unknown variant `loud`") && message.contains("`debug`"), "{message}");
        assert!(!message.ends_with('…'));
        let huge = "Z".repeat(200_000);
        let long = decode::<SetLevelRequestParams>(Some(&params(serde_json::json!({"level": huge}))));
        let message = long.unwrap_err().message;
        assert!(
            message.chars().count() <= "Invalid params: ".len() + MAX_ERROR_DETAIL_CHARS + 1,
            "{}",
            message.len()
        );
        assert!(message.starts_with("Invalid params: unknown variant `ZZZ") && message.ends_with('…'));
    }
}
