//! The answer of a calculation: both sides with their stats and where their sets came from,
//! each move's rolls, range, percentages and `@smogon/calc`'s own description.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Prepared, Side};
use crate::battle::calc::{CalcField, CalcResponse, CalcStats, MoveResult};
use crate::battle::sets::{AssumedSet, ConcreteSet, SetSource};
use crate::tools::Render;

/// A calculation's answer: both sides, the field, each move's result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Output {
    pub generation: u8,
    pub format: Option<String>,
    /// "singles" or "doubles".
    pub game_type: String,
    pub attacker: SideOutput,
    pub defender: SideOutput,
    pub field: CalcField,
    pub results: Vec<MoveResult>,
    pub calculator: String,
}

/// One side as calculated: its set (and where it came from), its state, its final stats.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SideOutput {
    pub set: ConcreteSet,
    pub paste: String,
    pub assumed: bool,
    pub provenance: Provenance,
    pub terastallized: bool,
    pub boosts: BTreeMap<&'static str, i8>,
    pub status: Option<&'static str>,
    pub current_hp_percent: Option<u8>,
    pub stats: BTreeMap<String, u32>,
    pub max_hp: u32,
    pub current_hp: u32,
}

/// Where a side's set came from: assumed (with its sources), the library's defaults, or given.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Provenance {
    Assumed(Box<AssumedSet>),
    Defaults { source: &'static str, note: String },
    Given { source: &'static str },
}

fn side_output(side: &Side, stats: &CalcStats, gen: u8) -> SideOutput {
    let provenance = match (&side.assumed, &side.default_note) {
        (Some(a), _) => Provenance::Assumed(Box::new(a.clone())),
        (None, Some(note)) => Provenance::Defaults { source: "defaults", note: note.clone() },
        (None, None) => Provenance::Given { source: "given" },
    };
    SideOutput {
        set: side.set.clone(),
        paste: side.set.to_paste(gen),
        assumed: side.assumed.is_some(),
        provenance,
        terastallized: side.terastallized,
        boosts: side.boosts.clone(),
        status: side.status,
        current_hp_percent: side.current_hp_percent,
        stats: stats.stats.clone(),
        max_hp: stats.max_hp,
        current_hp: stats.cur_hp,
    }
}

fn provenance_line(role: &str, side: &SideOutput) -> String {
    match &side.provenance {
        Provenance::Assumed(a) => {
            let share = match (a.usage_percent, a.raw_count) {
                (Some(p), _) => format!(", {p:.3}% usage"),
                (None, Some(n)) => format!(", raw count {n}"),
                _ => String::new(),
            };
            let spread = if a.shares.is_empty() {
                String::new()
            } else {
                let order = ["ability", "item", "spread", "teraType"]
                    .into_iter()
                    .chain(a.set.moves.iter().map(String::as_str));
                let parts: Vec<String> =
                    order.filter_map(|k| a.shares.get(k).map(|p| format!("{k} {p:.3}%"))).collect();
                format!("; shares: {}", parts.join(", "))
            };
            let from = match &a.source {
                SetSource::UsageStatistics { month, cutoff } => {
                    format!("usage statistics {month}, rating ≥ {cutoff}")
                }
                SetSource::SmogonSet { set_name } => format!("Smogon set \"{set_name}\""),
            };
            format!(
                "{role}: {} — assumed set ({from}{share}{spread}), source: {}",
                side.set.species, a.source_url
            )
        }
        Provenance::Defaults { note, .. } => format!("{role}: {} — {note}", side.set.species),
        Provenance::Given { .. } => format!("{role}: {} — as given", side.set.species),
    }
}

fn rolls_text(r: &MoveResult) -> String {
    match &r.damage {
        Value::Array(items) if items.iter().all(Value::is_array) => items
            .iter()
            .enumerate()
            .map(|(i, hit)| format!("hit {}: {}", i + 1, join(hit)))
            .collect::<Vec<_>>()
            .join("; "),
        other => join(other),
    }
}

fn join(v: &Value) -> String {
    match v {
        Value::Array(items) => items.iter().map(Value::to_string).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The answer to a prepared call, from the calculator's response.
pub(crate) fn output(p: &Prepared, response: CalcResponse, calculator: &str) -> Output {
    Output {
        generation: p.gen,
        format: p.format.as_ref().map(|f| f.id().to_owned()),
        game_type: p.request.field.game_type.to_lowercase(),
        attacker: side_output(&p.attacker, &response.attacker, p.gen),
        defender: side_output(&p.defender, &response.defender, p.gen),
        field: p.request.field.clone(),
        results: response.results,
        calculator: calculator.to_owned(),
    }
}

impl Render for Output {
    /// The description lines and rolls as text; everything else is in the structured content.
    fn render(&self) -> String {
        let mut text = format!(
            "Damage calculation, generation {}{} ({})\n{}\n{}\n",
            self.generation,
            self.format.as_ref().map(|f| format!(", {f}")).unwrap_or_default(),
            self.game_type,
            provenance_line("Attacker", &self.attacker),
            provenance_line("Defender", &self.defender),
        );
        for (side, role) in [(&self.attacker, "Attacker"), (&self.defender, "Defender")] {
            if side.assumed {
                text.push_str(&format!("{role}'s assumed set:\n{}\n", side.paste));
            }
        }
        for r in &self.results {
            text.push('\n');
            match &r.desc {
                Some(desc) => text.push_str(&format!("{desc}\nRolls: {}\n", rolls_text(r))),
                None => text.push_str(&format!(
                    "{}: no damage to {} (immune, or a status move)\n",
                    r.r#move, self.defender.set.species
                )),
            }
        }
        text.push_str(&format!("\nCalculated with {}.\n", self.calculator));
        text
    }
}
