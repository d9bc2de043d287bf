//! The likeliest set of a species in a format, with where it came from.
//!
//! Usage statistics first: the most common ability, item, spread (nature + EVs) and Tera type,
//! and the four most used moves (each slot on its own: the statistics do not record which
//! options appear together). Without statistics for the species, the first option of each slot
//! of its first Smogon set. Shared by every tool that must assume a set (`damage_calc`, and
//! speed comparisons).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::corpus::FormatUsage;
use crate::corpus::{Breakdown, Format, SetsFile, Stat, UsageStats};
use crate::dex::{dex, is_id, to_id};

/// A concrete set: one option per slot. EVs and IVs in Showdown's stat order (HP, Atk, Def,
/// SpA, SpD, Spe); `None` leaves the calculator's default.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConcreteSet {
    pub species: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ability: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evs: Option<[u16; 6]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivs: Option<[u16; 6]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tera_type: Option<String>,
    pub moves: Vec<String>,
}

impl ConcreteSet {
    pub(crate) fn bare(species: &str) -> Self {
        Self {
            species: species.to_owned(),
            level: None,
            item: None,
            ability: None,
            nature: None,
            evs: None,
            ivs: None,
            tera_type: None,
            moves: Vec::new(),
        }
    }

    /// The set as a Showdown paste (Tera type only from generation 9).
    pub(crate) fn to_paste(&self, gen: u8) -> String {
        let mut lines = vec![match &self.item {
            Some(item) => format!("{} @ {item}", self.species),
            None => self.species.clone(),
        }];
        lines.extend(self.ability.as_ref().map(|a| format!("Ability: {a}")));
        lines.extend(self.level.filter(|l| *l != 100).map(|l| format!("Level: {l}")));
        lines.extend(self.tera_type.as_ref().filter(|_| gen >= 9).map(|t| format!("Tera Type: {t}")));
        let spread = |values: &[u16; 6], default: u16| -> Option<String> {
            let parts: Vec<String> = Stat::ALL
                .iter()
                .zip(values)
                .filter(|(_, v)| **v != default)
                .map(|(s, v)| format!("{v} {}", s.label()))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" / "))
        };
        lines.extend(self.evs.as_ref().and_then(|e| spread(e, 0)).map(|e| format!("EVs: {e}")));
        lines.extend(self.nature.as_ref().map(|n| format!("{n} Nature")));
        lines.extend(self.ivs.as_ref().and_then(|i| spread(i, 31)).map(|i| format!("IVs: {i}")));
        lines.extend(self.moves.iter().map(|m| format!("- {m}")));
        lines.join("\n")
    }
}

/// Where an assumed set came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "camelCase")]
pub(crate) enum SetSource {
    /// The most common options of the format's usage statistics.
    #[serde(rename_all = "camelCase")]
    UsageStatistics { month: String, cutoff: u32 },
    /// The first options of a Smogon set.
    #[serde(rename_all = "camelCase")]
    SmogonSet { set_name: String },
}

/// A set a tool assumed for a species, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssumedSet {
    pub set: ConcreteSet,
    #[serde(flatten)]
    pub source: SetSource,
    /// The species' usage share in the format (percent of teams), when statistics have it.
    pub usage_percent: Option<f64>,
    /// The species' raw count in the statistics (moveset reports give this, not a usage %).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_count: Option<u64>,
    /// How often each chosen option is used among the species' sets, in percent: `item`,
    /// `ability`, `spread` (nature + EVs), `teraType`, and each move by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub shares: BTreeMap<String, f64>,
    /// The statistics file or the Smogon page the set came from.
    pub source_url: String,
}

fn top(b: &Breakdown) -> Option<(&str, f64)> {
    b.shares.iter().find(|s| s.name != "Nothing" && s.name != "Other").map(|s| (s.name.as_str(), s.percent))
}

/// `Nature:hp/atk/def/spa/spd/spe` → (nature, EVs).
fn parse_spread(spread: &str) -> Option<(String, [u16; 6])> {
    let (nature, evs) = spread.split_once(':')?;
    let values: Vec<u16> = evs.split('/').map(|v| v.trim().parse().ok()).collect::<Option<_>>()?;
    let evs: [u16; 6] = values.try_into().ok()?;
    let nature = dex().nature(nature).ok()?.name.clone();
    Some((nature, evs))
}

fn from_usage(species: &str, gen: u8, stats: &UsageStats, usage: &FormatUsage) -> AssumedSet {
    let d = dex();
    let g = Some(gen);
    let item = top(&stats.items).and_then(|(n, _)| d.item_name(n, g).ok()).map(str::to_owned);
    let ability = top(&stats.abilities).and_then(|(n, _)| d.ability_name(n, g).ok()).map(str::to_owned);
    let spread = top(&stats.spreads);
    let (nature, evs) = match spread.and_then(|(s, _)| parse_spread(s)) {
        Some((n, e)) => (Some(n), Some(e)),
        None => (None, None),
    };
    let tera_type = top(&stats.tera_types).filter(|_| gen >= 9).map(|(t, _)| t.to_owned());
    let mut shares = BTreeMap::new();
    for (key, pick) in [
        ("item", top(&stats.items)),
        ("ability", top(&stats.abilities)),
        ("spread", spread),
        ("teraType", top(&stats.tera_types).filter(|_| gen >= 9)),
    ] {
        if let Some((_, percent)) = pick {
            shares.insert(key.to_owned(), percent);
        }
    }
    let moves: Vec<String> = stats
        .moves
        .shares
        .iter()
        .filter(|m| m.name != "Nothing" && m.name != "Other")
        .filter_map(|m| d.move_name(&m.name, g).ok().map(|name| (name.to_owned(), m.percent)))
        .take(4)
        .map(|(name, percent)| {
            shares.insert(name.clone(), percent);
            name
        })
        .collect();
    AssumedSet {
        set: ConcreteSet {
            species: species.to_owned(),
            level: None,
            item,
            ability,
            nature: nature.filter(|_| gen >= 3),
            evs,
            ivs: None,
            tera_type,
            moves,
        },
        source: SetSource::UsageStatistics { month: usage.month.clone(), cutoff: usage.cutoff },
        usage_percent: stats.usage,
        raw_count: stats.raw_count,
        shares,
        source_url: usage.source_url.clone(),
    }
}

fn from_smogon(species: &str, gen: u8, sets: &SetsFile, format: &Format) -> Option<AssumedSet> {
    let entry = sets.get(species)?;
    let first = entry.sets.first()?;
    let values = |v: Option<&crate::corpus::StatValues>, ev: bool| {
        v.map(|v| {
            let mut out = [0u16; 6];
            for (slot, stat) in out.iter_mut().zip(Stat::ALL) {
                // Unnamed EVs are 252 in generations 1-2 (stat experience), as Showdown reads them.
                *slot = match (ev, v.given(stat)) {
                    (_, Some(given)) => given,
                    (true, None) if gen <= 2 => 252,
                    (true, None) => v.ev(stat),
                    (false, None) => v.iv(stat),
                };
            }
            out
        })
    };
    Some(AssumedSet {
        set: ConcreteSet {
            species: species.to_owned(),
            level: None,
            item: first.item.first().cloned(),
            ability: first.ability.first().cloned(),
            nature: first.nature.first().cloned().filter(|_| gen >= 3),
            evs: values(first.evs.first(), true),
            ivs: values(first.ivs.first(), false),
            tera_type: first.tera_types.first().cloned().filter(|_| gen >= 9),
            moves: first.moves.iter().filter_map(|slot| slot.first().cloned()).collect(),
        },
        source: SetSource::SmogonSet { set_name: first.name.clone() },
        usage_percent: None,
        raw_count: None,
        shares: BTreeMap::new(),
        source_url: format.smogon_dex_url(species),
    })
}

/// The likeliest set of `species` (a display name, e.g. "Great Tusk") in `format`: from the
/// format's usage statistics when they list it, else its first Smogon set, else `None`.
pub(crate) fn likeliest_set(
    species: &str,
    format: &Format,
    usage: Option<&FormatUsage>,
    sets: Option<&SetsFile>,
) -> Option<AssumedSet> {
    let id = to_id(species);
    let gen = format.gen();
    usage
        .and_then(|u| u.report.species.iter().find(|s| is_id(&s.name, &id)).map(|s| (s, u)))
        .map(|(stats, u)| from_usage(species, gen, stats, u))
        .or_else(|| sets.and_then(|s| from_smogon(species, gen, s, format)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{parse_moveset_report, parse_sets};

    fn data(path: &str) -> String {
        std::fs::read_to_string(format!("{}/../shared/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn usage() -> FormatUsage {
        FormatUsage {
            report: parse_moveset_report(&data("smogon-stats/moveset-gen9ou-1695.txt")).unwrap(),
            month: "2024-06".into(),
            cutoff: 1695,
            source_url: "https://www.smogon.com/stats/2024-06/moveset/gen9ou-1695.txt".into(),
        }
    }

    #[test]
    fn usage_statistics_first_with_their_top_options() {
        let (usage, sets) = (usage(), parse_sets(&data("pkmn-sets/gen9ou.json")).unwrap());
        let format = Format::parse("gen9ou").unwrap();
        let a = likeliest_set("Great Tusk", &format, Some(&usage), Some(&sets)).unwrap();
        let stats = usage.report.species.iter().find(|s| s.name == "Great Tusk").unwrap();
        assert_eq!(a.source, SetSource::UsageStatistics { month: "2024-06".into(), cutoff: 1695 });
        assert_eq!(a.usage_percent, stats.usage);
        assert_eq!(a.source_url, usage.source_url);
        // Each slot is the report's top entry (ignoring "Nothing"/"Other").
        assert_eq!(a.set.item.as_deref(), top(&stats.items).map(|t| t.0));
        assert_eq!(a.set.ability.as_deref(), top(&stats.abilities).map(|t| t.0));
        let (spread, percent) = top(&stats.spreads).unwrap();
        assert_eq!(a.shares["spread"], percent);
        assert_eq!(a.raw_count, stats.raw_count);
        assert!(a.raw_count.is_some());
        let (nature, evs) = spread.split_once(':').unwrap();
        assert_eq!(a.set.nature.as_deref(), Some(nature));
        let evs: Vec<u16> = evs.split('/').map(|v| v.parse().unwrap()).collect();
        assert_eq!(a.set.evs.unwrap().to_vec(), evs);
        assert_eq!(a.set.moves.len(), 4);
        assert_eq!(a.set.moves[0], stats.moves.shares[0].name);
        assert_eq!(a.set.tera_type.as_deref(), top(&stats.tera_types).map(|t| t.0));
        assert_eq!(a.shares[&a.set.moves[0]], stats.moves.shares[0].percent);
        let paste = a.set.to_paste(9);
        assert!(paste.starts_with("Great Tusk @ "), "{paste}");
        assert!(paste.contains(&format!("{nature} Nature")), "{paste}");
    }

    #[test]
    fn smogon_set_when_statistics_do_not_list_the_species() {
        let (usage, sets) = (usage(), parse_sets(&data("pkmn-sets/gen9ou.json")).unwrap());
        let format = Format::parse("gen9ou").unwrap();
        // Statistics win when they list the species; without them, the first Smogon set.
        let entry = &sets.species[0];
        let from_stats = likeliest_set(&entry.species, &format, Some(&usage), Some(&sets));
        let listed = usage.report.species.iter().any(|s| to_id(&s.name) == to_id(&entry.species));
        assert_eq!(matches!(from_stats.map(|a| a.source), Some(SetSource::UsageStatistics { .. })), listed);
        let a = likeliest_set(&entry.species, &format, None, Some(&sets)).unwrap();
        let first = &entry.sets[0];
        assert_eq!(a.source, SetSource::SmogonSet { set_name: first.name.clone() });
        assert_eq!(a.usage_percent, None);
        assert_eq!(a.source_url, format.smogon_dex_url(&entry.species));
        assert_eq!(a.set.item, first.item.first().cloned());
        assert_eq!(a.set.moves, first.moves.iter().map(|m| m[0].clone()).collect::<Vec<_>>());
        // Neither source: nothing to assume.
        assert_eq!(likeliest_set("Pikachu", &format, None, None), None);
        assert_eq!(likeliest_set("Bulbasaur", &format, Some(&usage), None), None);
    }
}
