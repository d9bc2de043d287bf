//! `analyze_team`: a Showdown team export checked against the dex, its type chart, the format's
//! most used threats it handles badly (from checks-and-counters statistics), and the threat
//! matrix (`team::matrix`: each top threat's best move against each member, and who is faster).

use rmcp::model::{CallToolResult, JsonObject};
use serde_json::Value;

use super::backend::StrategyBackend;
use super::{args, structured, team, tool_error};
use crate::corpus::Format;

pub const NAME: &str = "analyze_team";

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
    let (usage, sets) = futures::join!(backend.usage(format.id()), backend.sets(format.id()));
    let (usage, sets) = (usage.ok().flatten(), sets.ok().flatten());
    let mut analysis = match team::analyze(paste, &format, usage.as_ref().map(|u| &u.report)) {
        Ok(analysis) => analysis,
        Err(e) => return tool_error(format!("Cannot read this team: {e}")),
    };
    match (usage.as_deref(), backend.damage_calculator()) {
        (Some(usage), Some(calculator)) => {
            let built = team::matrix::build(
                &analysis.members,
                &format,
                usage,
                sets.as_deref(),
                calculator,
                super::damage_calc::CALCULATOR,
            );
            match built {
                Ok(matrix) => analysis.threat_matrix = Some(matrix),
                Err(e) => analysis.notes.push(format!("The threat matrix could not be computed: {e}")),
            }
        }
        (Some(_), None) => {
            analysis.notes.push("No damage calculator in this deployment: no threat matrix.".to_owned())
        }
        (None, _) => {}
    }
    structured(team::render_text(&analysis), serde_json::to_value(&analysis).unwrap_or(Value::Null))
}
