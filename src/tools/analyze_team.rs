//! `analyze_team`: a Showdown team export checked against the dex, its type chart, the format's
//! most used threats it handles badly (from checks-and-counters statistics), and the threat
//! matrix (`team::matrix`: each top threat's best move against each member, and who is faster).

use rmcp::model::{CallToolResult, JsonObject};

use super::backend::StrategyBackend;
use super::team::{self, TeamAnalysis};
use super::{args, respond, Render, ToolError};
use crate::corpus::Format;

pub(super) const NAME: &str = "analyze_team";

/// The arguments, checked.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Input {
    /// The team export (trimmed, at most 20,000 characters).
    pub paste: String,
    pub format: Format,
}

impl Input {
    pub(super) fn parse(arguments: &JsonObject) -> Result<Self, ToolError> {
        args::only(arguments, &["paste", "format"])?;
        let paste = args::required_str(arguments, "paste", 20_000)?;
        let format =
            Format::parse(args::required_str(arguments, "format", 40)?).map_err(ToolError::invalid)?;
        Ok(Self { paste: paste.to_owned(), format })
    }
}

/// The analysis is the output: `team::TeamAnalysis`.
pub(super) type Output = TeamAnalysis;

pub(super) async fn run(backend: &impl StrategyBackend, input: Input) -> Result<Output, ToolError> {
    let Input { paste, format } = input;
    // Without statistics the analysis still runs (validation, type chart) and says so.
    let (usage, sets) = futures::join!(backend.usage(format.id()), backend.sets(format.id()));
    let (usage, sets) = (usage.ok().flatten(), sets.ok().flatten());
    let mut analysis = team::analyze(&paste, &format, usage.as_ref().map(|u| &u.report))
        .map_err(|e| ToolError::UnreadableTeam(e.to_string()))?;
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
            analysis.notes.push("No damage calculator in this deployment: no threat matrix.".to_owned());
        }
        (None, _) => {}
    }
    Ok(analysis)
}

impl Render for TeamAnalysis {
    fn render(&self) -> String {
        team::render_text(self)
    }
}

pub(super) async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    match Input::parse(arguments) {
        Ok(input) => respond(run(backend, input).await),
        Err(e) => e.into(),
    }
}
