//! `get_usage_stats` (a format's usage ranking) and `get_popular_sets` (the most likely set of a
//! Pokémon, built from usage statistics, beside Smogon's recommended sets), with provenance.

use rmcp::model::{CallToolResult, JsonObject};
use serde::Serialize;
use serde_json::{json, Value};

use super::args;
use super::backend::{FormatUsage, StrategyBackend};
use super::{structured, tool_error};
use crate::corpus::{Breakdown, Format, PasteStyle, Share, UsageStats};
use crate::dex::{dex, is_id, to_id};
use crate::mcp::pagination;

/// `get_usage_stats` cursors (`mcp::pagination`): `u:<offset>`.
const CURSOR_PREFIX: &str = "u:";

pub const USAGE_NAME: &str = "get_usage_stats";
pub const SETS_NAME: &str = "get_popular_sets";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageEntry {
    rank: usize,
    pokemon: String,
    name: String,
    usage_percent: Option<f64>,
    raw_count: Option<u64>,
}

async fn usage_of(backend: &impl StrategyBackend, format: &str) -> Result<std::rc::Rc<FormatUsage>, String> {
    match backend.usage(format).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(format!("No usage statistics are loaded for {format}.")),
        Err(e) => Err(format!("Usage statistics are unavailable right now: {e}.")),
    }
}

fn format_arg(arguments: &JsonObject) -> Result<String, String> {
    let raw = args::required_str(arguments, "format", 40).map_err(|e| e.to_string())?;
    Format::parse(raw).map(|f| f.id().to_owned()).map_err(|e| e.to_string())
}

pub async fn call_usage(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    let parsed =
        args::only(arguments, &["format", "limit", "cursor"]).map_err(|e| e.to_string()).and_then(|()| {
            let limit = args::optional_int(arguments, "limit", 1, 100)
                .map_err(|e| e.to_string())?
                .unwrap_or(20) as usize;
            let cursor = args::optional_str(arguments, "cursor", 20).map_err(|e| e.to_string())?;
            Ok((format_arg(arguments)?, limit, cursor))
        });
    let (format, limit, cursor) = match parsed {
        Ok(p) => p,
        Err(e) => return tool_error(format!("Invalid arguments: {e}")),
    };
    let usage = match usage_of(backend, &format).await {
        Ok(u) => u,
        Err(e) => return tool_error(e),
    };
    let mut species: Vec<&UsageStats> = usage.report.species.iter().collect();
    species.sort_by_key(|s| s.rank);
    let start = match cursor {
        None => 0,
        Some(c) => match pagination::decode_offset(CURSOR_PREFIX, c, species.len()) {
            Some(n) => n,
            None => {
                return tool_error("Invalid arguments: argument \"cursor\" is not a cursor this tool issued")
            }
        },
    };
    let end = (start + limit).min(species.len());
    let entries: Vec<UsageEntry> = species[start..end]
        .iter()
        .map(|s| UsageEntry {
            rank: s.rank,
            pokemon: to_id(&s.name),
            name: s.name.clone(),
            usage_percent: s.usage,
            raw_count: s.raw_count,
        })
        .collect();
    let next = (end < species.len()).then(|| pagination::encode(CURSOR_PREFIX, end));
    let mut text = format!(
        "{} usage, {} (rating ≥ {}) — source: {}\n",
        format, usage.month, usage.cutoff, usage.source_url
    );
    for e in &entries {
        let pct = e.usage_percent.map_or("?".into(), |p| format!("{p:.3}%"));
        text.push_str(&format!("{:>3}. {} {}\n", e.rank, e.name, pct));
    }
    if let Some(n) = &next {
        text.push_str(&format!("More: call again with cursor \"{n}\".\n"));
    }
    let value = json!({
        "format": format, "month": usage.month, "cutoff": usage.cutoff, "battles": usage.report.battles,
        "total": species.len(), "sourceUrl": usage.source_url, "entries": entries, "nextCursor": next,
    });
    structured(text, value)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pick {
    name: String,
    percent: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageSet {
    ability: Option<Pick>,
    item: Option<Pick>,
    moves: Vec<Pick>,
    spread: Option<Pick>,
    tera_type: Option<Pick>,
    paste: String,
    note: &'static str,
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

pub async fn call_sets(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    let parsed = args::only(arguments, &["pokemon", "format", "month", "cutoff"])
        .map_err(|e| e.to_string())
        .and_then(|()| {
            let format = format_arg(arguments)?;
            let name = args::required_str(arguments, "pokemon", 100).map_err(|e| e.to_string())?;
            let gen = Format::parse(&format).map(|f| f.gen()).map_err(|e| e.to_string())?;
            let species = dex().species(name, Some(gen)).map_err(|e| e.to_string())?;
            let month = args::optional_str(arguments, "month", 7).map_err(|e| e.to_string())?;
            if let Some(m) = month {
                crate::corpus::format::check_month(m).map_err(|e| e.to_string())?;
            }
            let cutoff = args::optional_int(arguments, "cutoff", 0, 3000)
                .map_err(|e| e.to_string())?
                .map(|c| c as u32);
            Ok((
                format,
                gen,
                species.id.to_owned(),
                species.name.to_owned(),
                month.map(str::to_owned),
                cutoff,
            ))
        });
    let (format, gen, id, name, month, cutoff) = match parsed {
        Ok(p) => p,
        Err(e) => return tool_error(format!("Invalid arguments: {e}")),
    };
    let (usage, sets) =
        futures::join!(backend.usage_at(&format, month.as_deref(), cutoff), backend.sets(&format));
    if (month.is_some() || cutoff.is_some()) && !matches!(usage, Ok(Some(_))) {
        let when = [month.clone(), cutoff.map(|c| format!("rating ≥ {c}"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        return tool_error(format!(
            "No usage statistics for {format} ({when}) are loaded; omit month/cutoff for the newest."
        ));
    }
    let usage = usage.ok().flatten();
    let sets = sets.ok().flatten();
    let stats = usage.as_ref().and_then(|u| u.report.species.iter().find(|s| is_id(&s.name, &id)));
    let smogon: Vec<Value> = sets
        .as_ref()
        .and_then(|f| f.get(&name))
        .map(|sp| sp.sets.iter().map(|s| json!({"name": s.name, "paste": s.to_paste(&sp.species, gen, PasteStyle::WithAlternatives)})).collect())
        .unwrap_or_default();
    if stats.is_none() && smogon.is_empty() {
        let why = if usage.is_none() && sets.is_none() {
            format!("no statistics or sets are loaded for {format}")
        } else {
            format!("{name} has no usage data or Smogon sets in {format}")
        };
        return tool_error(format!("No sets found: {why}."));
    }
    let usage_set = stats.map(|s| usage_set(&name, s, gen));
    let teammates: Vec<Pick> =
        stats.map(|s| s.teammates.shares.iter().take(5).map(pick).collect()).unwrap_or_default();
    let counters: Vec<Value> = stats
        .map(|s| {
            s.checks_and_counters.iter().take(5).map(|c| json!({"name": c.name, "score": c.score})).collect()
        })
        .unwrap_or_default();
    let provenance = json!({
        "statsMonth": usage.as_ref().map(|u| u.month.clone()),
        "cutoff": usage.as_ref().map(|u| u.cutoff),
        "battles": usage.as_ref().and_then(|u| u.report.battles),
        "statsSource": usage.as_ref().map(|u| u.source_url.clone()),
        "setsSource": Format::parse(&format).map(|f| f.sets_url()).ok(),
    });
    let mut text = format!("{name} in {format}\n");
    if let Some(u) = &usage_set {
        text.push_str("\nMost likely set (from usage statistics");
        if let Some(us) = &usage {
            text.push_str(&format!(", {} at rating ≥ {}", us.month, us.cutoff));
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
            u.moves.iter().map(|m| format!("{} {:.3}%", m.name, m.percent)).collect::<Vec<_>>().join(", ")
        ));
    }
    for s in &smogon {
        text.push_str(&format!(
            "\nSmogon set \"{}\":\n{}\n",
            s["name"].as_str().unwrap_or(""),
            s["paste"].as_str().unwrap_or("")
        ));
    }
    if !teammates.is_empty() {
        text.push_str(&format!(
            "\nTop teammates: {}\n",
            teammates
                .iter()
                .map(|t| format!("{} ({:.1}%)", t.name, t.percent))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !counters.is_empty() {
        text.push_str(&format!(
            "Checks and counters: {}\n",
            counters.iter().filter_map(|c| c["name"].as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let value = json!({
        "pokemon": id, "name": name, "format": format, "usageSet": usage_set, "smogonSets": smogon,
        "teammates": teammates, "checksAndCounters": counters, "provenance": provenance,
    });
    structured(text, value)
}
