//! `get_usage_stats`: a format's usage ranking, a page at a time, with provenance.

use rmcp::model::{CallToolResult, JsonObject};
use serde::Serialize;

use super::backend::{FormatUsage, StrategyBackend};
use super::{args, respond, Render, ToolError};
use crate::corpus::{Format, UsageStats};
use crate::dex::to_id;
use crate::mcp::pagination;

pub(super) const NAME: &str = "get_usage_stats";

/// `get_usage_stats` cursors (`mcp::pagination`): `u:<offset>`.
const CURSOR_PREFIX: &str = "u:";
const DEFAULT_LIMIT: usize = 20;

/// The arguments, checked.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Input {
    /// Canonical format id.
    pub format: String,
    pub limit: usize,
    /// A cursor this tool issued (checked against the ranking when it is read).
    pub cursor: Option<String>,
}

impl Input {
    pub(super) fn parse(arguments: &JsonObject) -> Result<Self, ToolError> {
        args::only(arguments, &["format", "limit", "cursor"])?;
        let limit = args::optional_int(arguments, "limit", 1, 100)?.map_or(DEFAULT_LIMIT, |l| l as usize);
        let cursor = args::optional_str(arguments, "cursor", 20)?.map(str::to_owned);
        let format = args::required_str(arguments, "format", 40)?;
        Ok(Self { format: format_id(format)?, limit, cursor })
    }

    /// The first `limit` entries of `format` (a name given as text, checked as the argument is).
    pub(super) fn first(format: &str, limit: usize) -> Result<Self, ToolError> {
        let format = args::text("format", format, 40)?;
        Ok(Self { format: format_id(format)?, limit, cursor: None })
    }
}

/// A format argument's canonical id.
pub(super) fn format_id(raw: &str) -> Result<String, ToolError> {
    Format::parse(raw).map(|f| f.id().to_owned()).map_err(ToolError::invalid)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Output {
    pub format: String,
    pub month: String,
    pub cutoff: u32,
    pub battles: Option<u64>,
    pub total: usize,
    pub source_url: String,
    pub entries: Vec<UsageEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageEntry {
    pub rank: usize,
    pub pokemon: String,
    pub name: String,
    pub usage_percent: Option<f64>,
    pub raw_count: Option<u64>,
}

/// The newest statistics of `format`, or why there are none.
pub(super) async fn usage_of(
    backend: &impl StrategyBackend,
    format: &str,
) -> Result<std::rc::Rc<FormatUsage>, ToolError> {
    match backend.usage(format).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(ToolError::NotFound(format!("No usage statistics are loaded for {format}."))),
        Err(e) => Err(ToolError::UsageUnavailable(e)),
    }
}

pub(super) async fn run(backend: &impl StrategyBackend, input: Input) -> Result<Output, ToolError> {
    let usage = usage_of(backend, &input.format).await?;
    let mut species: Vec<&UsageStats> = usage.report.species.iter().collect();
    species.sort_by_key(|s| s.rank);
    let start = match &input.cursor {
        None => 0,
        Some(c) => pagination::decode_offset(CURSOR_PREFIX, c, species.len()).ok_or_else(|| {
            ToolError::InvalidArguments("argument \"cursor\" is not a cursor this tool issued".into())
        })?,
    };
    let end = (start + input.limit).min(species.len());
    let entries = species[start..end]
        .iter()
        .map(|s| UsageEntry {
            rank: s.rank,
            pokemon: to_id(&s.name),
            name: s.name.clone(),
            usage_percent: s.usage,
            raw_count: s.raw_count,
        })
        .collect();
    Ok(Output {
        format: input.format,
        month: usage.month.clone(),
        cutoff: usage.cutoff,
        battles: usage.report.battles,
        total: species.len(),
        source_url: usage.source_url.clone(),
        entries,
        next_cursor: (end < species.len()).then(|| pagination::encode(CURSOR_PREFIX, end)),
    })
}

impl Render for Output {
    fn render(&self) -> String {
        let mut text = format!(
            "{} usage, {} (rating ≥ {}) — source: {}\n",
            self.format, self.month, self.cutoff, self.source_url
        );
        for e in &self.entries {
            let pct = e.usage_percent.map_or("?".into(), |p| format!("{p:.3}%"));
            text.push_str(&format!("{:>3}. {} {}\n", e.rank, e.name, pct));
        }
        if let Some(n) = &self.next_cursor {
            text.push_str(&format!("More: call again with cursor \"{n}\".\n"));
        }
        text
    }
}

pub(super) async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    match Input::parse(arguments) {
        Ok(input) => respond(run(backend, input).await),
        Err(e) => e.into(),
    }
}
