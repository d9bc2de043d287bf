//! What a tool call can fail with, and the one place a failure becomes an `isError` result.
//!
//! A tool's core returns `Result<Output, ToolError>`; only the MCP wrapper (`tools::respond`)
//! turns the error into a [`CallToolResult`]. Each variant's text is what the model reads.

use rmcp::model::{CallToolResult, ContentBlock};

use super::args::ArgError;
use super::backend::BackendError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToolError {
    /// The arguments are wrong (missing, mistyped, an unknown name): the model can fix them.
    #[error("Invalid arguments: {0}")]
    InvalidArguments(String),
    /// The question is well formed but there is nothing to answer it with (an unknown species,
    /// no statistics or sets loaded for the format, no set to compare with). The text says why.
    #[error("{0}")]
    NotFound(String),
    /// The usage statistics could not be read right now.
    #[error("Usage statistics are unavailable right now: {0}.")]
    UsageUnavailable(BackendError),
    /// Neither search nor a fallback answered; the notes say what failed.
    #[error("Strategy search is unavailable right now: {0}")]
    SearchUnavailable(String),
    /// This deployment has no damage calculator.
    #[error("The damage calculator is not available in this deployment.")]
    NoCalculator,
    /// The calculator (or its request/response JSON) failed.
    #[error("The damage calculator failed: {0}")]
    CalculatorFailed(String),
    /// A team export that cannot be parsed.
    #[error("Cannot read this team: {0}")]
    UnreadableTeam(String),
}

impl ToolError {
    /// Any displayable argument problem (a dex or format error met while parsing arguments).
    pub fn invalid(e: impl std::fmt::Display) -> Self {
        Self::InvalidArguments(e.to_string())
    }
}

impl From<ArgError> for ToolError {
    fn from(e: ArgError) -> Self {
        Self::invalid(e)
    }
}

impl From<ToolError> for CallToolResult {
    /// A failed tool call the model can act on (fix the argument, pick a suggestion).
    fn from(e: ToolError) -> Self {
        CallToolResult::error(vec![ContentBlock::text(e.to_string())])
    }
}
