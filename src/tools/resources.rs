//! What resources and completion serve besides the tools' own answers: the type chart as JSON,
//! completion candidates, and a tool's structured result as a resource.

use rmcp::model::{CallToolResult, ErrorData};
use serde_json::Value;

use super::{COMMON_FORMATS, COMPLETION_LIMIT};
use crate::dex::{self, dex};

/// `{types, multipliers: {attacking: {defending: x}}}` for one generation.
pub(super) fn typechart_json(gen: u8) -> Value {
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

pub(super) fn format_completions(prefix: &str) -> Vec<String> {
    let prefix = prefix.trim().to_lowercase();
    COMMON_FORMATS.iter().filter(|f| f.starts_with(&prefix)).map(|f| (*f).to_owned()).collect()
}

/// A tool's structured result as a JSON resource; a tool error is "resource not found".
pub(super) fn tool_resource(
    uri: &str,
    result: CallToolResult,
) -> Result<Result<String, serde_json::Error>, ErrorData> {
    match (result.is_error, result.structured_content) {
        (Some(false), Some(value)) => Ok(serde_json::to_string_pretty(&value)),
        _ => {
            let message =
                result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
            Err(ErrorData::resource_not_found(
                format!("Resource not found: {message}"),
                Some(serde_json::json!({"uri": uri})),
            ))
        }
    }
}

pub(super) fn species_completions(prefix: &str) -> Vec<String> {
    if prefix.chars().count() > 100 {
        return Vec::new();
    }
    dex().complete_species(prefix, COMPLETION_LIMIT)
}

pub(super) fn not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!("Resource not found: {}", crate::mcp::dispatch::truncate(uri, 200)),
        Some(serde_json::json!({"uri": crate::mcp::dispatch::truncate(uri, 200)})),
    )
}
