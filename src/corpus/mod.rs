//! The strategy corpus: Smogon sets, analyses and usage statistics turned into the documents
//! the server indexes.
//!
//! Pure and synchronous (no `worker` types, no I/O): callers hand in the text of the upstream
//! files and get typed models or ready-to-index [`Document`]s back, so everything here is tested
//! natively against the real files in `../shared/data` (see its PROVENANCE.md).
//!
//! - [`format`]: format ids (`gen9ou`) and the upstream URLs built from them.
//! - [`html`]: analysis HTML → plain text.
//! - [`sets`]: data.pkmn.cc sets JSON and Showdown pastes.
//! - [`analyses`]: data.pkmn.cc analyses JSON.
//! - [`stats`]: Smogon usage statistics (chaos JSON, moveset report, usage table).
//! - [`documents`]: the indexed documents and [`build_format_corpus`].
//!
//! Real data is messy, so parsers fail only when a whole file is unusable; a bad entry inside
//! it is skipped and listed in a [`Skipped`] report instead.

pub(crate) mod analyses;
pub(crate) mod documents;
pub(crate) mod format;
pub(crate) mod html;
mod json;
pub(crate) mod sets;
pub(crate) mod stats;

pub(crate) use analyses::parse_analyses;
pub(crate) use documents::Document;
pub(crate) use format::{Format, StatsKind};
pub(crate) use sets::{parse_sets, PasteStyle, PokemonSet, SetsFile, SpeciesSets, Stat, StatValues};
pub(crate) use stats::{
    parse_chaos, parse_moveset_report, Breakdown, CheckCounter, ReportSource, Share, UsageReport, UsageStats,
};

/// One month of a format's usage statistics, with where it came from.
#[derive(Debug)]
pub struct FormatUsage {
    pub report: UsageReport,
    /// `YYYY-MM`.
    pub month: String,
    pub cutoff: u32,
    /// The smogon.com/stats file it was read from.
    pub source_url: String,
}

/// Errors of the corpus layer. Each names the input it is about, so a failed ingestion says
/// which file to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorpusError {
    #[error("invalid format id \"{0}\": expected gen<1-9><metagame>, e.g. gen9ou")]
    InvalidFormat(String),
    #[error("invalid month \"{0}\": expected YYYY-MM")]
    InvalidMonth(String),
    #[error("Smogon publishes no usage statistics at rating cutoff {0}")]
    InvalidCutoff(u32),
    #[error("{what}: invalid JSON: {message}")]
    Json { what: &'static str, message: String },
    #[error("{what}: {message}")]
    Malformed { what: &'static str, message: String },
}

impl CorpusError {
    fn json(what: &'static str, err: serde_json::Error) -> Self {
        CorpusError::Json { what, message: err.to_string() }
    }

    fn malformed(what: &'static str, message: impl Into<String>) -> Self {
        CorpusError::Malformed { what, message: message.into() }
    }
}

/// One entry a parser left out, and why (the rest of the file is still used).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Where, e.g. `Clefable / Utility` or `moveset report line 1234`.
    pub what: String,
    pub reason: String,
}

impl Skipped {
    fn new(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Skipped { what: what.into(), reason: reason.into() }
    }
}

/// The real upstream files, beside the crate (never copied into it).
#[cfg(test)]
pub(crate) const SHARED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/");

/// A file under `../shared/data`, for tests.
#[cfg(test)]
pub(crate) fn shared_data(path: &str) -> String {
    let full = format!("{SHARED_DATA}{path}");
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}
