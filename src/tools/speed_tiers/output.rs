//! `speed_tiers`' answer: the tiers, the outspeed answer, provenance, and its text.

use serde::Serialize;

use super::outspeed;
use super::Entry;
use crate::tools::Render;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Output {
    pub format: String,
    pub generation: u8,
    pub level: u8,
    pub trick_room: bool,
    /// "fastest first", or "slowest first" under Trick Room.
    pub order: &'static str,
    pub modifiers: Modifiers,
    /// What orders the Pokémon: "usage", else "sets".
    pub ranking: &'static str,
    pub tiers: Vec<Tier>,
    /// The answer to an outspeed question.
    pub outspeed: Option<outspeed::Answer>,
    pub notes: Vec<String>,
    pub provenance: Provenance,
}

#[derive(Debug, Serialize)]
pub(crate) struct Modifiers {
    /// Every Pokémon's modifiers, and the field's words besides.
    pub all: Vec<String>,
    pub field: Vec<String>,
}

/// The entries at one final Speed; a tie when more than one Pokémon is there.
#[derive(Debug, Serialize)]
pub(crate) struct Tier {
    pub speed: u32,
    pub tie: bool,
    pub(super) entries: Vec<Entry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Provenance {
    pub stats_month: Option<String>,
    pub cutoff: Option<u32>,
    pub stats_source: Option<String>,
    pub sets_source: String,
    pub formula: &'static str,
}

impl Render for Output {
    fn render(&self) -> String {
        let field_words = &self.modifiers.field;
        let usage = match (&self.provenance.stats_month, self.provenance.cutoff) {
            (Some(month), Some(cutoff)) => format!(" — usage {month} (rating ≥ {cutoff})"),
            _ => String::new(),
        };
        let mut text = format!(
            "{} speed tiers at level {}{} — {}{usage}\n",
            self.format,
            self.level,
            if self.trick_room { ", Trick Room: slowest moves first" } else { "" },
            if field_words.is_empty() { "no modifiers".to_owned() } else { field_words.join(", ") },
        );
        for tier in &self.tiers {
            let who: Vec<String> = tier
                .entries
                .iter()
                .map(|e| match e.percent {
                    Some(pct) => format!("{} ({}, {pct:.1}%)", e.name, e.spread),
                    None => format!("{} ({})", e.name, e.spread),
                })
                .collect();
            text.push_str(&format!(
                "{:>5}{} {}\n",
                tier.speed,
                if tier.tie { " [tie]" } else { "" },
                who.join(" · ")
            ));
        }
        if let Some(o) = &self.outspeed {
            text.push_str(&format!("\n{}\n", o.summary));
        }
        for n in &self.notes {
            text.push_str(&format!("Note: {n}\n"));
        }
        text
    }
}
