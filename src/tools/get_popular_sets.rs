//! `get_popular_sets`: the most likely set of a Pokémon, built from usage statistics, beside
//! Smogon's recommended sets, with teammates, checks and counters and provenance.

use rmcp::model::{CallToolResult, JsonObject};
use serde::Serialize;

use super::backend::StrategyBackend;
use super::{args, respond, Render, ToolError};
use crate::corpus::{Breakdown, Format, PasteStyle, Share, UsageStats};
use crate::dex::{dex, is_id};

pub(super) const NAME: &str = "get_popular_sets";

/// The arguments, checked: the species is resolved in the format's generation.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Input {
    pub format: Format,
    /// The species' id and display name.
    pub pokemon: String,
    pub name: String,
    /// Statistics of this month (`YYYY-MM`) and/or rating cutoff instead of the newest.
    pub month: Option<String>,
    pub cutoff: Option<u32>,
}

impl Input {
    pub(super) fn parse(arguments: &JsonObject) -> Result<Self, ToolError> {
        args::only(arguments, &["pokemon", "format", "month", "cutoff"])?;
        let format = format_of(args::required_str(arguments, "format", 40)?)?;
        let pokemon = args::required_str(arguments, "pokemon", 100)?;
        let mut input = Self::resolve(format, pokemon)?;
        let month = args::optional_str(arguments, "month", 7)?;
        if let Some(m) = month {
            crate::corpus::format::check_month(m).map_err(ToolError::invalid)?;
        }
        input.month = month.map(str::to_owned);
        input.cutoff = args::optional_int(arguments, "cutoff", 0, 3000)?.map(|c| c as u32);
        Ok(input)
    }

    /// `pokemon`'s sets in `format`, newest statistics (names given as text, checked as the
    /// arguments are).
    pub(super) fn newest(pokemon: &str, format: &str) -> Result<Self, ToolError> {
        let format = format_of(args::text("format", format, 40)?)?;
        Self::resolve(format, args::text("pokemon", pokemon, 100)?)
    }

    fn resolve(format: Format, pokemon: &str) -> Result<Self, ToolError> {
        let species = dex().species(pokemon, Some(format.gen())).map_err(ToolError::invalid)?;
        Ok(Self {
            pokemon: species.id.to_owned(),
            name: species.name.to_owned(),
            format,
            month: None,
            cutoff: None,
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Output {
    /// The species' id.
    pub pokemon: String,
    pub name: String,
    pub format: String,
    pub usage_set: Option<UsageSet>,
    pub smogon_sets: Vec<SmogonSet>,
    pub teammates: Vec<Pick>,
    pub checks_and_counters: Vec<Counter>,
    pub provenance: Provenance,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Pick {
    pub name: String,
    pub percent: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageSet {
    pub ability: Option<Pick>,
    pub item: Option<Pick>,
    pub moves: Vec<Pick>,
    pub spread: Option<Pick>,
    pub tera_type: Option<Pick>,
    pub paste: String,
    pub note: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct SmogonSet {
    pub name: String,
    pub paste: String,
}

#[derive(Debug, Serialize)]
pub(super) struct Counter {
    pub name: String,
    pub score: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Provenance {
    /// The statistics' month, cutoff, battles and file (all `null` without statistics).
    pub stats_month: Option<String>,
    pub cutoff: Option<u32>,
    pub battles: Option<u64>,
    pub stats_source: Option<String>,
    pub sets_source: Option<String>,
}

fn format_of(raw: &str) -> Result<Format, ToolError> {
    Format::parse(raw).map_err(ToolError::invalid)
}

fn pick(share: &Share) -> Pick {
    Pick { name: share.name.clone(), percent: share.percent }
}

fn top(b: &Breakdown) -> Option<Pick> {
    b.shares.iter().find(|s| s.name != "Nothing" && s.name != "Other").map(pick)
}

/// The likeliest set: the top ability, item, spread and Tera type, and the four most used moves
/// (the report has no move co-occurrence, so "jointly" means the four most likely slots).
fn usage_set(name: &str, s: &UsageStats, gen: u8) -> UsageSet {
    let moves: Vec<Pick> = s
        .moves
        .shares
        .iter()
        .filter(|m| m.name != "Nothing" && m.name != "Other")
        .take(4)
        .map(pick)
        .collect();
    let (ability, item, spread, tera) =
        (top(&s.abilities), top(&s.items), top(&s.spreads), top(&s.tera_types));
    let mut paste = match &item {
        Some(i) => format!("{name} @ {}\n", i.name),
        None => format!("{name}\n"),
    };
    if let Some(a) = &ability {
        paste.push_str(&format!("Ability: {}\n", a.name));
    }
    if let Some(t) = tera.as_ref().filter(|_| gen >= 9) {
        paste.push_str(&format!("Tera Type: {}\n", t.name));
    }
    // Spreads read `Nature:hp/atk/def/spa/spd/spe`.
    if let Some((nature, evs)) = spread.as_ref().and_then(|s| s.name.split_once(':')) {
        let labels = ["HP", "Atk", "Def", "SpA", "SpD", "Spe"];
        let evs: Vec<String> =
            evs.split('/').zip(labels).filter(|(v, _)| *v != "0").map(|(v, l)| format!("{v} {l}")).collect();
        if !evs.is_empty() {
            paste.push_str(&format!("EVs: {}\n", evs.join(" / ")));
        }
        paste.push_str(&format!("{nature} Nature\n"));
    }
    for m in &moves {
        paste.push_str(&format!("- {}\n", m.name));
    }
    UsageSet {
        ability,
        item,
        moves,
        spread,
        tera_type: tera,
        paste,
        note:
            "Each slot is the most used option; usage statistics do not record which options appear together.",
    }
}

pub(super) async fn run(backend: &impl StrategyBackend, input: Input) -> Result<Output, ToolError> {
    let Input { format, pokemon: id, name, month, cutoff } = input;
    let (gen, format_id) = (format.gen(), format.id());
    let (usage, sets) =
        futures::join!(backend.usage_at(format_id, month.as_deref(), cutoff), backend.sets(format_id));
    if (month.is_some() || cutoff.is_some()) && !matches!(usage, Ok(Some(_))) {
        let when = [month, cutoff.map(|c| format!("rating ≥ {c}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ToolError::NotFound(format!(
            "No usage statistics for {format_id} ({when}) are loaded; omit month/cutoff for the newest."
        )));
    }
    let usage = usage.ok().flatten();
    let sets = sets.ok().flatten();
    let stats = usage.as_ref().and_then(|u| u.report.species.iter().find(|s| is_id(&s.name, &id)));
    let smogon: Vec<SmogonSet> = sets
        .as_ref()
        .and_then(|f| f.get(&name))
        .map(|sp| {
            sp.sets
                .iter()
                .map(|s| SmogonSet {
                    name: s.name.clone(),
                    paste: s.to_paste(&sp.species, gen, PasteStyle::WithAlternatives),
                })
                .collect()
        })
        .unwrap_or_default();
    if stats.is_none() && smogon.is_empty() {
        let why = if usage.is_none() && sets.is_none() {
            format!("no statistics or sets are loaded for {format_id}")
        } else {
            format!("{name} has no usage data or Smogon sets in {format_id}")
        };
        return Err(ToolError::NotFound(format!("No sets found: {why}.")));
    }
    let usage_set = stats.map(|s| usage_set(&name, s, gen));
    let teammates = stats.map(|s| s.teammates.shares.iter().take(5).map(pick).collect()).unwrap_or_default();
    let checks_and_counters = stats
        .map(|s| {
            s.checks_and_counters
                .iter()
                .take(5)
                .map(|c| Counter { name: c.name.clone(), score: c.score })
                .collect()
        })
        .unwrap_or_default();
    let provenance = Provenance {
        stats_month: usage.as_ref().map(|u| u.month.clone()),
        cutoff: usage.as_ref().map(|u| u.cutoff),
        battles: usage.as_ref().and_then(|u| u.report.battles),
        stats_source: usage.as_ref().map(|u| u.source_url.clone()),
        sets_source: Some(format.sets_url()),
    };
    Ok(Output {
        pokemon: id,
        name,
        format: format_id.to_owned(),
        usage_set,
        smogon_sets: smogon,
        teammates,
        checks_and_counters,
        provenance,
    })
}

impl Render for Output {
    fn render(&self) -> String {
        let mut text = format!("{} in {}\n", self.name, self.format);
        if let Some(u) = &self.usage_set {
            text.push_str("\nMost likely set (from usage statistics");
            if let (Some(month), Some(cutoff)) = (&self.provenance.stats_month, self.provenance.cutoff) {
                text.push_str(&format!(", {month} at rating ≥ {cutoff}"));
            }
            text.push_str("):\n");
            text.push_str(&u.paste);
            let pct = |p: &Option<Pick>| {
                p.as_ref().map(|p| format!("{} {:.3}%", p.name, p.percent)).unwrap_or_else(|| "–".into())
            };
            text.push_str(&format!(
                "Ability {} · Item {} · Moves {}\n",
                pct(&u.ability),
                pct(&u.item),
                u.moves
                    .iter()
                    .map(|m| format!("{} {:.3}%", m.name, m.percent))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for s in &self.smogon_sets {
            text.push_str(&format!("\nSmogon set \"{}\":\n{}\n", s.name, s.paste));
        }
        if !self.teammates.is_empty() {
            text.push_str(&format!(
                "\nTop teammates: {}\n",
                self.teammates
                    .iter()
                    .map(|t| format!("{} ({:.1}%)", t.name, t.percent))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.checks_and_counters.is_empty() {
            text.push_str(&format!(
                "Checks and counters: {}\n",
                self.checks_and_counters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        text
    }
}

pub(super) async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    match Input::parse(arguments) {
        Ok(input) => respond(run(backend, input).await),
        Err(e) => e.into(),
    }
}
