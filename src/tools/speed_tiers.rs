//! `speed_tiers`: a format's most used Pokémon ranked by final speed at the format's level, for
//! their common spreads (usage statistics, else Smogon's sets) and the usual benchmarks, under
//! the modifiers asked for; and "outspeed" questions: the least Speed investment for A to move
//! before B, or the answer that it cannot. The numbers come from [`crate::battle::speed`].

use rmcp::model::{CallToolResult, JsonObject};
use serde::Serialize;
use serde_json::Value;

use super::backend::StrategyBackend;
use super::{args, respond, ToolError};
use crate::battle::speed::{self, Conditions, Mon, Weather};
use crate::corpus::{Format, SpeciesSets, UsageStats};
use crate::dex::{dex, to_id, SpeciesView};

mod output;
mod outspeed;
mod spreads;

pub(super) use output::{Modifiers, Output, Provenance, Tier};
use outspeed::answer_outspeed;
use spreads::{benchmarks, common_spreads, likeliest_set, Spread};

pub(super) const NAME: &str = "speed_tiers";

const DEFAULT_LIMIT: i64 = 12;
const MAX_LIMIT: i64 = 50;
const DEFAULT_SPREADS: i64 = 3;
const MAX_SPREADS: i64 = 6;

/// Modifier keys that belong to one Pokémon (per side in an outspeed question).
const MON_KEYS: [&str; 6] = ["choiceScarf", "tailwind", "paralysis", "stage", "boosterEnergy", "unburden"];
/// Keys that describe the field (top level only).
const FIELD_KEYS: [&str; 3] = ["trickRoom", "weather", "terrain"];

/// The level a format is played at: 50 for VGC and Battle Stadium, 5 for Little Cup, else 100.
pub(super) fn format_level(format: &Format) -> u8 {
    let m = format.metagame();
    if m.starts_with("vgc") || m.starts_with("battlestadium") || m.starts_with("bss") {
        50
    } else if m == "lc" {
        5
    } else {
        100
    }
}

/// Modifiers for one side, plus the field.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Mods {
    scarf: bool,
    tailwind: bool,
    paralysis: bool,
    stage: i8,
    booster: bool,
    unburden: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Field {
    trick_room: bool,
    weather: Option<Weather>,
    electric_terrain: bool,
}

fn bool_arg(o: &JsonObject, key: &str) -> Result<bool, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("modifier \"{key}\" must be true or false")),
    }
}

fn parse_mods(value: Option<&Value>, allow_field: bool, name: &str) -> Result<(Option<Mods>, Field), String> {
    let o = match value {
        None | Some(Value::Null) => return Ok((None, Field::default())),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(format!("argument \"{name}\" must be an object")),
    };
    let allowed: Vec<&str> =
        MON_KEYS.iter().chain(if allow_field { FIELD_KEYS.iter() } else { [].iter() }).copied().collect();
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "unknown modifier \"{}\" in \"{name}\" (known: {})",
            crate::mcp::dispatch::truncate(k, 40),
            allowed.join(", ")
        ));
    }
    let stage = match o.get("stage") {
        None | Some(Value::Null) => 0,
        Some(v) => match v.as_i64() {
            Some(s) if (-6..=6).contains(&s) => s as i8,
            _ => return Err("modifier \"stage\" must be an integer from -6 to 6".into()),
        },
    };
    let mods = Mods {
        scarf: bool_arg(o, "choiceScarf")?,
        tailwind: bool_arg(o, "tailwind")?,
        paralysis: bool_arg(o, "paralysis")?,
        stage,
        booster: bool_arg(o, "boosterEnergy")?,
        unburden: bool_arg(o, "unburden")?,
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(to_id(s))),
            Some(_) => Err(format!("modifier \"{key}\" must be a string")),
        }
    };
    let weather = match text("weather")?.as_deref() {
        None => None,
        Some("sun") => Some(Weather::Sun),
        Some("rain") => Some(Weather::Rain),
        Some("sand") => Some(Weather::Sand),
        Some("snow") => Some(Weather::Snow),
        Some("hail") => Some(Weather::Hail),
        Some(other) => {
            return Err(format!(
                "unknown weather \"{}\" (sun, rain, sand, snow, hail)",
                crate::mcp::dispatch::truncate(other, 40)
            ))
        }
    };
    let electric_terrain = match text("terrain")?.as_deref() {
        None => false,
        Some("electric") => true,
        Some(other) => {
            return Err(format!(
                "unknown terrain \"{}\" (only electric changes speed)",
                crate::mcp::dispatch::truncate(other, 40)
            ))
        }
    };
    Ok((Some(mods), Field { trick_room: bool_arg(o, "trickRoom")?, weather, electric_terrain }))
}

impl Mods {
    fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.scarf {
            out.push("Choice Scarf".to_owned());
        }
        if self.tailwind {
            out.push("Tailwind".to_owned());
        }
        if self.paralysis {
            out.push("paralysis".to_owned());
        }
        if self.stage != 0 {
            out.push(format!("{:+} Spe", self.stage));
        }
        if self.booster {
            out.push("Booster Energy".to_owned());
        }
        if self.unburden {
            out.push("Unburden active".to_owned());
        }
        out
    }
}

/// Conditions for one Pokémon: Booster Energy goes to Protosynthesis / Quark Drive users (who
/// then hold no Scarf), Unburden users have lost their item.
fn conditions(
    mods: &Mods,
    field: &Field,
    ability_id: &str,
    item: Option<&str>,
) -> (Conditions, Option<String>) {
    let paradox = ability_id == "protosynthesis" || ability_id == "quarkdrive";
    let item_id = item.map(to_id);
    let (booster, scarf) = if mods.booster && paradox {
        (true, false)
    } else {
        (item_id.as_deref() == Some("boosterenergy"), mods.scarf || item_id.as_deref() == Some("choicescarf"))
    };
    let iron_ball = !scarf
        && item_id.as_deref().is_some_and(|i| {
            [
                "ironball",
                "machobrace",
                "poweranklet",
                "powerband",
                "powerbelt",
                "powerbracer",
                "powerlens",
                "powerweight",
            ]
            .contains(&i)
        });
    let held = if booster {
        Some("Booster Energy".to_owned())
    } else if scarf {
        Some("Choice Scarf".to_owned())
    } else {
        item.map(str::to_owned)
    };
    let c = Conditions {
        stage: mods.stage,
        tailwind: mods.tailwind,
        paralyzed: mods.paralysis,
        weather: field.weather,
        electric_terrain: field.electric_terrain,
        unburden: mods.unburden,
        booster_energy: booster,
        choice_scarf: scarf,
        iron_ball,
    };
    (c, held)
}

#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Entry {
    pokemon: String,
    name: String,
    rank: Option<usize>,
    kind: &'static str,
    spread: String,
    percent: Option<f64>,
    nature: Option<String>,
    evs: [u16; 6],
    ivs: [u16; 6],
    ability: Option<String>,
    item: Option<String>,
    stat: u32,
    speed: u32,
    applied: Vec<&'static str>,
}

/// The likeliest ability: usage statistics, else Smogon's first set, else the dex's first.
fn likely_ability(
    species: &SpeciesView<'_>,
    gen: u8,
    stats: Option<&UsageStats>,
    sets: Option<&SpeciesSets>,
) -> Option<String> {
    if gen < 3 {
        return None;
    }
    likeliest_set(gen, stats, sets)
        .and_then(|s| s.ability)
        .filter(|a| a != "No Ability")
        .or_else(|| species.abilities.primary.map(str::to_owned))
}

#[allow(clippy::too_many_arguments)]
fn entry(
    species: &SpeciesView<'_>,
    gen: u8,
    level: u8,
    rank: Option<usize>,
    kind: &'static str,
    spread: &Spread,
    percent: Option<f64>,
    ability: Option<&str>,
    mods: &Mods,
    field: &Field,
    item: Option<&str>,
) -> Entry {
    let stats = spread.stats(gen, species, level);
    let ability_id = ability.map(to_id).unwrap_or_default();
    let (c, held) = conditions(mods, field, &ability_id, item);
    let (speed, applied) = speed::final_speed(&Mon { gen, stats, ability: &ability_id }, &c);
    Entry {
        pokemon: species.id.to_owned(),
        name: species.name.to_owned(),
        rank,
        kind,
        spread: match kind {
            "usage" | "set" => spread.label(),
            other => format!("{other} ({})", spread.label()),
        },
        percent,
        nature: spread.nature.clone(),
        evs: spread.evs,
        ivs: spread.ivs,
        ability: ability.map(str::to_owned),
        item: held,
        stat: stats[5],
        speed,
        applied: applied.names,
    }
}

/// The arguments, checked.
#[derive(Debug)]
pub(super) struct Input {
    format: Format,
    limit: usize,
    spreads: usize,
    benchmarks: bool,
    mods: Mods,
    field: Field,
    outspeed: Option<OutspeedArgs>,
}

#[derive(Debug)]
struct OutspeedArgs {
    pokemon: String,
    target: String,
    fastest: bool,
    mods: Mods,
    target_mods: Mods,
}

impl Input {
    pub(super) fn parse(arguments: &JsonObject) -> Result<Self, ToolError> {
        parse(arguments).map_err(ToolError::InvalidArguments)
    }

    /// The `limit` most used Pokémon of `format` (given as text, checked as the argument is),
    /// with the default spreads and benchmarks and no modifiers.
    pub(super) fn top(format: &str, limit: usize) -> Result<Self, ToolError> {
        let format = Format::parse(args::text("format", format, 40)?).map_err(ToolError::invalid)?;
        Ok(Self {
            format,
            limit,
            spreads: DEFAULT_SPREADS as usize,
            benchmarks: true,
            mods: Mods::default(),
            field: Field::default(),
            outspeed: None,
        })
    }
}

fn parse(arguments: &JsonObject) -> Result<Input, String> {
    args::only(arguments, &["format", "limit", "spreads", "benchmarks", "modifiers", "outspeed"])
        .map_err(|e| e.to_string())?;
    let format = args::required_str(arguments, "format", 40).map_err(|e| e.to_string())?;
    let format = Format::parse(format).map_err(|e| e.to_string())?;
    let limit = args::optional_int(arguments, "limit", 1, MAX_LIMIT).map_err(|e| e.to_string())?;
    let spreads = args::optional_int(arguments, "spreads", 1, MAX_SPREADS).map_err(|e| e.to_string())?;
    let benchmarks = match arguments.get("benchmarks") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("argument \"benchmarks\" must be true or false".into()),
    };
    let (mods, field) = parse_mods(arguments.get("modifiers"), true, "modifiers")?;
    let mods = mods.unwrap_or_default();
    let gen = format.gen();
    let outspeed = match arguments.get("outspeed") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            args::only(o, &["pokemon", "target", "against", "modifiers", "targetModifiers"])
                .map_err(|e| format!("in \"outspeed\": {e}"))?;
            let name = |key: &'static str| -> Result<String, String> {
                let raw = args::required_str(o, key, 100).map_err(|e| format!("in \"outspeed\": {e}"))?;
                dex().species(raw, Some(gen)).map(|s| s.name.to_owned()).map_err(|e| e.to_string())
            };
            let fastest = match args::optional_str(o, "against", 20).map_err(|e| e.to_string())? {
                None | Some("likeliest") => false,
                Some("fastest") => true,
                Some(_) => return Err("\"against\" must be \"likeliest\" or \"fastest\"".into()),
            };
            let (a, _) = parse_mods(o.get("modifiers"), false, "outspeed.modifiers")?;
            let (b, _) = parse_mods(o.get("targetModifiers"), false, "outspeed.targetModifiers")?;
            Some(OutspeedArgs {
                pokemon: name("pokemon")?,
                target: name("target")?,
                fastest,
                mods: a.unwrap_or(mods),
                target_mods: b.unwrap_or(mods),
            })
        }
        Some(_) => return Err("argument \"outspeed\" must be an object".into()),
    };
    Ok(Input {
        format,
        limit: limit.unwrap_or(DEFAULT_LIMIT) as usize,
        spreads: spreads.unwrap_or(DEFAULT_SPREADS) as usize,
        benchmarks,
        mods,
        field,
        outspeed,
    })
}

pub(super) async fn run(backend: &impl StrategyBackend, p: Input) -> Result<Output, ToolError> {
    let format_id = p.format.id().to_owned();
    let (gen, level) = (p.format.gen(), format_level(&p.format));
    let (usage, sets) = futures::join!(backend.usage(&format_id), backend.sets(&format_id));
    let (usage, sets) = (usage.ok().flatten(), sets.ok().flatten());
    if usage.is_none() && sets.is_none() {
        return Err(ToolError::NotFound(format!(
            "No usage statistics or sets are loaded for {format_id}; try a format such as gen9ou."
        )));
    }
    let stats_of = |name: &str| usage.as_ref().and_then(|u| u.report.get(name));
    let sets_of = |name: &str| sets.as_ref().and_then(|s| s.get(name));
    let mut notes: Vec<String> = Vec::new();

    // The most used species (usage order), else the sets file's order.
    let names: Vec<(String, Option<usize>, Option<f64>)> = match &usage {
        Some(u) => u.report.species.iter().map(|s| (s.name.clone(), Some(s.rank), s.usage)).collect(),
        None => {
            notes.push(format!(
                "No usage statistics are loaded for {format_id}: Pokémon are listed in Smogon's sets order, with their sets' spreads."
            ));
            sets.as_ref()
                .map(|s| s.species.iter().map(|s| (s.species.clone(), None, None)).collect())
                .unwrap_or_default()
        }
    };
    let mut entries: Vec<Entry> = Vec::new();
    let mut listed = 0;
    for (name, rank, _) in &names {
        if listed == p.limit {
            break;
        }
        let Ok(species) = dex().species(name, Some(gen)) else {
            notes.push(format!("{name} is not in the generation {gen} dex; skipped."));
            continue;
        };
        listed += 1;
        let (st, se) = (stats_of(name), sets_of(name));
        let ability = likely_ability(&species, gen, st, se);
        for (spread, pct, kind) in common_spreads(gen, st, se, p.spreads) {
            entries.push(entry(
                &species,
                gen,
                level,
                *rank,
                kind,
                &spread,
                pct,
                ability.as_deref(),
                &p.mods,
                &p.field,
                None,
            ));
        }
        if p.benchmarks {
            for (spread, kind) in benchmarks(gen, &species) {
                entries.push(entry(
                    &species,
                    gen,
                    level,
                    *rank,
                    kind,
                    &spread,
                    None,
                    ability.as_deref(),
                    &p.mods,
                    &p.field,
                    None,
                ));
            }
        }
    }
    let tr = p.field.trick_room;
    entries.sort_by(|a, b| {
        let order = if tr { a.speed.cmp(&b.speed) } else { b.speed.cmp(&a.speed) };
        order.then(a.rank.unwrap_or(usize::MAX).cmp(&b.rank.unwrap_or(usize::MAX))).then(a.name.cmp(&b.name))
    });
    let mut tiers: Vec<Tier> = Vec::new();
    for e in entries {
        match tiers.last_mut() {
            Some(tier) if tier.speed == e.speed => tier.entries.push(e),
            _ => tiers.push(Tier { speed: e.speed, tie: false, entries: vec![e] }),
        }
    }
    for tier in &mut tiers {
        tier.tie = tier.entries.iter().any(|e| e.pokemon != tier.entries[0].pokemon);
    }

    let outspeed = match &p.outspeed {
        Some(o) => Some(
            answer_outspeed(o, gen, level, &p.field, &stats_of, &sets_of, p.spreads)
                .map_err(ToolError::NotFound)?,
        ),
        None => None,
    };

    let mut field_words = p.mods.describe();
    if tr {
        field_words.push("Trick Room".into());
    }
    if let Some(w) = p.field.weather {
        field_words.push(format!("{w:?}").to_lowercase());
    }
    if p.field.electric_terrain {
        field_words.push("Electric Terrain".into());
    }
    Ok(Output {
        generation: gen,
        level,
        trick_room: tr,
        order: if tr { "slowest first" } else { "fastest first" },
        modifiers: Modifiers { all: p.mods.describe(), field: field_words },
        ranking: if usage.is_some() { "usage" } else { "sets" },
        tiers,
        outspeed,
        notes,
        provenance: Provenance {
            stats_month: usage.as_ref().map(|u| u.month.clone()),
            cutoff: usage.as_ref().map(|u| u.cutoff),
            stats_source: usage.as_ref().map(|u| u.source_url.clone()),
            sets_source: p.format.sets_url(),
            formula: "Pokémon Showdown / @smogon/calc getFinalSpeed",
        },
        format: format_id,
    })
}

pub(super) async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    match Input::parse(arguments) {
        Ok(input) => respond(run(backend, input).await),
        Err(e) => e.into(),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod backend_tests;
