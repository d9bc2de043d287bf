//! The statistics manifest (`stats/manifest.json` in the raw cache): which statistics files the
//! cache holds, per format, month, kind and cutoff, how one is chosen (against a pending
//! candidate too), and which cutoff ingestion fetches. Pure: the edge reads
//! and writes the JSON (`edge/raw_source.rs`).

use serde::{Deserialize, Serialize};

use crate::corpus::{Format, StatsKind};

/// The cutoff ingested for a format whose id does not parse (Smogon's usual third cutoff).
const USUAL_CUTOFF: u32 = 1630;

/// One statistics file the cache holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatsEntry {
    pub format: String,
    /// Chaos or moveset (the usage table is not cached).
    pub kind: StatsKind,
    pub month: String,
    pub cutoff: u32,
    pub key: String,
}

/// What a reader asks of the manifest; `None` fields match anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Wanted<'a> {
    pub kind: Option<StatsKind>,
    pub month: Option<&'a str>,
    pub cutoff: Option<u32>,
}

/// The newest month of `format`'s entries that match `wanted` (the last listed among equals).
pub(crate) fn newest<'m>(
    manifest: &'m [StatsEntry],
    format: &str,
    wanted: Wanted<'_>,
) -> Option<&'m StatsEntry> {
    manifest
        .iter()
        .filter(|e| {
            e.format == format
                && wanted.kind.is_none_or(|k| k == e.kind)
                && wanted.month.is_none_or(|m| m == e.month)
                && wanted.cutoff.is_none_or(|c| c == e.cutoff)
        })
        .max_by(|a, b| a.month.cmp(&b.month))
}

/// What the corpus reads for `format`: the newest cached entry, or the pending candidate's
/// (`(entry, where its body is)`) when it is at least as new — a candidate replaces the month it
/// repeats. Either's body is found at the returned key.
pub(crate) fn newest_or_pending(
    newest: Option<StatsEntry>,
    pending: Option<(StatsEntry, String)>,
) -> Option<(StatsEntry, String)> {
    match (newest, pending) {
        (Some(old), Some((new, key))) if new.month >= old.month => Some((new, key)),
        (Some(old), _) => {
            let key = old.key.clone();
            Some((old, key))
        }
        (None, pending) => pending,
    }
}

/// The rating cutoff ingested for `format`: the third Smogon publishes for it (1630, or 1695 for
/// the most-played formats, `corpus::Format::cutoffs`).
pub(crate) fn ingested_cutoff(format: &str) -> u32 {
    Format::parse(format).map_or(USUAL_CUTOFF, |f| f.cutoffs()[2])
}

/// `manifest` with `entry` added (replacing an entry of the same key), sorted by format and month.
pub(crate) fn with(mut manifest: Vec<StatsEntry>, entry: StatsEntry) -> Vec<StatsEntry> {
    manifest.retain(|e| e.key != entry.key);
    manifest.push(entry);
    manifest.sort_by(|a, b| (&a.format, &a.month).cmp(&(&b.format, &b.month)));
    manifest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(format: &str, kind: StatsKind, month: &str, cutoff: u32) -> StatsEntry {
        let key = format!("stats/{month}/{}/{format}-{cutoff}", kind.as_str());
        StatsEntry { format: format.into(), kind, month: month.into(), cutoff, key }
    }

    #[test]
    fn the_newest_matching_entry_is_chosen() {
        let manifest = vec![
            entry("gen9ou", StatsKind::Chaos, "2024-05", 1695),
            entry("gen9ou", StatsKind::Moveset, "2024-06", 1695),
            entry("gen9ou", StatsKind::Chaos, "2024-06", 1500),
            entry("gen1ou", StatsKind::Chaos, "2024-07", 1760),
        ];
        let month = |e: Option<&StatsEntry>| e.map(|e| (e.month.clone(), e.kind, e.cutoff));
        // Two files of the newest month: the one listed last.
        assert_eq!(
            month(newest(&manifest, "gen9ou", Wanted::default())),
            Some(("2024-06".into(), StatsKind::Chaos, 1500))
        );
        let moveset = Wanted { kind: Some(StatsKind::Moveset), ..Wanted::default() };
        assert_eq!(
            month(newest(&manifest, "gen9ou", moveset)),
            Some(("2024-06".into(), StatsKind::Moveset, 1695))
        );
        let chaos = Wanted { kind: Some(StatsKind::Chaos), ..Wanted::default() };
        assert_eq!(
            month(newest(&manifest, "gen9ou", chaos)),
            Some(("2024-06".into(), StatsKind::Chaos, 1500))
        );
        let may = Wanted { month: Some("2024-05"), ..Wanted::default() };
        assert_eq!(month(newest(&manifest, "gen9ou", may)), Some(("2024-05".into(), StatsKind::Chaos, 1695)));
        let high = Wanted { cutoff: Some(1695), kind: Some(StatsKind::Chaos), month: None };
        assert_eq!(
            month(newest(&manifest, "gen9ou", high)),
            Some(("2024-05".into(), StatsKind::Chaos, 1695))
        );
        assert_eq!(newest(&manifest, "gen2ou", Wanted::default()), None);
    }

    #[test]
    fn a_pending_candidate_is_read_when_at_least_as_new() {
        let old = entry("gen9ou", StatsKind::Chaos, "2024-06", 1695);
        let same = entry("gen9ou", StatsKind::Moveset, "2024-06", 1695);
        let older = entry("gen9ou", StatsKind::Chaos, "2024-05", 1695);
        let pending = |e: &StatsEntry| Some((e.clone(), format!("candidate/{}", e.key)));
        let chosen =
            |n: Option<&StatsEntry>, p| newest_or_pending(n.cloned(), p).map(|(e, k)| (e.month, e.kind, k));
        assert_eq!(
            chosen(Some(&old), pending(&same)),
            Some(("2024-06".into(), StatsKind::Moveset, format!("candidate/{}", same.key)))
        );
        assert_eq!(
            chosen(Some(&old), pending(&older)),
            Some(("2024-06".into(), StatsKind::Chaos, old.key.clone()))
        );
        assert_eq!(chosen(Some(&old), None), Some(("2024-06".into(), StatsKind::Chaos, old.key.clone())));
        assert_eq!(chosen(None, pending(&older)).map(|c| c.2), Some(format!("candidate/{}", older.key)));
        assert_eq!(chosen(None, None), None);
    }

    #[test]
    fn the_ingested_cutoff_is_the_formats_third() {
        assert_eq!(ingested_cutoff("gen9ou"), 1695);
        assert_eq!(ingested_cutoff("gen9doublesou"), 1695);
        assert_eq!(ingested_cutoff("gen2nu"), 1630);
        assert_eq!(ingested_cutoff("gen9nope1"), 1630);
        assert_eq!(ingested_cutoff("not a format"), 1630);
    }

    #[test]
    fn adding_replaces_the_same_key_and_keeps_order() {
        let a = entry("gen9ou", StatsKind::Chaos, "2024-06", 1695);
        let b = entry("gen1ou", StatsKind::Chaos, "2024-06", 1760);
        let manifest = with(with(vec![a.clone()], b.clone()), a.clone());
        assert_eq!(manifest, [b, a]);
    }

    #[test]
    fn kinds_read_as_the_json_always_had_them() {
        let json = r#"{"format":"gen9ou","kind":"moveset","month":"2024-06","cutoff":1695,"key":"k"}"#;
        assert_eq!(serde_json::from_str::<StatsEntry>(json).unwrap().kind, StatsKind::Moveset);
        assert!(serde_json::from_str::<StatsEntry>(&json.replace("moveset", "movesets")).is_err());
    }
}
