//! The resources: dex entries and type charts, and three tools' answers as JSON documents
//! (`pokemon://sets/…`, `pokemon://usage/…`, `pokemon://speed/…`), read through the tools'
//! typed cores.

use rmcp::model::{ErrorData, ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde::Serialize;
use serde_json::Value;

use super::backend::StrategyBackend;
use super::{args, get_pokemon, get_popular_sets, get_usage_stats, speed_tiers, ToolError};
use crate::dex;

pub(super) const DEX_TEMPLATE: &str = "pokemon://dex/{name}";
const DEX_PREFIX: &str = "pokemon://dex/";
const TYPECHART_PREFIX: &str = "pokemon://typechart/";
pub(super) const SETS_TEMPLATE: &str = "pokemon://sets/{format}/{name}";
const SETS_PREFIX: &str = "pokemon://sets/";
pub(super) const USAGE_TEMPLATE: &str = "pokemon://usage/{format}";
const USAGE_PREFIX: &str = "pokemon://usage/";
pub(super) const SPEED_TEMPLATE: &str = "pokemon://speed/{format}";
const SPEED_PREFIX: &str = "pokemon://speed/";
/// Entries of the usage and speed resources.
const USAGE_ENTRIES: usize = 50;
const SPEED_ENTRIES: usize = 20;

/// The fixed resources: one type chart per generation.
pub(super) fn list() -> Vec<Resource> {
    (dex::MIN_GEN..=dex::MAX_GEN)
        .map(|gen| {
            Resource::new(format!("{TYPECHART_PREFIX}{gen}"), format!("typechart-gen{gen}"))
                .with_title(format!("Type chart, generation {gen}"))
                .with_description("Damage multipliers, attacking type → defending type")
                .with_mime_type("application/json")
        })
        .collect()
}

pub(super) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(DEX_TEMPLATE, "pokemon-dex")
            .with_title("Pokédex entry")
            .with_description(
                "Types, base stats, abilities, tiers and type matchups of a Pokémon (newest generation)",
            )
            .with_mime_type("application/json"),
        ResourceTemplate::new(SETS_TEMPLATE, "pokemon-sets")
            .with_title("Popular sets")
            .with_description("A Pokémon's likeliest set from usage statistics and Smogon's sets, in a format")
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

pub(super) async fn read(backend: &impl StrategyBackend, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let json = if let Some(name) = uri.strip_prefix(DEX_PREFIX) {
        let name = args::uri_segment(name).ok_or_else(|| not_found(uri))?;
        let entry = get_pokemon::lookup(&name, None).map_err(|e| failed(uri, e))?;
        serde_json::to_string_pretty(&entry)
    } else if let Some(rest) = uri.strip_prefix(SETS_PREFIX) {
        let (format, name) = rest.split_once('/').ok_or_else(|| not_found(uri))?;
        let (format, name) = (args::uri_segment(format), args::uri_segment(name));
        let (Some(format), Some(name)) = (format, name) else { return Err(not_found(uri)) };
        let input = get_popular_sets::Input::newest(&name, &format);
        let output = match input {
            Ok(input) => get_popular_sets::run(backend, input).await,
            Err(e) => Err(e),
        };
        tool_resource(uri, output)?
    } else if let Some(format) = uri.strip_prefix(USAGE_PREFIX) {
        let format = args::uri_segment(format).ok_or_else(|| not_found(uri))?;
        let output = match get_usage_stats::Input::first(&format, USAGE_ENTRIES) {
            Ok(input) => get_usage_stats::run(backend, input).await,
            Err(e) => Err(e),
        };
        tool_resource(uri, output)?
    } else if let Some(format) = uri.strip_prefix(SPEED_PREFIX) {
        let format = args::uri_segment(format).ok_or_else(|| not_found(uri))?;
        let output = match speed_tiers::Input::top(&format, SPEED_ENTRIES) {
            Ok(input) => speed_tiers::run(backend, input).await,
            Err(e) => Err(e),
        };
        tool_resource(uri, output)?
    } else if let Some(gen) = uri.strip_prefix(TYPECHART_PREFIX) {
        let gen =
            gen.parse::<u8>().ok().filter(|g| dex::check_gen(*g).is_ok()).ok_or_else(|| not_found(uri))?;
        serde_json::to_string_pretty(&typechart_json(gen))
    } else {
        return Err(not_found(uri));
    };
    let text = json.map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
    Ok(ReadResourceResult::new(vec![ResourceContents::text(text, uri).with_mime_type("application/json")]))
}

/// `{types, multipliers: {attacking: {defending: x}}}` for one generation.
fn typechart_json(gen: u8) -> Value {
    let chart = dex::typechart::chart(gen);
    let rows: serde_json::Map<String, Value> = chart
        .types()
        .iter()
        .map(|atk| {
            let row = chart
                .types()
                .iter()
                .map(|def| (def.clone(), chart.multiplier(atk, def).unwrap_or(1.0).into()));
            (atk.clone(), Value::Object(row.collect()))
        })
        .collect();
    serde_json::json!({"generation": gen, "types": chart.types(), "multipliers": rows})
}

/// A tool's output as a JSON resource; a tool error is "resource not found".
fn tool_resource<O: Serialize>(
    uri: &str,
    output: Result<O, ToolError>,
) -> Result<Result<String, serde_json::Error>, ErrorData> {
    let value = output.map_err(|e| failed(uri, e))?;
    Ok(serde_json::to_value(&value).and_then(|v| serde_json::to_string_pretty(&v)))
}

/// A resource whose answer is an error: "not found", with the error's text.
fn failed(uri: &str, e: impl std::fmt::Display) -> ErrorData {
    ErrorData::resource_not_found(format!("Resource not found: {e}"), Some(serde_json::json!({"uri": uri})))
}

fn not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!("Resource not found: {}", crate::mcp::dispatch::truncate(uri, 200)),
        Some(serde_json::json!({"uri": crate::mcp::dispatch::truncate(uri, 200)})),
    )
}
