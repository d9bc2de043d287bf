//! Threats: the format's most used Pokémon that the team handles badly, from usage statistics.
//!
//! For each of the [`TOP_USAGE`] most used species, two signals, each in 0..=1:
//!
//! - **check gap** `1 / (1 + answers)`, where `answers` counts team members among the species'
//!   top [`TOP_CHECKS`] checks and counters (Smogon's ranking, which already folds in how often
//!   a Pokémon KOs the species or forces it out). No answer → 1, one → ½, two → ⅓. A species
//!   without checks data gets ½: unknown, neither safe nor alarming.
//! - **STAB pressure**: the share of the team that at least one of its STAB types (dex typing in
//!   the format's generation, abilities of our members included) hits super-effectively.
//!
//! `score = 100 × (0.6 × gap + 0.4 × pressure) × usage weight`, the usage weight falling
//! linearly from 1 for the most used species to 0.7 for the 30th, so that among equal threats the
//! one met more often ranks first. The check gap weighs more because it is measured from real
//! battles; STAB pressure is a typing proxy (the dex table has no move types, so coverage moves
//! cannot be counted). Threats scoring under [`MIN_SCORE`] are not reported: with two answers
//! and little type pressure a species is handled.

use serde::Serialize;

use super::coverage::Defender;
use crate::corpus::{CheckCounter, UsageReport, UsageStats};
use crate::dex::{dex, to_id};

/// Species considered, by usage rank.
pub(crate) const TOP_USAGE: usize = 30;
/// Checks and counters considered per species (the moveset report prints about 12).
pub(crate) const TOP_CHECKS: usize = 12;
/// Chaos files list every encounter; fewer than this many say little.
const MIN_ENCOUNTERS: f64 = 20.0;
/// Threats returned at most.
pub(crate) const MAX_THREATS: usize = 5;
/// Lowest score reported.
pub(crate) const MIN_SCORE: f64 = 30.0;
/// Checks named in a reason.
const CHECKS_NAMED: usize = 3;

/// A frequently used Pokémon the team handles badly.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Threat {
    pub name: String,
    /// Usage rank in the format (1 = most used).
    pub rank: usize,
    /// Percent of teams, when the statistics give it (chaos data does; moveset reports do not).
    pub usage: Option<f64>,
    pub types: Vec<String>,
    /// 0-100, higher is worse for the team.
    pub score: f64,
    /// Team members among its top checks and counters.
    pub answers: Vec<String>,
    /// Its best checks and counters overall, best first.
    pub top_checks: Vec<String>,
    /// Team members hit super-effectively by at least one of its STAB types.
    pub hits_super_effectively: Vec<String>,
    pub reason: String,
}

/// The worst threats for the team, worst first (at most [`MAX_THREATS`]).
pub(super) fn find_threats(defenders: &[Defender<'_>], gen: u8, report: &UsageReport) -> Vec<Threat> {
    if defenders.is_empty() {
        return Vec::new();
    }
    let team_ids: Vec<(String, &str)> = defenders.iter().map(|d| (to_id(d.name()), d.name())).collect();
    let mut threats: Vec<Threat> =
        report.species.iter().take(TOP_USAGE).filter_map(|s| assess(s, defenders, &team_ids, gen)).collect();
    threats.retain(|t| t.score >= MIN_SCORE);
    threats.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.rank.cmp(&b.rank)));
    threats.truncate(MAX_THREATS);
    threats
}

fn assess(
    stats: &UsageStats,
    defenders: &[Defender<'_>],
    team_ids: &[(String, &str)],
    gen: u8,
) -> Option<Threat> {
    let species = dex().species(&stats.name, Some(gen)).or_else(|_| dex().species(&stats.name, None)).ok()?;
    let types: Vec<String> = species.types.to_vec();
    let checks = top_checks(&stats.checks_and_counters);
    let answers: Vec<String> = checks
        .iter()
        .filter_map(|c| {
            let id = to_id(&c.name);
            team_ids.iter().find(|(t, _)| *t == id).map(|(_, name)| (*name).to_owned())
        })
        .collect();
    let hits: Vec<String> = defenders
        .iter()
        .filter(|d| types.iter().any(|t| d.multiplier(t) > 1.0))
        .map(|d| d.name().to_owned())
        .collect();
    let gap = if checks.is_empty() { 0.5 } else { 1.0 / (1.0 + answers.len() as f64) };
    let pressure = hits.len() as f64 / defenders.len() as f64;
    let rank = stats.rank.max(1);
    let weight = 1.0 - 0.3 * (rank.min(TOP_USAGE) - 1) as f64 / (TOP_USAGE - 1) as f64;
    let score = (100.0 * (0.6 * gap + 0.4 * pressure) * weight * 10.0).round() / 10.0;
    let top_checks: Vec<String> = checks.iter().take(CHECKS_NAMED).map(|c| c.name.clone()).collect();
    let reason = reason(stats, &types, &checks, &answers, hits.len(), defenders.len());
    Some(Threat {
        name: species.name.to_owned(),
        rank,
        usage: stats.usage.map(|u| (u * 1000.0).round() / 1000.0),
        types,
        score,
        answers,
        top_checks,
        hits_super_effectively: hits,
        reason,
    })
}

/// The species' best checks and counters, best first, ignoring rare encounters.
fn top_checks(all: &[CheckCounter]) -> Vec<&CheckCounter> {
    let mut checks: Vec<&CheckCounter> =
        all.iter().filter(|c| c.encounters.is_none_or(|n| n >= MIN_ENCOUNTERS)).collect();
    checks.sort_by(|a, b| b.score.total_cmp(&a.score));
    checks.truncate(TOP_CHECKS);
    checks
}

fn reason(
    stats: &UsageStats,
    types: &[String],
    checks: &[&CheckCounter],
    answers: &[String],
    hits: usize,
    team: usize,
) -> String {
    let usage = stats.usage.map(|u| format!(", {u:.1}% of teams")).unwrap_or_default();
    let checks_part = if checks.is_empty() {
        "no checks-and-counters data".to_owned()
    } else if answers.is_empty() {
        let named: Vec<&str> = checks.iter().take(CHECKS_NAMED).map(|c| c.name.as_str()).collect();
        format!("none of its top checks is on the team (best: {})", named.join(", "))
    } else {
        format!("only {} among its top checks", answers.join(" and "))
    };
    format!(
        "#{rank} in usage{usage}; {checks_part}; its {stab} STAB hits {hits} of {team} members super-effectively",
        rank = stats.rank,
        stab = types.join("/"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::coverage::defenders;
    use super::super::paste::parse_paste;
    use super::super::validate::validate;
    use super::*;
    use crate::corpus::{parse_moveset_report, shared_data, Format};
    use std::sync::OnceLock;

    fn report() -> &'static UsageReport {
        static REPORT: OnceLock<UsageReport> = OnceLock::new();
        REPORT.get_or_init(|| {
            parse_moveset_report(&shared_data("smogon-stats/moveset-gen9ou-1695.txt")).expect("report")
        })
    }

    fn threats(paste: &str) -> Vec<Threat> {
        let format = Format::parse("gen9ou").expect("format");
        let (members, _) = validate(&parse_paste(paste).expect("parses"), &format);
        find_threats(&defenders(&members, 9), 9, report())
    }

    #[test]
    fn ground_weak_team_meets_ground_threats() {
        // Every member weak to Ground, none among Great Tusk's or Landorus-Therian's top checks.
        let list = threats("Heatran\n\nToxapex\n\nKingambit\n\nIron Moth\n\nRaging Bolt\n\nGholdengo\n");
        assert!(!list.is_empty() && list.len() <= MAX_THREATS);
        let ground: Vec<&Threat> = list.iter().filter(|t| t.types.iter().any(|x| x == "Ground")).collect();
        assert!(!ground.is_empty(), "{list:#?}");
        let tusk = list.iter().find(|t| t.name == "Great Tusk").expect("Great Tusk is a threat");
        assert_eq!(tusk.rank, 2);
        assert_eq!(tusk.hits_super_effectively.len(), 6, "{tusk:#?}");
        assert!(tusk.answers.is_empty(), "{tusk:#?}");
        // 100 × (0.6 × 1 + 0.4 × 6/6) × (1 - 0.3/29).
        assert!((tusk.score - 99.0).abs() < 0.1, "{}", tusk.score);
        assert!(tusk.reason.contains("none of its top checks"), "{}", tusk.reason);
        assert!(list.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn answers_come_from_checks_and_counters() {
        // Kingambit's report lists Okidogi, Dondozo, Zamazenta, Skarmory, Great Tusk, … as checks.
        let list = threats("Okidogi\n\nDondozo\n\nZamazenta\n\nSkarmory\n\nGreat Tusk\n\nIron Hands\n");
        assert!(list.iter().all(|t| t.name != "Kingambit"), "{list:#?}");
        let format = Format::parse("gen9ou").expect("format");
        let (members, _) = validate(&parse_paste("Okidogi\n\nDondozo\n").expect("parses"), &format);
        let d = defenders(&members, 9);
        let kingambit = report().get("Kingambit").expect("Kingambit");
        let t = assess(kingambit, &d, &[("okidogi".into(), "Okidogi"), ("dondozo".into(), "Dondozo")], 9)
            .expect("assessed");
        assert_eq!(t.answers, ["Okidogi", "Dondozo"]);
        assert_eq!(t.top_checks, ["Okidogi", "Dondozo", "Zamazenta"]);
        // Dark/Steel STAB: Okidogi (Poison/Fighting) resists Dark, is neutral to Steel; Dondozo
        // (Water) resists Steel: no one is hit super-effectively.
        assert!(t.hits_super_effectively.is_empty());
        assert!((t.score - 100.0 * 0.6 / 3.0).abs() < 0.1, "{}", t.score);
    }

    #[test]
    fn nothing_without_members() {
        let format = Format::parse("gen9ou").expect("format");
        let (members, _) = validate(&parse_paste("Notamon\n").expect("parses"), &format);
        assert!(find_threats(&defenders(&members, 9), 9, report()).is_empty());
    }
}
