//! What porygon knows, exposed as MCP tools, resources, prompts and completions.
//!
//! `Porygon` implements the protocol layer's [`McpHandler`]; each tool lives in its own module
//! with its schema, argument parsing and output. Tool failures (bad arguments, unknown Pokémon)
//! are `isError` results with a readable message, never protocol errors.

mod analyze_team;
mod args;
pub mod backend;
pub mod damage_calc;
mod get_pokemon;
mod query_strategy;
mod resources;
mod speed_tiers;
pub mod team;
mod usage;

use rmcp::model::{
    ArgumentInfo, CallToolResult, CompletionContext, CompletionInfo, ContentBlock, ErrorData,
    GetPromptResult, Implementation, JsonObject, Prompt, PromptArgument, PromptMessage, PromptsCapability,
    ReadResourceResult, Reference, Resource, ResourceContents, ResourceTemplate, ResourcesCapability, Role,
    ServerCapabilities, Tool, ToolsCapability,
};
use serde_json::Value;

use crate::dex::{self, dex};
use crate::mcp::{McpHandler, RequestScope};
use crate::policy::cache::{CoalescingCache, Outcome};

pub use args::ArgError;
use backend::{NoCorpus, StrategyBackend};
use resources::{format_completions, not_found, species_completions, tool_resource, typechart_json};

const DEX_TEMPLATE: &str = "pokemon://dex/{name}";
const DEX_PREFIX: &str = "pokemon://dex/";
const TYPECHART_PREFIX: &str = "pokemon://typechart/";
const OVERVIEW_PROMPT: &str = "pokemon_overview";
const PLAN_PROMPT: &str = "plan_against";
const REVIEW_PROMPT: &str = "review_team";
const SETS_TEMPLATE: &str = "pokemon://sets/{format}/{name}";
const SETS_PREFIX: &str = "pokemon://sets/";
const USAGE_TEMPLATE: &str = "pokemon://usage/{format}";
const USAGE_PREFIX: &str = "pokemon://usage/";
const SPEED_TEMPLATE: &str = "pokemon://speed/{format}";
const SPEED_PREFIX: &str = "pokemon://speed/";
/// Formats offered by completion (any valid id is accepted; these are the common ones).
const COMMON_FORMATS: [&str; 24] = [
    "gen9ou",
    "gen9uu",
    "gen9ru",
    "gen9nu",
    "gen9pu",
    "gen9ubers",
    "gen9doublesou",
    "gen9vgc2024",
    "gen8ou",
    "gen8uu",
    "gen8ubers",
    "gen8doublesou",
    "gen7ou",
    "gen7uu",
    "gen6ou",
    "gen6uu",
    "gen5ou",
    "gen5uu",
    "gen4ou",
    "gen4uu",
    "gen3ou",
    "gen2ou",
    "gen1ou",
    "gen1uu",
];
/// Completion suggestions returned at most (the spec caps a response at 100).
const COMPLETION_LIMIT: usize = 20;

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
    /// Damage and speed facts for `pokemon`'s likeliest set against the format's most used
    /// Pokémon (`team::matrix::threat_facts`), as prompt text; says why when there are none.
    async fn battle_facts(&self, pokemon: &str, format: &crate::corpus::Format) -> String {
        let (usage, sets) = futures::join!(self.backend.usage(format.id()), self.backend.sets(format.id()));
        let (usage, sets) = (usage.ok().flatten(), sets.ok().flatten());
        let facts = match (usage.as_deref(), self.backend.damage_calculator()) {
            (Some(usage), Some(calculator)) => {
                team::matrix::threat_facts(pokemon, format, usage, sets.as_deref(), calculator)
            }
            (None, _) => Err("no usage statistics for this format".to_owned()),
            (_, None) => Err("no damage calculator in this deployment".to_owned()),
        };
        match facts {
            Ok((set, cells)) => {
                let mut lines = vec![
                    String::new(),
                    format!(
                        "Damage and speed of its likeliest set ({}, no field effects) against the format's most used Pokémon:",
                        damage_calc::CALCULATOR
                    ),
                    set,
                ];
                lines.extend(cells.iter().map(|c| format!("- {}", team::matrix::cell_line(pokemon, c))));
                format!("\n{}\n", lines.join("\n"))
            }
            Err(e) => format!("\n\n(No damage and speed facts: {e}.)\n"),
        }
    }

    /// `plan_against` and `review_team`: the data the model needs, fetched now, plus what to do.
    async fn strategy_prompt(
        &self,
        name: &str,
        arguments: &JsonObject,
    ) -> Result<GetPromptResult, ErrorData> {
        let invalid = |e: String| ErrorData::invalid_params(e, None);
        let format = args::required_str(arguments, "format", 40).map_err(|e| invalid(e.to_string()))?;
        let format = crate::corpus::Format::parse(format).map_err(|e| invalid(e.to_string()))?;
        let (data, ask) = if name == PLAN_PROMPT {
            let pokemon =
                args::required_str(arguments, "pokemon", 100).map_err(|e| invalid(e.to_string()))?;
            let species = dex().species(pokemon, Some(format.gen())).map_err(|e| invalid(e.to_string()))?;
            let call = serde_json::json!({"pokemon": species.name, "format": format.id()});
            let sets = usage::call_sets(&self.backend, call.as_object().expect("object")).await;
            let mut text =
                sets.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
            text.push_str(&self.battle_facts(species.name, &format).await);
            let ask = format!(
                "Plan how to beat {name} in {format}: what it usually runs, which of its checks and \
                 counters fit a team, and how to play around it — use the damage and speed facts \
                 above, and damage_calc / speed_tiers for more. Use query_strategy for Smogon's \
                 analysis of it and cite the sources.",
                name = species.name,
                format = format.id()
            );
            (text, ask)
        } else {
            let paste = args::required_str(arguments, "paste", 20_000).map_err(|e| invalid(e.to_string()))?;
            let call = serde_json::json!({"paste": paste, "format": format.id()});
            let review = analyze_team::call(&self.backend, call.as_object().expect("object")).await;
            let text =
                review.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
            let ask = format!(
                "Review this {} team using the analysis above: fix the problems it lists, then discuss \
                 its weaknesses and threats and suggest concrete changes.",
                format.id()
            );
            (text, ask)
        };
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, format!("{data}\n\n{ask}"))]))
    }

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
    async fn cached<F, Fut>(
        &self,
        name: &str,
        arguments: &JsonObject,
        scope: &RequestScope,
        compute: F,
    ) -> CallToolResult
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = CallToolResult>,
    {
        let version = self.backend.dataset_version().await;
        let key = cache_key(name, arguments, &version);
        let from_shared = std::cell::Cell::new(false);
        let (result, outcome) = self
            .cache
            .get_or_compute(&key, scope.now_ms, is_cacheable, || async {
                if let Some(hit) =
                    self.backend.shared_get(&key).await.and_then(|s| serde_json::from_str(&s).ok())
                {
                    from_shared.set(true);
                    return hit;
                }
                let result = compute().await;
                if is_cacheable(&result) {
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
            query_strategy::NAME => Ok(self
                .cached(name, &arguments, scope, || query_strategy::call(&self.backend, &arguments))
                .await),
            usage::SETS_NAME => {
                Ok(self.cached(name, &arguments, scope, || usage::call_sets(&self.backend, &arguments)).await)
            }
            usage::USAGE_NAME => Ok(self
                .cached(name, &arguments, scope, || usage::call_usage(&self.backend, &arguments))
                .await),
            analyze_team::NAME => Ok(self
                .cached(name, &arguments, scope, || analyze_team::call(&self.backend, &arguments))
                .await),
            damage_calc::NAME => Ok(self
                .cached(name, &arguments, scope, || damage_calc::call(&self.backend, &arguments))
                .await),
            speed_tiers::NAME => Ok(self
                .cached(name, &arguments, scope, || speed_tiers::call(&self.backend, &arguments))
                .await),
            other => Err(ErrorData::invalid_params(
                format!("Unknown tool: {}", crate::mcp::dispatch::truncate(other, 100)),
                None,
            )),
        }
    }

    fn resources(&self) -> Vec<Resource> {
        (dex::MIN_GEN..=dex::MAX_GEN)
            .map(|gen| {
                Resource::new(format!("{TYPECHART_PREFIX}{gen}"), format!("typechart-gen{gen}"))
                    .with_title(format!("Type chart, generation {gen}"))
                    .with_description("Damage multipliers, attacking type → defending type")
                    .with_mime_type("application/json")
            })
            .collect()
    }

    fn resource_templates(&self) -> Vec<ResourceTemplate> {
        vec![
            ResourceTemplate::new(DEX_TEMPLATE, "pokemon-dex")
                .with_title("Pokédex entry")
                .with_description(
                    "Types, base stats, abilities, tiers and type matchups of a Pokémon (newest generation)",
                )
                .with_mime_type("application/json"),
            ResourceTemplate::new(SETS_TEMPLATE, "pokemon-sets")
                .with_title("Popular sets")
                .with_description(
                    "A Pokémon's likeliest set from usage statistics and Smogon's sets, in a format",
                )
                .with_mime_type("application/json"),
            ResourceTemplate::new(USAGE_TEMPLATE, "format-usage")
                .with_title("Format usage summary")
                .with_description("The 50 most used Pokémon of a format, with month and rating cutoff")
                .with_mime_type("application/json"),
            ResourceTemplate::new(SPEED_TEMPLATE, "format-speed-tiers")
                .with_title("Speed tiers")
                .with_description(
                    "The 20 most used Pokémon of a format by final Speed at the format's level: common spreads and benchmarks, no modifiers",
                )
                .with_mime_type("application/json"),
        ]
    }

    async fn read_resource(&self, uri: &str, _scope: &RequestScope) -> Result<ReadResourceResult, ErrorData> {
        let json = if let Some(name) = uri.strip_prefix(DEX_PREFIX) {
            let name = args::uri_segment(name).ok_or_else(|| not_found(uri))?;
            let entry = get_pokemon::lookup(&name, None).map_err(|e| {
                ErrorData::resource_not_found(
                    format!("Resource not found: {e}"),
                    Some(serde_json::json!({"uri": uri})),
                )
            })?;
            serde_json::to_string_pretty(&entry)
        } else if let Some(rest) = uri.strip_prefix(SETS_PREFIX) {
            let (format, name) = rest.split_once('/').ok_or_else(|| not_found(uri))?;
            let (format, name) = (args::uri_segment(format), args::uri_segment(name));
            let (Some(format), Some(name)) = (format, name) else { return Err(not_found(uri)) };
            let arguments = serde_json::json!({"pokemon": name, "format": format});
            let result = usage::call_sets(&self.backend, arguments.as_object().expect("object")).await;
            tool_resource(uri, result)?
        } else if let Some(format) = uri.strip_prefix(USAGE_PREFIX) {
            let format = args::uri_segment(format).ok_or_else(|| not_found(uri))?;
            let arguments = serde_json::json!({"format": format, "limit": 50});
            let result = usage::call_usage(&self.backend, arguments.as_object().expect("object")).await;
            tool_resource(uri, result)?
        } else if let Some(format) = uri.strip_prefix(SPEED_PREFIX) {
            let format = args::uri_segment(format).ok_or_else(|| not_found(uri))?;
            let arguments = serde_json::json!({"format": format, "limit": 20});
            let result = speed_tiers::call(&self.backend, arguments.as_object().expect("object")).await;
            tool_resource(uri, result)?
        } else if let Some(gen) = uri.strip_prefix(TYPECHART_PREFIX) {
            let gen = gen
                .parse::<u8>()
                .ok()
                .filter(|g| dex::check_gen(*g).is_ok())
                .ok_or_else(|| not_found(uri))?;
            serde_json::to_string_pretty(&typechart_json(gen))
        } else {
            return Err(not_found(uri));
        };
        let text = json.map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(ReadResourceResult::new(
            vec![ResourceContents::text(text, uri).with_mime_type("application/json")],
        ))
    }

    fn prompts(&self) -> Vec<Prompt> {
        let required = |name: &str, description: &str| {
            PromptArgument::new(name).with_description(description).with_required(true)
        };
        vec![
            Prompt::new(
                PLAN_PROMPT,
                Some("Plan how to beat a Pokémon in a format, from its sets, usage, checks and counters"),
                Some(vec![
                    required("pokemon", "The threat, e.g. Kingambit"),
                    required("format", "e.g. gen9ou"),
                ]),
            )
            .with_title("Plan against a Pokémon"),
            Prompt::new(
                REVIEW_PROMPT,
                Some("Review a team: validation, type chart, threats from usage data, suggestions"),
                Some(vec![required("paste", "A Showdown team export"), required("format", "e.g. gen9ou")]),
            )
            .with_title("Review my team"),
            Prompt::new(
                OVERVIEW_PROMPT,
                Some("Explain a Pokémon's competitive profile from its dex data"),
                Some(vec![
                    PromptArgument::new("name")
                        .with_description("Pokémon name, e.g. Garchomp")
                        .with_required(true),
                    PromptArgument::new("generation")
                        .with_description("Generation 1-9 (default: newest)")
                        .with_required(false),
                ]),
            )
            .with_title("Pokémon overview"),
        ]
    }

    async fn get_prompt(
        &self,
        name: &str,
        arguments: JsonObject,
        _scope: &RequestScope,
    ) -> Result<GetPromptResult, ErrorData> {
        if name == PLAN_PROMPT || name == REVIEW_PROMPT {
            return self.strategy_prompt(name, &arguments).await;
        }
        if name != OVERVIEW_PROMPT {
            return Err(ErrorData::invalid_params(
                format!("Unknown prompt: {}", crate::mcp::dispatch::truncate(name, 100)),
                None,
            ));
        }
        let invalid = |e: ArgError| ErrorData::invalid_params(e.to_string(), None);
        let pokemon = args::required_str(&arguments, "name", 100).map_err(invalid)?;
        let generation = args::optional_generation_text(&arguments, "generation").map_err(invalid)?;
        let entry = get_pokemon::lookup(pokemon, generation)
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))?;
        let data = serde_json::to_string_pretty(&entry).unwrap_or_default();
        let text = format!(
            "Using this dex data for {name} (generation {gen}):\n\n```json\n{data}\n```\n\n\
             Explain {name}'s competitive profile: its likely roles given its stats and abilities, \
             the types it threatens and fears (weaknesses, resistances, immunities), and the \
             formats/tiers it is found in.",
            name = entry.name,
            gen = entry.generation,
        );
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(format!("Competitive overview of {}", entry.name)))
    }

    fn complete(
        &self,
        reference: &Reference,
        argument: &ArgumentInfo,
        _context: Option<&CompletionContext>,
    ) -> Result<CompletionInfo, ErrorData> {
        let values = match (reference, argument.name.as_str()) {
            (Reference::Prompt(p), "name") if p.name == OVERVIEW_PROMPT => {
                species_completions(&argument.value)
            }
            (Reference::Prompt(p), "generation") if p.name == OVERVIEW_PROMPT => (dex::MIN_GEN
                ..=dex::MAX_GEN)
                .map(|g| g.to_string())
                .filter(|g| g.starts_with(argument.value.trim()))
                .collect(),
            (Reference::Resource(r), "name") if r.uri == DEX_TEMPLATE || r.uri == SETS_TEMPLATE => {
                species_completions(&argument.value)
            }
            (Reference::Prompt(p), "pokemon") if p.name == PLAN_PROMPT => {
                species_completions(&argument.value)
            }
            (Reference::Prompt(p), "format") if p.name == PLAN_PROMPT || p.name == REVIEW_PROMPT => {
                format_completions(&argument.value)
            }
            (Reference::Resource(r), "format")
                if r.uri == SETS_TEMPLATE || r.uri == USAGE_TEMPLATE || r.uri == SPEED_TEMPLATE =>
            {
                format_completions(&argument.value)
            }
            (Reference::Prompt(p), _)
                if ![OVERVIEW_PROMPT, PLAN_PROMPT, REVIEW_PROMPT].contains(&p.name.as_str()) =>
            {
                return Err(ErrorData::invalid_params(
                    format!("Unknown prompt: {}", crate::mcp::dispatch::truncate(&p.name, 100)),
                    None,
                ))
            }
            _ => Vec::new(),
        };
        CompletionInfo::new(values).map_err(|e| ErrorData::internal_error(e, None))
    }
}

/// A successful tool result: the structured value, plus the same as readable text (clients
/// that ignore `structuredContent` still get everything).
pub(crate) fn structured(text: String, value: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(value);
    result
}

/// A failed tool call the model can act on (fix the argument, pick a suggestion).
pub(crate) fn tool_error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
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
pub fn catalog() -> &'static [Tool] {
    static CATALOG: std::sync::OnceLock<Vec<Tool>> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        DEFINITIONS
            .iter()
            .map(|json| serde_json::from_str(json).expect("src/tools/defs/*.json are valid tool definitions"))
            .collect()
    })
}

/// The output schema of tool `name`, as published.
pub fn output_schema(name: &str) -> Option<Value> {
    let tool = catalog().iter().find(|t| t.name == name)?;
    Some(Value::Object(tool.output_schema.as_deref()?.clone()))
}

#[cfg(test)]
mod tests;
