//! The answer of a calculation: both sides with their stats and where their sets came from,
//! each move's rolls, range, percentages and `@smogon/calc`'s own description.

use rmcp::model::CallToolResult;
use serde_json::{json, Value};

use super::{Prepared, Side};
use crate::battle::calc::{CalcResponse, MoveResult};
use crate::battle::sets::SetSource;
use crate::tools::structured;

fn side_json(side: &Side, stats: &crate::battle::calc::CalcStats, gen: u8) -> Value {
    let provenance = match (&side.assumed, &side.default_note) {
        (Some(a), _) => json!(a),
        (None, Some(note)) => json!({"source": "defaults", "note": note}),
        (None, None) => json!({"source": "given"}),
    };
    json!({
        "set": side.set, "paste": side.set.to_paste(gen), "assumed": side.assumed.is_some(),
        "provenance": provenance, "terastallized": side.terastallized, "boosts": side.boosts,
        "status": side.status, "currentHpPercent": side.current_hp_percent,
        "stats": stats.stats, "maxHp": stats.max_hp, "currentHp": stats.cur_hp,
    })
}

fn provenance_line(role: &str, side: &Side) -> String {
    match (&side.assumed, &side.default_note) {
        (Some(a), _) => {
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
        (None, Some(note)) => format!("{role}: {} — {note}", side.set.species),
        (None, None) => format!("{role}: {} — as given", side.set.species),
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

/// The answer: the description lines and rolls as text, everything as structured content.
pub fn shape(p: &Prepared, response: CalcResponse, calculator: &str) -> CallToolResult {
    let game_type = p.request.field.game_type.to_lowercase();
    let mut text = format!(
        "Damage calculation, generation {}{} ({game_type})\n{}\n{}\n",
        p.gen,
        p.format.as_ref().map(|f| format!(", {}", f.id())).unwrap_or_default(),
        provenance_line("Attacker", &p.attacker),
        provenance_line("Defender", &p.defender),
    );
    for (side, role) in [(&p.attacker, "Attacker"), (&p.defender, "Defender")] {
        if side.assumed.is_some() {
            text.push_str(&format!("{role}'s assumed set:\n{}\n", side.set.to_paste(p.gen)));
        }
    }
    for r in &response.results {
        text.push('\n');
        match &r.desc {
            Some(desc) => text.push_str(&format!("{desc}\nRolls: {}\n", rolls_text(r))),
            None => text.push_str(&format!(
                "{}: no damage to {} (immune, or a status move)\n",
                r.r#move, p.defender.set.species
            )),
        }
    }
    text.push_str(&format!("\nCalculated with {calculator}.\n"));
    let value = json!({
        "generation": p.gen, "format": p.format.as_ref().map(|f| f.id()), "gameType": game_type,
        "attacker": side_json(&p.attacker, &response.attacker, p.gen),
        "defender": side_json(&p.defender, &response.defender, p.gen),
        "field": p.request.field, "results": response.results, "calculator": calculator,
    });
    structured(text, value)
}
