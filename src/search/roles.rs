//! Who does a job in a format: the Pokémon that carry a role's moves, abilities or items, ranked
//! by how often they do and how much they are used.
//!
//! The evidence is the format's own data:
//! - **usage statistics** (chaos JSON or moveset report): the share of a species' sets that carry
//!   a member ("Rapid Spin 48.3%"), times its popularity (usage share, else weighted count,
//!   relative to the format's most used species);
//! - else **Smogon sets**: the share of a species' published sets that carry a member, times its
//!   prominence (how many sets Smogon publishes for it, on a log scale).
//!
//! `score = strength × √popularity`: a job done on most of a common Pokémon's sets ranks first,
//! and a niche Pokémon that always does it still ranks above a common one that rarely does.
//! Walls ([`Role::Recovery`]) are also weighed by how much of a species' base stats are bulk.
//! Two roles asked together ("bulky pivot that removes hazards") multiply. Pure: no I/O.

use std::collections::HashMap;

use serde::Serialize;

use super::understand::RoleAsk;
use crate::corpus::{Breakdown, SetsFile, UsageReport};
use crate::dex::{dex, is_id, to_id, MemberKind, Role, RoleMember};

/// Below this share of its sets a species is not said to do the job.
pub(crate) const MIN_STRENGTH: f64 = 0.05;

/// One Pokémon that does the asked job.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoleCandidate {
    pub pokemon_id: String,
    pub pokemon_name: String,
    /// `strength × √popularity` (see the module docs), in (0, 1].
    pub score: f64,
    /// Why it was chosen, in words ("hazard removal: Rapid Spin on 48.3% of its sets").
    pub why: String,
    /// The member names that matched, for searching its documents.
    pub members: Vec<String>,
}

/// Candidates for every ask at once, best first (ties by id).
#[cfg(test)]
pub(crate) fn candidates(
    asks: &[RoleAsk],
    gen: u8,
    stats: Option<(&UsageReport, &str)>,
    sets: Option<&SetsFile>,
) -> Vec<RoleCandidate> {
    candidates_of_types(asks, &[], gen, stats, sets)
}

/// [`candidates`] that have every type of `types` (`["Steel"]` for "Steel-type hazard removers").
pub(crate) fn candidates_of_types(
    asks: &[RoleAsk],
    types: &[String],
    gen: u8,
    stats: Option<(&UsageReport, &str)>,
    sets: Option<&SetsFile>,
) -> Vec<RoleCandidate> {
    let members: Vec<(Role, Vec<&RoleMember>)> = asks
        .iter()
        .map(|ask| {
            let ms = dex()
                .roles()
                .members(ask.role, gen)
                .filter(|m| {
                    ask.effects.is_empty() || m.effect.as_ref().is_some_and(|e| ask.effects.contains(e))
                })
                .filter(|m| ask.members.is_empty() || ask.members.contains(&m.id))
                .collect();
            (ask.role, ms)
        })
        .collect();
    if members.is_empty() || members.iter().any(|(_, ms)| ms.is_empty()) {
        return Vec::new();
    }
    let mut out = match (stats, sets) {
        (Some((report, month)), _) if !report.species.is_empty() => {
            from_statistics(&members, gen, report, month)
        }
        (_, Some(sets)) => from_sets(&members, gen, sets),
        _ => Vec::new(),
    };
    out.retain(|c| {
        let Ok(species) = dex().species(&c.pokemon_id, Some(gen)) else { return types.is_empty() };
        types.iter().all(|t| species.types.iter().any(|x| x == t))
    });
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.pokemon_id.cmp(&b.pokemon_id)));
    out
}

/// The most used Pokémon of a format's statistics, best first, as candidates (empty without
/// statistics).
pub(crate) fn most_used(report: &UsageReport, month: &str) -> Vec<RoleCandidate> {
    let most = report.species.iter().map(popularity).fold(0.0, f64::max);
    if most <= 0.0 {
        return Vec::new();
    }
    let mut out: Vec<RoleCandidate> = report
        .species
        .iter()
        .map(|s| {
            let (pokemon_id, pokemon_name) = species_id(&s.name);
            let usage = s.usage.map(|u| format!(", on {u:.2}% of teams")).unwrap_or_default();
            RoleCandidate {
                pokemon_id,
                pokemon_name,
                score: popularity(s) / most,
                why: format!(
                    "usage rank #{} of {}{usage} (Smogon usage statistics {month})",
                    s.rank,
                    report.species.len()
                ),
                members: vec!["usage".to_owned()],
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.pokemon_id.cmp(&b.pokemon_id)));
    out
}

/// How much a species is used: its usage share, else its weighted count (raw count × average
/// weight: the moveset report's own order), else its raw count.
fn popularity(s: &crate::corpus::UsageStats) -> f64 {
    let weighted = s.raw_count.map(|c| c as f64 * s.avg_weight.unwrap_or(1.0));
    s.usage.or(weighted).unwrap_or(0.0)
}

/// A member's share of one breakdown (0-1), by id.
fn share_in(breakdown: &Breakdown, id: &str) -> Option<(String, f64)> {
    breakdown.shares.iter().find(|s| is_id(&s.name, id)).map(|s| (s.name.clone(), s.percent / 100.0))
}

fn from_statistics(
    asks: &[(Role, Vec<&RoleMember>)],
    gen: u8,
    report: &UsageReport,
    month: &str,
) -> Vec<RoleCandidate> {
    let popularity: Vec<f64> = report.species.iter().map(popularity).collect();
    let most = popularity.iter().copied().fold(0.0, f64::max);
    let mut out = Vec::new();
    for (species, pop) in report.species.iter().zip(popularity) {
        let (id, name) = species_id(&species.name);
        let mut strength = 1.0;
        let mut reasons = Vec::new();
        let mut names = Vec::new();
        for (role, members) in asks {
            // The strongest member stands for the role: sets carry one hazard remover, not two.
            let best = members
                .iter()
                .filter_map(|m| {
                    let breakdown = match m.kind {
                        MemberKind::Move => &species.moves,
                        MemberKind::Ability => &species.abilities,
                        MemberKind::Item => &species.items,
                    };
                    share_in(breakdown, &m.id)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let Some((member, raw)) = best else {
                strength = 0.0;
                break;
            };
            strength *= raw.min(1.0) * bulk_factor(*role, &id, gen);
            reasons.push(format!("{}: {member} on {:.1}% of its sets", role.label(), raw * 100.0));
            names.push(member);
        }
        if strength < MIN_STRENGTH || most <= 0.0 {
            continue;
        }
        let score = strength * (pop / most).sqrt();
        let usage = species
            .usage
            .map(|u| format!("on {u:.2}% of teams"))
            .unwrap_or_else(|| format!("usage rank #{}", species.rank));
        out.push(RoleCandidate {
            pokemon_id: id,
            pokemon_name: name,
            score,
            why: format!("{} ({usage}; Smogon usage statistics {month})", reasons.join("; ")),
            members: names,
        });
    }
    out
}

fn from_sets(asks: &[(Role, Vec<&RoleMember>)], gen: u8, sets: &SetsFile) -> Vec<RoleCandidate> {
    let most = sets.species.iter().map(|s| s.sets.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for species in &sets.species {
        let total = species.sets.len();
        if total == 0 {
            continue;
        }
        let (id, name) = species_id(&species.species);
        // Sets name no ability when the species has only one (Tyranitar's Sand Stream in gen 4).
        let only_ability: Vec<String> = match dex().species(&id, Some(gen)) {
            Ok(s) if gen >= 3 && s.abilities.iter().count() == 1 => {
                s.abilities.iter().map(str::to_owned).collect()
            }
            _ => Vec::new(),
        };
        let mut strength = 1.0;
        let mut reasons = Vec::new();
        let mut names = Vec::new();
        for (role, members) in asks {
            let mut carried: HashMap<String, usize> = HashMap::new();
            let mut with = 0;
            for set in &species.sets {
                let options = set
                    .moves
                    .iter()
                    .flatten()
                    .map(|n| (MemberKind::Move, n))
                    .chain(set.ability.iter().map(|n| (MemberKind::Ability, n)))
                    .chain(
                        only_ability
                            .iter()
                            .filter(|_| set.ability.is_empty())
                            .map(|n| (MemberKind::Ability, n)),
                    )
                    .chain(set.item.iter().map(|n| (MemberKind::Item, n)));
                let mut hit = false;
                for (kind, option) in options {
                    if members.iter().any(|m| m.kind == kind && m.id == to_id(option)) {
                        *carried.entry(option.clone()).or_default() += 1;
                        hit = true;
                    }
                }
                with += usize::from(hit);
            }
            let share = with as f64 / total as f64 * bulk_factor(*role, &id, gen);
            strength *= share;
            if with == 0 {
                break;
            }
            let mut carried: Vec<(String, usize)> = carried.into_iter().collect();
            carried.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let listed: Vec<&str> = carried.iter().map(|(n, _)| n.as_str()).collect();
            reasons.push(format!(
                "{}: {} in {with} of its {total} Smogon sets",
                role.label(),
                listed.join(", ")
            ));
            names.extend(carried.into_iter().map(|(n, _)| n));
        }
        if strength < MIN_STRENGTH {
            continue;
        }
        let prominence = ((1 + total) as f64).ln() / ((1 + most) as f64).ln();
        out.push(RoleCandidate {
            pokemon_id: id,
            pokemon_name: name,
            score: strength * prominence.sqrt(),
            why: format!(
                "{} (no usage statistics for this format: judged from Smogon's sets)",
                reasons.join("; ")
            ),
            members: names,
        });
    }
    out
}

/// For walls, the share of base stats that is bulk (HP, Def, SpD against Atk, SpA, Spe), as a
/// factor in [0, 1]: Blissey and Toxapex 1, Great Tusk ~0.55, Dragapult ~0.33. 1 for other roles.
fn bulk_factor(role: Role, id: &str, gen: u8) -> f64 {
    if role != Role::Recovery {
        return 1.0;
    }
    let Ok(s) = dex().species(id, Some(gen)) else { return 0.5 };
    let b = s.base_stats;
    let bulk = f64::from(b.hp) + f64::from(b.def) + f64::from(b.spd);
    let offence = f64::from(b.atk) + f64::from(b.spa) + f64::from(b.spe);
    (bulk / offence.max(1.0) / 2.0).clamp(0.0, 1.0)
}

/// The dex id and name of a species as the data spells it (ids as the documents use them).
/// Identity only: availability in `gen` does not change either.
fn species_id(name: &str) -> (String, String) {
    match dex().species_identity(name) {
        Some((id, display)) => (id.to_owned(), display.to_owned()),
        None => (to_id(name), name.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{parse_moveset_report, parse_sets};
    use crate::search::understand::roles_in;

    fn data(path: &str) -> String {
        std::fs::read_to_string(format!("{}/../shared/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn hazard_removal_in_gen9ou_statistics() {
        let report = parse_moveset_report(&data("smogon-stats/moveset-gen9ou-1695.txt")).unwrap();
        let got = candidates(&roles_in("who removes hazards"), 9, Some((&report, "2024-06")), None);
        assert!(got.len() >= 5, "{got:?}");
        for c in &got {
            let s = report.species.iter().find(|s| species_id(&s.name).0 == c.pokemon_id).unwrap();
            let carried = ["Rapid Spin", "Defog", "Mortal Spin", "Tidy Up", "Court Change"]
                .iter()
                .any(|m| s.moves.shares.iter().any(|x| x.name == *m && x.percent >= 5.0));
            assert!(carried, "{} carries a hazard-removal move: {}", c.pokemon_name, c.why);
        }
        assert!(got[0].why.contains("hazard removal: "), "{}", got[0].why);
        assert!(got.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn most_used_follows_the_usage_ranking() {
        let report = parse_moveset_report(&data("smogon-stats/moveset-gen9ou-1695.txt")).unwrap();
        let top = most_used(&report, "2024-06");
        assert_eq!(top[0].pokemon_id, "kingambit", "{}", top[0].why);
        assert!(top[0].why.starts_with("usage rank #1 of 304"), "{}", top[0].why);
        assert!(top.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn effects_narrow_and_sets_stand_in_without_statistics() {
        let sets = parse_sets(&data("pkmn-sets/gen4ou.json")).unwrap();
        let rain = candidates(&roles_in("who sets rain"), 4, None, Some(&sets));
        assert!(!rain.is_empty());
        for c in &rain {
            assert!(c.members.iter().all(|m| m == "Rain Dance" || m == "Drizzle"), "{c:?}");
            assert!(c.why.contains("Smogon sets"), "{}", c.why);
        }
        let rocks = candidates(&roles_in("Stealth Rock setters"), 4, None, Some(&sets));
        assert!(rocks.iter().all(|c| c.members == ["Stealth Rock"]), "{rocks:?}");
        let sand = candidates(&roles_in("sand setters"), 4, None, Some(&sets));
        let tyranitar = sand.iter().find(|c| c.pokemon_id == "tyranitar").expect("implied Sand Stream");
        assert_eq!(tyranitar.members, ["Sand Stream"]);
        let steel = candidates_of_types(&roles_in("Spikes setters"), &["Steel".into()], 4, None, Some(&sets));
        assert!(
            !steel.is_empty()
                && steel.iter().all(|c| ["skarmory", "forretress"].contains(&c.pokemon_id.as_str()))
        );
        let nothing = candidates(&roles_in("who removes hazards"), 4, None, None);
        assert!(nothing.is_empty(), "no data, no candidates");
    }
}
