//! `analyze_team`: a Showdown team export checked against the dex, its type chart, and the
//! format's most used threats it handles badly (from checks-and-counters statistics).

use std::sync::Arc;

use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use serde_json::{json, Value};

use super::backend::StrategyBackend;
use super::{args, structured, team, tool_error};
use crate::corpus::Format;

pub const NAME: &str = "analyze_team";

pub fn tool() -> Tool {
    let input = json!({
        "type": "object",
        "properties": {
            "paste": {"type": "string", "minLength": 1, "maxLength": 20000, "description": "A Pokémon Showdown team export (up to 6 Pokémon)"},
            "format": {"type": "string", "pattern": "^gen[1-9][a-z0-9]+$", "description": "e.g. gen9ou"}
        },
        "required": ["paste", "format"],
        "additionalProperties": false
    });
    Tool::new(
        NAME,
        "Analyze a Showdown team export for a format: validates species, items, abilities, moves \
         and EVs (with suggestions for typos), charts the team's weaknesses and resistances, lists \
         the format's most used threats it handles badly (from usage checks and counters), and \
         gives concise suggestions.",
        Arc::new(input.as_object().cloned().unwrap_or_default()),
    )
    .with_title("Analyze team")
    .with_raw_output_schema(Arc::new(team::output_schema().as_object().cloned().unwrap_or_default()))
    .with_annotations(
        ToolAnnotations::with_title("Analyze team")
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
    )
}

pub async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    let parsed = args::only(arguments, &["paste", "format"]).map_err(|e| e.to_string()).and_then(|()| {
        let paste = args::required_str(arguments, "paste", 20_000).map_err(|e| e.to_string())?;
        let format = Format::parse(args::required_str(arguments, "format", 40).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok((paste, format))
    });
    let (paste, format) = match parsed {
        Ok(p) => p,
        Err(e) => return tool_error(format!("Invalid arguments: {e}")),
    };
    // Without statistics the analysis still runs (validation, type chart) and says so.
    let usage = backend.usage(format.id()).await.ok().flatten();
    match team::analyze(paste, &format, usage.as_ref().map(|u| &u.report)) {
        Ok(analysis) => {
            structured(team::render_text(&analysis), serde_json::to_value(&analysis).unwrap_or(Value::Null))
        }
        Err(e) => tool_error(format!("Cannot read this team: {e}")),
    }
}
