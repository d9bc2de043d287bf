//! What an ingestion run may accept from upstream, and what it may delete: the verdicts behind
//! "a bad upstream response must not poison or delete the corpus" (issue #11 §4).
//!
//! - [`vet`]: an upstream file (sets, analyses, a statistics report) replaces the last good
//!   version only if it is text, parses, holds species, is not cut off, and is plausible
//!   against the last good version ([`Profile`]: size and species count).
//! - [`mass_delete`]: a run may not delete more than a share of a format's indexed documents
//!   (`INGEST_MAX_DELETE_SHARE`, default 20%) unless an operator explicitly allows it.
//!
//! Pure: the edge fetches (with a size cap and a timeout, [`Limits`]), stores candidates and
//! promotes them; every decision is taken here and tested natively.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::corpus::{parse_analyses, parse_chaos, parse_moveset_report, parse_sets, StatsKind};

/// Default cap on one upstream response (the admin upload cap too): the largest real file, a
/// big format's chaos JSON, is a few MiB.
pub(crate) const DEFAULT_MAX_RAW_BYTES: u64 = 25 * 1024 * 1024;
/// Default time for one upstream fetch, headers and body.
pub(crate) const DEFAULT_FETCH_TIMEOUT_MS: u64 = 30_000;
/// Default share of a format's documents one run may delete (`INGEST_MAX_DELETE_SHARE`).
pub(crate) const DEFAULT_MAX_DELETE_SHARE: f64 = 0.2;
/// A new file with fewer species than this share of the last good one is refused.
pub(crate) const MIN_SPECIES_SHARE: f64 = 0.5;
/// A new file smaller than this share of the last good one (in bytes) is refused.
pub(crate) const MIN_BYTES_SHARE: f64 = 0.5;

/// The kinds of upstream file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawKind {
    Sets,
    Analyses,
    /// Statistics, chaos JSON.
    Chaos,
    /// Statistics, moveset text report.
    Moveset,
}

impl RawKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RawKind::Sets => "sets",
            RawKind::Analyses => "analyses",
            RawKind::Chaos => "chaos statistics",
            RawKind::Moveset => "moveset statistics",
        }
    }

    /// The statistics kind named in the R2 layout and manifest ("chaos" / "moveset").
    /// The raw kind of a statistics file the cache holds (the usage table is never cached).
    pub(crate) fn from_stats_kind(kind: StatsKind) -> Option<Self> {
        match kind {
            StatsKind::Chaos => Some(RawKind::Chaos),
            StatsKind::Moveset => Some(RawKind::Moveset),
            StatsKind::Usage => None,
        }
    }
}

/// What a valid file holds, kept beside it (R2 custom metadata) to judge its successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Profile {
    pub bytes: u64,
    pub species: u32,
}

/// Bounds on an upstream fetch, from the vars (`INGEST_MAX_RAW_BYTES`, `INGEST_FETCH_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limits {
    pub max_bytes: u64,
    pub timeout_ms: u64,
    pub max_delete_share: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_RAW_BYTES,
            timeout_ms: DEFAULT_FETCH_TIMEOUT_MS,
            max_delete_share: DEFAULT_MAX_DELETE_SHARE,
        }
    }
}

impl Limits {
    /// From the vars' text; a missing or unusable value keeps its default (never 0 bytes or
    /// 0 ms, never a share outside 0..=1).
    pub(crate) fn from_vars(
        max_bytes: Option<&str>,
        timeout_ms: Option<&str>,
        max_delete_share: Option<&str>,
    ) -> Self {
        let d = Self::default();
        let positive = |v: Option<&str>, default: u64| {
            v.and_then(|v| v.trim().parse::<u64>().ok()).filter(|&n| n > 0).unwrap_or(default)
        };
        let share = max_delete_share
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| (0.0..=1.0).contains(s))
            .unwrap_or(d.max_delete_share);
        Self {
            max_bytes: positive(max_bytes, d.max_bytes),
            timeout_ms: positive(timeout_ms, d.timeout_ms),
            max_delete_share: share,
        }
    }

    /// A declared `Content-Length` already over the cap: refused before reading the body.
    pub(crate) fn declared_too_large(&self, content_length: Option<&str>) -> bool {
        content_length.and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > self.max_bytes)
    }
}

/// Why an upstream file was not accepted. All of these keep the last good version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// More than the cap (declared or streamed).
    TooLarge {
        limit: u64,
    },
    Empty,
    NotText,
    /// An HTML page where data was expected: an error or login page answered with 200.
    Html,
    Unparsable(String),
    /// A text report that stops mid-table.
    Truncated,
    /// Parses, but holds no species.
    NoSpecies,
    /// Far fewer species than the last good version.
    FewerSpecies {
        species: u32,
        last: u32,
    },
    /// Far smaller than the last good version.
    Smaller {
        bytes: u64,
        last: u64,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLarge { limit } => write!(f, "larger than the {limit}-byte cap"),
            Rejection::Empty => write!(f, "empty body"),
            Rejection::NotText => write!(f, "not UTF-8 text"),
            Rejection::Html => write!(f, "an HTML page, not data"),
            Rejection::Unparsable(e) => write!(f, "does not parse: {e}"),
            Rejection::Truncated => write!(f, "truncated: the report stops mid-table"),
            Rejection::NoSpecies => write!(f, "holds no species"),
            Rejection::FewerSpecies { species, last } => {
                write!(f, "{species} species where the last good version had {last}")
            }
            Rejection::Smaller { bytes, last } => {
                write!(f, "{bytes} bytes where the last good version had {last}")
            }
        }
    }
}

/// Whether `body` is a usable file of `kind` on its own: its profile, or why not.
pub(crate) fn inspect(kind: RawKind, body: &[u8]) -> Result<Profile, Rejection> {
    let text = std::str::from_utf8(body).map_err(|_| Rejection::NotText)?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(Rejection::Empty);
    }
    if trimmed.starts_with('<') {
        return Err(Rejection::Html);
    }
    let unparsable = |e: crate::corpus::CorpusError| Rejection::Unparsable(e.to_string());
    let species = match kind {
        RawKind::Sets => parse_sets(text).map_err(unparsable)?.species.len(),
        RawKind::Analyses => parse_analyses(text).map_err(unparsable)?.species.len(),
        RawKind::Chaos => parse_chaos(text).map_err(unparsable)?.species.len(),
        RawKind::Moveset => {
            // Every species table closes with a `+---+` rule; a cut-off download does not.
            let last = trimmed.lines().next_back().unwrap_or_default().trim();
            if !(last.starts_with('+') && last.ends_with('+')) {
                return Err(Rejection::Truncated);
            }
            parse_moveset_report(text).map_err(unparsable)?.species.len()
        }
    };
    if species == 0 {
        return Err(Rejection::NoSpecies);
    }
    Ok(Profile { bytes: body.len() as u64, species: u32::try_from(species).unwrap_or(u32::MAX) })
}

/// Whether a valid `candidate` is plausible as the successor of `last_good`. `allow_shrink` (an
/// operator's explicit override) accepts a large drop.
pub(crate) fn plausible(
    candidate: &Profile,
    last_good: Option<&Profile>,
    allow_shrink: bool,
) -> Result<(), Rejection> {
    let Some(last) = last_good else { return Ok(()) };
    if allow_shrink {
        return Ok(());
    }
    if f64::from(candidate.species) < MIN_SPECIES_SHARE * f64::from(last.species) {
        return Err(Rejection::FewerSpecies { species: candidate.species, last: last.species });
    }
    if (candidate.bytes as f64) < MIN_BYTES_SHARE * last.bytes as f64 {
        return Err(Rejection::Smaller { bytes: candidate.bytes, last: last.bytes });
    }
    Ok(())
}

/// The whole verdict on a fetched body: cap, validity, plausibility.
pub(crate) fn vet(
    kind: RawKind,
    body: &[u8],
    last_good: Option<&Profile>,
    limits: &Limits,
    allow_shrink: bool,
) -> Result<Profile, Rejection> {
    if body.len() as u64 > limits.max_bytes {
        return Err(Rejection::TooLarge { limit: limits.max_bytes });
    }
    let profile = inspect(kind, body)?;
    plausible(&profile, last_good, allow_shrink)?;
    Ok(profile)
}

/// The note (and alert line) for a refused upstream file.
pub(crate) fn refused_file(format: &str, kind: RawKind, why: &Rejection, kept_last_good: bool) -> String {
    let kept = if kept_last_good { "kept the last good version" } else { "no earlier version to keep" };
    format!("{format}: upstream {} refused ({why}); {kept}", kind.as_str())
}

/// A refused mass delete.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MassDelete {
    pub deletes: usize,
    pub existing: usize,
    pub max_share: f64,
}

impl MassDelete {
    pub(crate) fn message(&self, format: &str) -> String {
        format!(
            "{format}: refused to delete {} of {} documents ({:.0}% > {:.0}%); nothing of the format was changed; \
             rerun with allowMassDelete to accept",
            self.deletes,
            self.existing,
            100.0 * self.deletes as f64 / self.existing.max(1) as f64,
            100.0 * self.max_share,
        )
    }
}

/// A run that would delete more than `max_share` of the `existing` documents is refused, unless
/// `allowed`. The share only falls as a run proceeds (deletes shrink, upserts add rows), so it
/// can be judged at every step.
pub(crate) fn mass_delete(
    existing: usize,
    deletes: usize,
    max_share: f64,
    allowed: bool,
) -> Result<(), MassDelete> {
    if allowed || existing == 0 || deletes == 0 {
        return Ok(());
    }
    if deletes as f64 > max_share * existing as f64 {
        return Err(MassDelete { deletes, existing, max_share });
    }
    Ok(())
}

/// The override names its formats: an operator accepts the deletions of specific formats, never
/// "whatever the default list is today".
pub(crate) fn check_override(
    allow_mass_delete: bool,
    formats: Option<&[String]>,
) -> Result<(), &'static str> {
    if allow_mass_delete && formats.is_none_or(<[String]>::is_empty) {
        return Err("allowMassDelete needs an explicit \"formats\" list");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::SHARED_DATA;

    fn real(path: &str) -> Vec<u8> {
        std::fs::read(format!("{SHARED_DATA}{path}")).unwrap()
    }

    fn sets() -> Vec<u8> {
        real("pkmn-sets/gen9ou.json")
    }

    const HTML: &[u8] =
        b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";

    #[test]
    fn real_files_pass_and_are_profiled() {
        let s = inspect(RawKind::Sets, &sets()).unwrap();
        assert_eq!(s.species, 113);
        assert_eq!(s.bytes, sets().len() as u64);
        assert!(inspect(RawKind::Analyses, &real("pkmn-analyses/gen9ou.subset.json")).unwrap().species > 0);
        assert_eq!(
            inspect(RawKind::Chaos, &real("smogon-stats/chaos-gen1ou-1760.json")).unwrap().species,
            46
        );
        assert!(
            inspect(RawKind::Moveset, &real("smogon-stats/moveset-gen9ou-1695.txt")).unwrap().species > 100
        );
    }

    #[test]
    fn empty_truncated_and_html_bodies_are_refused_for_every_kind() {
        let kinds = [RawKind::Sets, RawKind::Analyses, RawKind::Chaos, RawKind::Moveset];
        for kind in kinds {
            assert_eq!(inspect(kind, b""), Err(Rejection::Empty), "{kind:?}");
            assert_eq!(inspect(kind, b" \n\t"), Err(Rejection::Empty), "{kind:?}");
            assert_eq!(inspect(kind, HTML), Err(Rejection::Html), "{kind:?}");
            assert_eq!(inspect(kind, b"\xff\xfe{}"), Err(Rejection::NotText), "{kind:?}");
        }
        assert_eq!(inspect(RawKind::Sets, b"{}"), Err(Rejection::NoSpecies));
        assert_eq!(inspect(RawKind::Analyses, b"{}"), Err(Rejection::NoSpecies));
        assert!(matches!(inspect(RawKind::Sets, b"[]"), Err(Rejection::Unparsable(_))));
        assert!(matches!(inspect(RawKind::Sets, b"null"), Err(Rejection::Unparsable(_))));
        assert!(matches!(inspect(RawKind::Chaos, b"{}"), Err(Rejection::Unparsable(_))));
        assert!(matches!(inspect(RawKind::Moveset, b"{}"), Err(Rejection::Truncated)));

        // Cut anywhere: JSON no longer parses; the text report no longer ends its table.
        let body = sets();
        for cut in [1, body.len() / 3, body.len() / 2, body.len() - 2] {
            assert!(
                matches!(inspect(RawKind::Sets, &body[..cut]), Err(Rejection::Unparsable(_))),
                "cut {cut}"
            );
        }
        let chaos = real("smogon-stats/chaos-gen1ou-1760.json");
        assert!(matches!(inspect(RawKind::Chaos, &chaos[..chaos.len() / 2]), Err(Rejection::Unparsable(_))));
        let report = real("smogon-stats/moveset-gen9ou-1695.txt");
        for cut in [report.len() / 2, report.len() - 10] {
            let text = String::from_utf8_lossy(&report[..cut]).into_owned();
            assert_eq!(inspect(RawKind::Moveset, text.as_bytes()), Err(Rejection::Truncated), "cut {cut}");
        }
    }

    #[test]
    fn one_species_where_there_were_113_is_implausible_unless_allowed() {
        let last = inspect(RawKind::Sets, &sets()).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&sets()).unwrap();
        let (name, value) = parsed.as_object().unwrap().iter().next().unwrap();
        let one = serde_json::to_vec(&serde_json::json!({ name: value })).unwrap();
        let limits = Limits::default();
        assert_eq!(
            vet(RawKind::Sets, &one, Some(&last), &limits, false),
            Err(Rejection::FewerSpecies { species: 1, last: 113 })
        );
        assert_eq!(vet(RawKind::Sets, &one, Some(&last), &limits, true).unwrap().species, 1);
        // No last good version: a valid file is the first good one.
        assert_eq!(vet(RawKind::Sets, &one, None, &limits, false).unwrap().species, 1);
        // The same file again, or a modest change, passes.
        assert_eq!(vet(RawKind::Sets, &sets(), Some(&last), &limits, false), Ok(last));
        let fewer = Profile { bytes: last.bytes * 9 / 10, species: last.species * 6 / 10 };
        assert_eq!(plausible(&fewer, Some(&last), false), Ok(()));
        let thin = Profile { bytes: last.bytes / 3, species: last.species };
        assert!(matches!(plausible(&thin, Some(&last), false), Err(Rejection::Smaller { .. })));
    }

    #[test]
    fn the_size_cap_is_enforced_on_the_body_and_on_the_declared_length() {
        let limits = Limits { max_bytes: 1000, ..Limits::default() };
        let big = vec![b' '; 1001];
        assert_eq!(vet(RawKind::Sets, &big, None, &limits, true), Err(Rejection::TooLarge { limit: 1000 }));
        assert!(limits.declared_too_large(Some("52428800")));
        assert!(!limits.declared_too_large(Some("1000")));
        assert!(!limits.declared_too_large(Some("not a number")));
        assert!(!limits.declared_too_large(None));
        assert_eq!(
            refused_file("gen9ou", RawKind::Sets, &Rejection::TooLarge { limit: 1000 }, true),
            "gen9ou: upstream sets refused (larger than the 1000-byte cap); kept the last good version"
        );
    }

    #[test]
    fn limits_come_from_vars_with_safe_defaults() {
        assert_eq!(Limits::from_vars(None, None, None), Limits::default());
        let l = Limits::from_vars(Some("4194304"), Some(" 2000 "), Some("0.5"));
        assert_eq!((l.max_bytes, l.timeout_ms, l.max_delete_share), (4_194_304, 2000, 0.5));
        let bad = Limits::from_vars(Some("0"), Some("-1"), Some("1.5"));
        assert_eq!(bad, Limits::default());
        assert_eq!(Limits::from_vars(None, None, Some("x")).max_delete_share, DEFAULT_MAX_DELETE_SHARE);
        assert_eq!(Limits::from_vars(None, None, Some("0")).max_delete_share, 0.0);
    }

    #[test]
    fn mass_deletes_are_refused_above_the_share_unless_allowed() {
        assert_eq!(mass_delete(100, 20, 0.2, false), Ok(()), "exactly the share is allowed");
        let refused = mass_delete(100, 21, 0.2, false).unwrap_err();
        assert_eq!(refused, MassDelete { deletes: 21, existing: 100, max_share: 0.2 });
        assert_eq!(
            refused.message("gen9ou"),
            "gen9ou: refused to delete 21 of 100 documents (21% > 20%); nothing of the format was changed; \
             rerun with allowMassDelete to accept"
        );
        assert_eq!(mass_delete(100, 100, 0.2, true), Ok(()));
        assert_eq!(mass_delete(0, 0, 0.2, false), Ok(()), "a new format");
        assert_eq!(mass_delete(400, 400, 0.2, false).unwrap_err().deletes, 400, "everything gone");
        assert!(mass_delete(10, 1, 0.0, false).is_err(), "a share of 0 refuses any delete");
        assert_eq!(mass_delete(10, 10, 1.0, false), Ok(()));
    }

    #[test]
    fn the_override_must_name_its_formats() {
        assert!(check_override(true, None).is_err());
        assert!(check_override(true, Some(&[])).is_err());
        assert!(check_override(true, Some(&["gen9ou".to_owned()])).is_ok());
        assert!(check_override(false, None).is_ok());
    }
}
