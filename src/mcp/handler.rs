//! What an MCP server offers, independent of how messages arrive.
//!
//! Like rmcp's `ServerHandler`, but without a runtime: the dispatcher calls these methods, and the
//! handler returns rmcp model types. A tool's *own* failure is an `Ok(CallToolResult)` with
//! `is_error: true`; `Err(ErrorData)` is reserved for protocol errors (unknown tool, malformed
//! params).

use std::cell::{Cell, RefCell};

use rmcp::model::{
    ArgumentInfo, CallToolResult, CompletionContext, CompletionInfo, ErrorData, GetPromptResult,
    Implementation, JsonObject, LoggingLevel, Prompt, ProtocolVersion, ReadResourceResult, Reference,
    Resource, ResourceTemplate, ServerCapabilities, Tool,
};

/// Who is asking, as far as one request can tell.
#[derive(Debug, Clone)]
pub struct RequestScope {
    /// What the handler did, for logs and metrics (never sent to the client).
    pub report: CallReport,
    pub protocol: ProtocolVersion,
    /// None for stateless requests.
    pub session_id: Option<String>,
    pub client: Option<Implementation>,
    pub log_level: Option<LoggingLevel>,
    /// The request's time (epoch ms): handlers have no clock of their own.
    pub now_ms: i64,
}

impl RequestScope {
    pub fn stateless(protocol: ProtocolVersion, now_ms: i64) -> Self {
        Self {
            report: CallReport::default(),
            protocol,
            session_id: None,
            client: None,
            log_level: None,
            now_ms,
        }
    }
}

/// Facts a handler records about how it answered (filled through `&RequestScope`, hence cells).
#[derive(Debug, Clone, Default)]
pub struct CallReport {
    /// Result cache outcome of the last cached tool call: "hit", "shared", "coalesced" or "miss".
    pub cache: Cell<Option<&'static str>>,
    /// Why the last answer was degraded ("semantic-failed", "usage-fallback", …), if it was.
    pub degradation: RefCell<Option<String>>,
}

#[allow(async_fn_in_trait)] // Workers are single-threaded: no Send bound wanted.
pub trait McpHandler {
    fn server_info(&self) -> Implementation;
    fn instructions(&self) -> Option<String>;
    fn capabilities(&self) -> ServerCapabilities;

    fn tools(&self) -> Vec<Tool>;
    async fn call_tool(
        &self,
        name: &str,
        arguments: JsonObject,
        scope: &RequestScope,
    ) -> Result<CallToolResult, ErrorData>;

    fn resources(&self) -> Vec<Resource> {
        Vec::new()
    }
    fn resource_templates(&self) -> Vec<ResourceTemplate> {
        Vec::new()
    }
    async fn read_resource(&self, uri: &str, _scope: &RequestScope) -> Result<ReadResourceResult, ErrorData> {
        Err(ErrorData::resource_not_found(format!("Resource not found: {uri}"), None))
    }

    fn prompts(&self) -> Vec<Prompt> {
        Vec::new()
    }
    async fn get_prompt(
        &self,
        name: &str,
        _arguments: JsonObject,
        _scope: &RequestScope,
    ) -> Result<GetPromptResult, ErrorData> {
        Err(ErrorData::invalid_params(format!("Unknown prompt: {name}"), None))
    }

    fn complete(
        &self,
        _reference: &Reference,
        _argument: &ArgumentInfo,
        _context: Option<&CompletionContext>,
    ) -> Result<CompletionInfo, ErrorData> {
        Ok(CompletionInfo::default())
    }
}
