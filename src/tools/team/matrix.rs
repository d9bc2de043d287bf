//! The threat matrix: the format's most used Pokémon, each with its likeliest set, against every
//! team member — the threat's best move (by the damage calculator: % range, KO chance) and who
//! moves first (`battle::speed`, no field effects). The summary names the threats that OHKO or
//! 2HKO several members.
//!
//! The damage numbers are `@smogon/calc`'s (through [`DamageCalculator`]); nothing here
//! re-implements the formula.

use serde::Serialize;

use super::validate::TeamMember;
use super::StatSpread;
use crate::battle::calc::{CalcField, CalcMove, CalcPokemon, CalcRequest, CalcResponse, DamageCalculator};
use crate::battle::sets::{likeliest_set, ConcreteSet};
use crate::battle::speed::{final_speed, Conditions, Mon};
use crate::corpus::{Format, SetsFile};
use crate::dex::to_id;
use crate::tools::backend::FormatUsage;

/// Threats in the matrix: the most used species of the format that are not on the team.
pub(crate) const MATRIX_THREATS: usize = 6;
/// "Several" members, for the summary.
const SEVERAL: usize = 2;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MatrixCell {
    pub member: String,
    /// The threat's most damaging move against this member (`None`: none of its moves hurts it).
    pub best_move: Option<String>,
    /// Damage in percent of the member's HP, lowest and highest roll.
    pub percent: [f64; 2],
    /// The calculator's KO text ("guaranteed 2HKO", "12.5% chance to OHKO"), if any.
    pub ko: Option<String>,
    /// Hits to KO (1 = OHKO), when the calculator gives a chance.
    pub ko_hits: Option<u32>,
    pub threat_speed: u32,
    pub member_speed: u32,
    /// "threat", "member" or "tie" (no field effects; items such as Choice Scarf count).
    pub faster: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MatrixRow {
    pub threat: String,
    /// Usage rank in the format (1 = most used).
    pub rank: usize,
    /// The set calculated (its paste) and where it came from.
    pub assumed_set: String,
    pub set_source_url: String,
    pub cells: Vec<MatrixCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ThreatMatrix {
    pub rows: Vec<MatrixRow>,
    /// Threats whose best move can OHKO at least two members.
    pub ohko_several: Vec<String>,
    /// Threats that 2HKO (or better) at least two members.
    pub two_hko_several: Vec<String>,
    pub calculator: &'static str,
}

/// Builds the matrix, or says why it cannot (no statistics, calculator failure).
pub(crate) fn build(
    members: &[TeamMember],
    format: &Format,
    usage: &FormatUsage,
    sets: Option<&SetsFile>,
    calculator: &dyn DamageCalculator,
    calculator_name: &'static str,
) -> Result<ThreatMatrix, String> {
    let gen = format.gen();
    let on_team: Vec<String> = members.iter().map(|m| to_id(&m.species)).collect();
    let team: Vec<(ConcreteSet, &str)> =
        members.iter().filter(|m| m.recognized).map(|m| (member_set(m, gen), m.species.as_str())).collect();
    let mut rows = Vec::new();
    for (i, stats) in usage.report.species.iter().enumerate() {
        if rows.len() == MATRIX_THREATS {
            break;
        }
        if on_team.contains(&to_id(&stats.name)) {
            continue;
        }
        let Some(assumed) = likeliest_set(&stats.name, format, Some(usage), sets) else { continue };
        if assumed.set.moves.is_empty() {
            continue;
        }
        let cells = cells(&assumed.set, &team, format, calculator)?;
        rows.push(MatrixRow {
            threat: stats.name.clone(),
            rank: i + 1,
            assumed_set: assumed.set.to_paste(gen),
            set_source_url: assumed.source_url.clone(),
            cells,
        });
    }
    let several = |hits: u32| -> Vec<String> {
        rows.iter()
            .filter(|r| r.cells.iter().filter(|c| c.ko_hits.is_some_and(|n| n <= hits)).count() >= SEVERAL)
            .map(|r| r.threat.clone())
            .collect()
    };
    Ok(ThreatMatrix {
        ohko_several: several(1),
        two_hko_several: several(2),
        rows,
        calculator: calculator_name,
    })
}

/// `attacker` (its best move, and speed) against each of `defenders`.
pub(crate) fn cells(
    attacker: &ConcreteSet,
    defenders: &[(ConcreteSet, &str)],
    format: &Format,
    calculator: &dyn DamageCalculator,
) -> Result<Vec<MatrixCell>, String> {
    let gen = format.gen();
    defenders
        .iter()
        .map(|(defender, name)| {
            let request = CalcRequest {
                gen,
                attacker: CalcPokemon::from_set(attacker, gen),
                defender: CalcPokemon::from_set(defender, gen),
                moves: attacker.moves.iter().map(|m| CalcMove::plain(m)).collect(),
                field: CalcField::singles_or_doubles(format.is_doubles()),
            };
            let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
            let response: CalcResponse = calculator
                .calculate(&request)
                .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
                .map_err(|e| format!("{} vs {name}: {e}", attacker.species))?;
            Ok(cell(name, attacker, defender, &response, gen))
        })
        .collect()
}

/// Damage and speed facts for `threat` (its likeliest set) against the format's most used
/// Pokémon (their likeliest sets): what the `plan_against` prompt hands the model.
pub(crate) fn threat_facts(
    threat: &str,
    format: &Format,
    usage: &FormatUsage,
    sets: Option<&SetsFile>,
    calculator: &dyn DamageCalculator,
) -> Result<(String, Vec<MatrixCell>), String> {
    let gen = format.gen();
    let assumed = likeliest_set(threat, format, Some(usage), sets).ok_or("no set is known for it")?;
    let targets: Vec<(ConcreteSet, String)> = usage
        .report
        .species
        .iter()
        .filter(|s| to_id(&s.name) != to_id(threat))
        .filter_map(|s| likeliest_set(&s.name, format, Some(usage), sets).map(|a| (a.set, s.name.clone())))
        .take(MATRIX_THREATS)
        .collect();
    let targets: Vec<(ConcreteSet, &str)> = targets.iter().map(|(s, n)| (s.clone(), n.as_str())).collect();
    Ok((assumed.set.to_paste(gen), cells(&assumed.set, &targets, format, calculator)?))
}

/// One line per cell: "vs X: Move a-b% (KO), faster: …".
pub(crate) fn cell_line(attacker: &str, c: &MatrixCell) -> String {
    match &c.best_move {
        Some(mv) => format!(
            "vs {}: {mv} {:.1}-{:.1}%{}; speed {} vs {} ({})",
            c.member,
            c.percent[0],
            c.percent[1],
            c.ko.as_ref().map(|k| format!(", {k}")).unwrap_or_default(),
            c.threat_speed,
            c.member_speed,
            match c.faster {
                "threat" => format!("{attacker} moves first"),
                "member" => format!("{} moves first", c.member),
                _ => "speed tie".to_owned(),
            }
        ),
        None => format!("vs {}: no damaging move", c.member),
    }
}

fn cell(member: &str, threat: &ConcreteSet, defender: &ConcreteSet, r: &CalcResponse, gen: u8) -> MatrixCell {
    let best =
        r.results.iter().filter(|m| m.does_damage()).max_by(|a, b| a.percent[1].total_cmp(&b.percent[1]));
    let speed = |stats: &std::collections::BTreeMap<String, u32>, set: &ConcreteSet| {
        let order = ["hp", "atk", "def", "spa", "spd", "spe"];
        let mut values = [0u32; 6];
        for (v, id) in values.iter_mut().zip(order) {
            *v = stats.get(id).copied().unwrap_or(0);
        }
        let ability = set.ability.as_deref().map(to_id).unwrap_or_default();
        let item = set.item.as_deref().map(to_id).unwrap_or_default();
        let conditions = Conditions {
            choice_scarf: item == "choicescarf",
            iron_ball: item == "ironball",
            booster_energy: item == "boosterenergy",
            ..Conditions::default()
        };
        final_speed(&Mon { gen, stats: values, ability: &ability }, &conditions).0
    };
    let threat_speed = speed(&r.attacker.stats, threat);
    let member_speed = speed(&r.defender.stats, defender);
    MatrixCell {
        member: member.to_owned(),
        best_move: best.map(|m| m.r#move.clone()),
        percent: best.map_or([0.0, 0.0], |m| m.percent),
        ko: best.and_then(|m| m.ko_chance.as_ref()).map(|k| k.text.clone()).filter(|t| !t.is_empty()),
        ko_hits: best
            .and_then(|m| m.ko_chance.as_ref())
            .filter(|k| k.chance.is_some_and(|c| c > 0.0))
            .map(|k| k.n),
        threat_speed,
        member_speed,
        faster: match threat_speed.cmp(&member_speed) {
            std::cmp::Ordering::Greater => "threat",
            std::cmp::Ordering::Less => "member",
            std::cmp::Ordering::Equal => "tie",
        },
    }
}

/// A validated team member as a concrete set. Stats a paste leaves out are the calculator's
/// defaults: EVs 0 (252 in generations 1-2, where every stat is trained), IVs 31.
fn member_set(m: &TeamMember, gen: u8) -> ConcreteSet {
    let spread = |s: &Option<StatSpread>, default: u16| {
        s.map(|s| [s.hp, s.atk, s.def, s.spa, s.spd, s.spe].map(|v| v.unwrap_or(default)))
    };
    ConcreteSet {
        species: m.species.clone(),
        level: Some(m.level),
        item: m.item.clone(),
        ability: m.ability.clone().or_else(|| m.legal_ability.clone()),
        nature: m.nature.clone(),
        evs: spread(&m.evs, if gen <= 2 { 252 } else { 0 }),
        ivs: spread(&m.ivs, 31),
        tera_type: m.tera_type.clone(),
        moves: m.moves.clone(),
    }
}

/// Lines for the tool's text answer.
pub(crate) fn render(m: &ThreatMatrix) -> Vec<String> {
    let mut lines = vec![format!("Threat matrix ({}; likeliest sets, no field effects):", m.calculator)];
    for row in &m.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| match &c.best_move {
                Some(mv) => format!(
                    "{}: {mv} {:.1}-{:.1}%{} ({} faster)",
                    c.member,
                    c.percent[0],
                    c.percent[1],
                    c.ko.as_ref().map(|k| format!(", {k}")).unwrap_or_default(),
                    match c.faster {
                        "threat" => row.threat.as_str(),
                        "member" => c.member.as_str(),
                        _ => "neither:",
                    }
                ),
                None => format!("{}: no damaging move", c.member),
            })
            .collect();
        lines.push(format!("- #{} {}: {}", row.rank, row.threat, cells.join("; ")));
    }
    if !m.ohko_several.is_empty() {
        lines.push(format!("Can OHKO two or more of your Pokémon: {}.", m.ohko_several.join(", ")));
    }
    if !m.two_hko_several.is_empty() {
        lines.push(format!("Can 2HKO two or more of your Pokémon: {}.", m.two_hko_several.join(", ")));
    }
    lines
}
