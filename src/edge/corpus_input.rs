//! Raw cache contents → the pure corpus builder's inputs.

use crate::corpus::documents::{build_format_corpus, Corpus};
use crate::corpus::{parse_chaos, parse_moveset_report, CorpusError, Format, StatsKind};
use crate::ingest::manifest::StatsEntry;

pub(super) fn build(
    format: &str,
    sets: &str,
    analyses: Option<&str>,
    stats: Option<(StatsEntry, String)>,
) -> Result<Corpus, CorpusError> {
    let format = Format::parse(format)?;
    let report = match &stats {
        Some((entry, body)) => match entry.kind {
            StatsKind::Chaos => Some(parse_chaos(body)?),
            StatsKind::Moveset => Some(parse_moveset_report(body)?),
            StatsKind::Usage => None,
        },
        None => None,
    };
    let stats = match (&report, &stats) {
        (Some(r), Some((entry, _))) => Some((r, entry.month.as_str(), entry.cutoff)),
        _ => None,
    };
    build_format_corpus(&format, sets, analyses, stats)
}
