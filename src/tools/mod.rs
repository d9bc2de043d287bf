//! What porygon knows, exposed as MCP tools, resources, prompts and completions.
//!
//! `Porygon` implements the protocol layer's [`McpHandler`] by delegation: each tool lives in
//! its own module with a typed core (`Input::parse`, `run(backend, Input) -> Result<Output,
//! ToolError>`, `Output::render`) and a thin MCP wrapper `call`; `resources`, `prompts` and
//! `completion` read the same cores. Tool failures (bad arguments, unknown Pokémon) are
//! `isError` results with a readable message (`ToolError`), never protocol errors.

mod analyze_team;
mod args;
pub(crate) mod backend;
mod completion;
pub(crate) mod damage_calc;
mod error;
mod get_pokemon;
mod get_popular_sets;
mod get_usage_stats;
mod prompts;
mod query_strategy;
mod resources;
mod speed_tiers;
pub(crate) mod team;

use rmcp::model::{
    ArgumentInfo, CallToolResult, CompletionContext, CompletionInfo, ContentBlock, ErrorData,
    GetPromptResult, Implementation, JsonObject, Prompt, PromptsCapability, ReadResourceResult, Reference,
    Resource, ResourceTemplate, ResourcesCapability, ServerCapabilities, Tool, ToolsCapability,
};
use serde::Serialize;
use serde_json::Value;

use crate::mcp::{McpHandler, RequestScope};
use crate::policy::cache::{CoalescingCache, Outcome};

pub(crate) use args::ArgError;
use backend::{NoCorpus, StrategyBackend};
pub(crate) use error::ToolError;

/// Tool results kept per client object, and for how long.
const CACHE_ENTRIES: usize = 256;
const CACHE_TTL_MS: i64 = 5 * 60 * 1000;

/// The server's tools, resources and prompts, over a strategy backend.
pub struct Porygon<B = NoCorpus> {
    backend: B,
    /// Results of the corpus tools, by tool + normalised arguments + dataset version.
    cache: CoalescingCache<CallToolResult>,
}

impl Porygon<NoCorpus> {
    /// Dex tools only: no strategy corpus.
    pub fn new() -> Self {
        Self::with_backend(NoCorpus)
    }
}

impl Default for Porygon<NoCorpus> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: StrategyBackend> Porygon<B> {
    pub fn with_backend(backend: B) -> Self {
        Self { backend, cache: CoalescingCache::new(CACHE_ENTRIES, CACHE_TTL_MS) }
    }

    /// What the tools read through (the edge sets per-request state on it, e.g. test faults).
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Runs a corpus tool through the per-client coalescing cache and, on a miss, the shared
    /// cache: identical concurrent calls share one computation, and a popular question is
    /// computed once per TTL across clients. Errors and degraded answers are never cached.
    /// `share` (asked on a miss only) says whether the answer is worth the shared cache's round
    /// trip.
    async fn cached<F, Fut, S, SFut>(
        &self,
        name: &str,
        arguments: &JsonObject,
        scope: &RequestScope,
        share: S,
        compute: F,
    ) -> CallToolResult
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = CallToolResult>,
        S: FnOnce() -> SFut,
        SFut: std::future::Future<Output = bool>,
    {
        let version = self.backend.dataset_version().await;
        let key = cache_key(name, arguments, &version);
        let from_shared = std::cell::Cell::new(false);
        let (result, outcome) = self
            .cache
            .get_or_compute(&key, scope.now_ms, is_cacheable, || async {
                let share = share().await;
                if let Some(hit) = match share {
                    true => self.backend.shared_get(&key).await.and_then(|s| serde_json::from_str(&s).ok()),
                    false => None,
                } {
                    from_shared.set(true);
                    return hit;
                }
                let result = compute().await;
                if share && is_cacheable(&result) {
                    if let Ok(json) = serde_json::to_string(&result) {
                        self.backend.shared_put(&key, &json, (CACHE_TTL_MS / 1000) as u32).await;
                    }
                }
                result
            })
            .await;
        // A miss of this client's cache that another client's answer (the shared layer) served
        // is "shared": "miss" means the answer was computed here.
        let outcome = match outcome {
            Outcome::Miss if from_shared.get() => "shared",
            other => other.as_str(),
        };
        scope.report.cache.set(Some(outcome));
        *scope.report.degradation.borrow_mut() = degradation(&result);
        result
    }
}

/// The other corpus tools always use the shared cache (their answers read raw files an isolate
/// may not have parsed yet).
async fn always() -> bool {
    true
}

/// Tool name, dataset version and arguments with their text normalised (case, spacing), so
/// "Kingambit  counters" and "kingambit counters" share an entry. Team pastes are kept verbatim.
fn cache_key(name: &str, arguments: &JsonObject, version: &str) -> String {
    let normalised: JsonObject = arguments
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) if k != "paste" => {
                    Value::String(s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase())
                }
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    format!("{name}|{version}|{}", Value::Object(normalised))
}

/// Why an answer is degraded: "semantic-failed", "lexical-failed", or "usage-fallback" when no
/// search answered and usage statistics stood in.
fn degradation(result: &CallToolResult) -> Option<String> {
    let content = result.structured_content.as_ref()?;
    if content.get("degraded").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let status =
        |retriever: &str| content.pointer(&format!("/retrieval/{retriever}")).and_then(Value::as_str);
    let reason = match (status("lexical"), status("semantic")) {
        (Some("failed"), Some("ok")) => "lexical-failed",
        (Some("failed"), _) => "usage-fallback",
        (_, Some("failed")) => "semantic-failed",
        _ => "degraded",
    };
    Some(reason.to_owned())
}

fn is_cacheable(result: &CallToolResult) -> bool {
    result.is_error != Some(true)
        && result.structured_content.as_ref().and_then(|v| v.get("degraded")).and_then(Value::as_bool)
            != Some(true)
}

impl<B: StrategyBackend> McpHandler for Porygon<B> {
    fn server_info(&self) -> Implementation {
        Implementation::new("porygon", env!("CARGO_PKG_VERSION"))
            .with_title("Porygon — competitive Pokémon strategy")
            .with_description("Dex facts, Smogon sets and usage, strategy search and team analysis")
    }

    fn instructions(&self) -> Option<String> {
        Some(
            "Competitive Pokémon data. Use query_strategy to find Smogon strategy (analyses, sets, \
             usage statistics, checks and counters) with source links; get_pokemon for types, base \
             stats, abilities, tiers and type matchups of a species (any generation 1-9); speed_tiers for \
             a format's speed tiers under modifiers and the Speed EVs needed to outspeed a threat. Names are forgiving (case, spaces, \
             'Alolan Ninetales'); unknown names come back with suggestions. Resources: \
             pokemon://dex/{name} and pokemon://typechart/{generation}."
                .into(),
        )
    }

    fn capabilities(&self) -> ServerCapabilities {
        let mut caps = ServerCapabilities::default();
        caps.tools = Some(ToolsCapability::default());
        caps.resources = Some(ResourcesCapability::default());
        caps.prompts = Some(PromptsCapability::default());
        caps.completions = Some(JsonObject::new());
        caps.logging = Some(JsonObject::new());
        caps
    }

    fn tools(&self) -> Vec<Tool> {
        catalog().to_vec()
    }

    async fn call_tool(
        &self,
        name: &str,
        arguments: JsonObject,
        scope: &RequestScope,
    ) -> Result<CallToolResult, ErrorData> {
        match name {
            get_pokemon::NAME => Ok(get_pokemon::call(&self.backend, &arguments).await),
            query_strategy::NAME => {
                // The input is parsed once, on a miss: to learn the format, then to answer.
                let parsed = std::cell::RefCell::new(None);
                let share = || async {
                    let input = query_strategy::Input::parse(&arguments);
                    let share = match &input {
                        Ok(input) => !self.backend.searches_locally(&input.format).await,
                        Err(_) => false,
                    };
                    *parsed.borrow_mut() = Some(input);
                    share
                };
                let compute = || async {
                    let input = parsed.borrow_mut().take();
                    match input {
                        Some(input) => query_strategy::answer(&self.backend, input).await,
                        None => query_strategy::call(&self.backend, &arguments).await,
                    }
                };
                Ok(self.cached(name, &arguments, scope, share, compute).await)
            }
            get_popular_sets::NAME => Ok(self
                .cached(name, &arguments, scope, always, || get_popular_sets::call(&self.backend, &arguments))
                .await),
            get_usage_stats::NAME => Ok(self
                .cached(name, &arguments, scope, always, || get_usage_stats::call(&self.backend, &arguments))
                .await),
            analyze_team::NAME => Ok(self
                .cached(name, &arguments, scope, always, || analyze_team::call(&self.backend, &arguments))
                .await),
            damage_calc::NAME => Ok(self
                .cached(name, &arguments, scope, always, || damage_calc::call(&self.backend, &arguments))
                .await),
            speed_tiers::NAME => Ok(self
                .cached(name, &arguments, scope, always, || speed_tiers::call(&self.backend, &arguments))
                .await),
            other => Err(ErrorData::invalid_params(
                format!("Unknown tool: {}", crate::mcp::dispatch::truncate(other, 100)),
                None,
            )),
        }
    }

    fn resources(&self) -> Vec<Resource> {
        resources::list()
    }

    fn resource_templates(&self) -> Vec<ResourceTemplate> {
        resources::templates()
    }

    async fn read_resource(&self, uri: &str, _scope: &RequestScope) -> Result<ReadResourceResult, ErrorData> {
        resources::read(&self.backend, uri).await
    }

    fn prompts(&self) -> Vec<Prompt> {
        prompts::list()
    }

    async fn get_prompt(
        &self,
        name: &str,
        arguments: JsonObject,
        _scope: &RequestScope,
    ) -> Result<GetPromptResult, ErrorData> {
        prompts::get(&self.backend, name, &arguments).await
    }

    fn complete(
        &self,
        reference: &Reference,
        argument: &ArgumentInfo,
        _context: Option<&CompletionContext>,
    ) -> Result<CompletionInfo, ErrorData> {
        completion::complete(reference, argument)
    }
}

/// A successful tool result: the structured value, plus the same as readable text (clients
/// that ignore `structuredContent` still get everything).
pub(crate) fn structured(text: String, value: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(value);
    result
}

/// A tool's output as text: what clients that ignore `structuredContent` read.
pub(crate) trait Render: Serialize {
    fn render(&self) -> String;
}

/// A tool core's answer as an MCP result: the output's text and JSON, or the error's text
/// (`isError`). The one place a `ToolError` becomes a result.
pub(crate) fn respond<O: Render>(result: Result<O, ToolError>) -> CallToolResult {
    match result {
        Ok(output) => structured(output.render(), serde_json::to_value(&output).unwrap_or(Value::Null)),
        Err(e) => e.into(),
    }
}

/// The tools as `tools/list` shows them, in this order: name, title, description, input and
/// output JSON Schemas and annotations, one file per tool in `defs/`. Data rather than `json!`
/// code: the schemas were ~160 KB of the wasm as code and are ~60 KB of text here, which
/// compresses far better (issue #14's size target); a unit test checks each file against its
/// tool's constants and its output schema against real outputs.
const DEFINITIONS: [&str; 7] = [
    include_str!("defs/get_pokemon.json"),
    include_str!("defs/query_strategy.json"),
    include_str!("defs/get_popular_sets.json"),
    include_str!("defs/get_usage_stats.json"),
    include_str!("defs/analyze_team.json"),
    include_str!("defs/damage_calc.json"),
    include_str!("defs/speed_tiers.json"),
];

/// The parsed [`DEFINITIONS`], once per isolate.
pub(crate) fn catalog() -> &'static [Tool] {
    static CATALOG: std::sync::OnceLock<Vec<Tool>> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        DEFINITIONS
            .iter()
            .map(|json| serde_json::from_str(json).expect("src/tools/defs/*.json are valid tool definitions"))
            .collect()
    })
}

/// The output schema of tool `name`, as published.
#[cfg(test)]
pub(crate) fn output_schema(name: &str) -> Option<Value> {
    let tool = catalog().iter().find(|t| t.name == name)?;
    Some(Value::Object(tool.output_schema.as_deref()?.clone()))
}

#[cfg(test)]
mod local_data;
#[cfg(test)]
mod tests;
