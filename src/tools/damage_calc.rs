//! `damage_calc`: damage of one move (or every move of the attacker's set) from an attacker to a
//! defender, computed by `@smogon/calc` (behind [`DamageCalculator`]). This module is the pure
//! part: arguments, name resolution with suggestions, the sets (given, or assumed from usage
//! statistics / Smogon sets with provenance), the calculator request, and the answer's shape.

use std::collections::BTreeMap;

use rmcp::model::{CallToolResult, JsonObject};
use serde_json::{json, Value};

use super::backend::StrategyBackend;
use super::team::{parse_paste, StatSpread};
use super::{args, respond, ToolError};
use crate::battle::calc::{CalcField, CalcMove, CalcPokemon, CalcRequest, CalcResponse, CalcSide, STAT_IDS};
use crate::battle::sets::{likeliest_set, AssumedSet, ConcreteSet};
use crate::corpus::Format;
use crate::dex::{self, dex, to_id};

mod report;

pub(crate) use report::{output, Output};

pub(crate) const NAME: &str = "damage_calc";

/// Moves "all" may expand to (a set has four).
const MAX_MOVES: usize = 4;
const TERA_TYPES: [&str; 19] = [
    "Normal", "Fire", "Water", "Electric", "Grass", "Ice", "Fighting", "Poison", "Ground", "Flying",
    "Psychic", "Bug", "Rock", "Ghost", "Dragon", "Dark", "Steel", "Fairy", "Stellar",
];
const SIDE_KEYS: [&str; 14] = [
    "pokemon",
    "paste",
    "level",
    "item",
    "ability",
    "nature",
    "evs",
    "ivs",
    "teraType",
    "moves",
    "boosts",
    "terastallized",
    "status",
    "currentHpPercent",
];
/// Keys that make a side an explicit set (no set is assumed for it).
const SET_KEYS: [&str; 9] =
    ["paste", "level", "item", "ability", "nature", "evs", "ivs", "teraType", "moves"];
const FIELD_SIDE_KEYS: [&str; 12] = [
    "reflect",
    "lightScreen",
    "auroraVeil",
    "helpingHand",
    "friendGuard",
    "battery",
    "powerSpot",
    "tailwind",
    "stealthRock",
    "spikes",
    "protected",
    "foresight",
];

/// A side resolved to a set, with its battle state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Side {
    pub set: ConcreteSet,
    /// `Some` when the set was assumed for a side given only by name.
    pub assumed: Option<AssumedSet>,
    /// Why no set could be assumed (the library's defaults are used).
    pub default_note: Option<String>,
    pub boosts: BTreeMap<&'static str, i8>,
    pub terastallized: bool,
    pub status: Option<&'static str>,
    pub current_hp_percent: Option<u8>,
}

/// The parsed side before any set is assumed.
struct SideInput {
    set: ConcreteSet,
    explicit: bool,
    boosts: BTreeMap<&'static str, i8>,
    terastallized: bool,
    status: Option<&'static str>,
    current_hp_percent: Option<u8>,
}

fn stat_object(v: &Value, what: &str, min: i64, max: i64) -> Result<BTreeMap<&'static str, i64>, String> {
    let obj = v.as_object().ok_or_else(|| format!("{what} must be an object such as {{\"atk\": 252}}"))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let id = STAT_IDS.iter().find(|s| **s == k.to_lowercase()).ok_or_else(|| {
            format!("{what}: unknown stat \"{}\" (use hp, atk, def, spa, spd, spe)", truncate(k))
        })?;
        let n = v
            .as_i64()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| format!("{what}.{id} must be an integer between {min} and {max}"))?;
        out.insert(*id, n);
    }
    Ok(out)
}

/// Generations 1-2 have one Special stat (the calculator keeps it as equal SpA and SpD): a value
/// named for one of them is the other's too; two different values are refused.
fn one_special(
    mut given: BTreeMap<&'static str, i64>,
    gen: u8,
    what: &str,
) -> Result<BTreeMap<&'static str, i64>, String> {
    if gen > 2 {
        return Ok(given);
    }
    match (given.get("spa").copied(), given.get("spd").copied()) {
        (Some(a), Some(d)) if a != d => {
            return Err(format!(
                "{what}: generations 1-2 have one Special stat, so spa and spd must be equal"
            ))
        }
        (Some(v), None) | (None, Some(v)) => {
            given.insert("spa", v);
            given.insert("spd", v);
        }
        _ => {}
    }
    Ok(given)
}

fn truncate(s: &str) -> &str {
    crate::mcp::dispatch::truncate(s, 60)
}

fn spread(s: &StatSpread, default: u16) -> [u16; 6] {
    [s.hp, s.atk, s.def, s.spa, s.spd, s.spe].map(|v| v.unwrap_or(default))
}

/// An EV a set does not name: 252 in generations 1-2 (stat experience, as Showdown and the
/// calculator assume), else 0.
fn ev_default(gen: u8) -> u16 {
    if gen <= 2 {
        252
    } else {
        0
    }
}

fn canonical_status(s: &str) -> Option<&'static str> {
    Some(match to_id(s).as_str() {
        "brn" | "burn" | "burned" => "brn",
        "par" | "paralysis" | "paralyzed" => "par",
        "psn" | "poison" | "poisoned" => "psn",
        "tox" | "toxic" | "badlypoisoned" => "tox",
        "slp" | "sleep" | "asleep" => "slp",
        "frz" | "freeze" | "frozen" => "frz",
        _ => return None,
    })
}

fn tera_type(s: &str) -> Result<String, String> {
    TERA_TYPES
        .iter()
        .find(|t| to_id(t) == to_id(s))
        .map(|t| (*t).to_owned())
        .ok_or_else(|| format!("unknown Tera type \"{}\"", truncate(s)))
}

/// Parses one side (`role` is "attacker" or "defender") and resolves every name in `gen`.
fn parse_side(value: &Value, role: &str, gen: u8) -> Result<SideInput, String> {
    let d = dex();
    let g = Some(gen);
    let owned;
    let obj = match value {
        Value::String(s) if s.contains('\n') => {
            owned = json!({"paste": s});
            owned.as_object().expect("object")
        }
        Value::String(s) => {
            owned = json!({"pokemon": s});
            owned.as_object().expect("object")
        }
        Value::Object(o) => o,
        _ => return Err(format!("{role} must be a name, a Showdown paste or an object")),
    };
    args::only(obj, &SIDE_KEYS).map_err(|e| format!("{role}: {e}"))?;
    let text =
        |k: &'static str, max: usize| args::optional_str(obj, k, max).map_err(|e| format!("{role}: {e}"));
    let explicit = SET_KEYS.iter().any(|k| obj.get(*k).is_some_and(|v| !v.is_null()));
    let mut set = match text("paste", 2000)? {
        Some(paste) => {
            let team = parse_paste(paste).map_err(|e| format!("{role}: {e}"))?;
            let member =
                team.members.into_iter().next().ok_or_else(|| format!("{role}: the paste holds no set"))?;
            let mut set = ConcreteSet::bare(&member.species);
            set.level = member.level;
            set.item = member.item;
            set.ability = member.ability;
            set.nature = member.nature;
            set.evs = member.evs.as_ref().map(|s| spread(s, ev_default(gen)));
            set.ivs = member.ivs.as_ref().map(|s| spread(s, 31));
            set.tera_type = member.tera_type;
            set.moves = member.moves;
            set
        }
        None => ConcreteSet::bare(""),
    };
    if let Some(name) = text("pokemon", 100)? {
        name.clone_into(&mut set.species);
    }
    if set.species.is_empty() {
        return Err(format!("{role}: give a Pokémon (\"pokemon\") or a paste"));
    }
    set.species = d.species(&set.species, g).map_err(|e| format!("{role}: {e}"))?.name.to_owned();
    if let Some(level) = args::optional_int(obj, "level", 1, 100).map_err(|e| format!("{role}: {e}"))? {
        set.level = Some(level as u8);
    }
    if let Some(item) = text("item", 100)? {
        set.item = Some(item.to_owned());
    }
    if let Some(ability) = text("ability", 100)? {
        set.ability = Some(ability.to_owned());
    }
    if let Some(nature) = text("nature", 20)? {
        set.nature = Some(nature.to_owned());
    }
    if let Some(t) = text("teraType", 20)? {
        set.tera_type = Some(t.to_owned());
    }
    for (key, slot, max) in [("evs", &mut set.evs, 255), ("ivs", &mut set.ivs, 31)] {
        if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
            let given = stat_object(v, &format!("{role}.{key}"), 0, max)?;
            let default = if key == "evs" { ev_default(gen) } else { 31 };
            let given = one_special(given, gen, &format!("{role}.{key}"))?;
            let mut values = slot.unwrap_or([default; 6]);
            for (i, id) in STAT_IDS.iter().enumerate() {
                if let Some(n) = given.get(id) {
                    values[i] = *n as u16;
                }
            }
            *slot = Some(values);
        }
    }
    if let Some(v) = obj.get("moves").filter(|v| !v.is_null()) {
        let list = v.as_array().ok_or_else(|| format!("{role}.moves must be a list of move names"))?;
        if list.len() > MAX_MOVES {
            return Err(format!("{role}.moves holds at most {MAX_MOVES} moves"));
        }
        set.moves = list
            .iter()
            .map(|m| {
                m.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{role}.moves must be a list of move names"))
            })
            .collect::<Result<_, _>>()?;
    }
    canonicalise(&mut set, gen).map_err(|e| format!("{role}: {e}"))?;
    let boosts = match obj.get("boosts").filter(|v| !v.is_null()) {
        Some(v) => {
            one_special(stat_object(v, &format!("{role}.boosts"), -6, 6)?, gen, &format!("{role}.boosts"))?
                .into_iter()
                .filter(|(k, _)| *k != "hp")
                .map(|(k, v)| (k, v as i8))
                .collect()
        }
        None => BTreeMap::new(),
    };
    let terastallized = match obj.get("terastallized") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{role}.terastallized must be true or false")),
    };
    if terastallized && gen < 9 {
        return Err(format!("{role}: Terastallization exists only in generation 9"));
    }
    let status = match text("status", 20)? {
        Some(s) => Some(canonical_status(s).ok_or_else(|| {
            format!("{role}: unknown status \"{}\" (use brn, par, psn, tox, slp or frz)", truncate(s))
        })?),
        None => None,
    };
    let current_hp_percent = args::optional_int(obj, "currentHpPercent", 1, 100)
        .map_err(|e| format!("{role}: {e}"))?
        .map(|n| n as u8);
    Ok(SideInput { set, explicit, boosts, terastallized, status, current_hp_percent })
}

/// Every name of the set to its canonical spelling in `gen`, or an error with suggestions.
fn canonicalise(set: &mut ConcreteSet, gen: u8) -> Result<(), String> {
    let d = dex();
    let g = Some(gen);
    let e = |e: dex::DexError| e.to_string();
    if let Some(i) = &set.item {
        set.item = Some(d.item_name(i, g).map_err(e)?.to_owned());
    }
    if let Some(a) = &set.ability {
        set.ability = Some(d.ability_name(a, g).map_err(e)?.to_owned());
    }
    if let Some(n) = &set.nature {
        set.nature = Some(d.nature(n).map_err(e)?.name.clone());
    }
    if let Some(t) = &set.tera_type {
        set.tera_type = Some(tera_type(t)?);
    }
    set.moves = set
        .moves
        .iter()
        .map(|m| d.move_name(m, g).map(str::to_owned).map_err(e))
        .collect::<Result<_, _>>()?;
    if gen >= 3 {
        if let Some(evs) = &set.evs {
            let total: u32 = evs.iter().map(|v| u32::from(*v)).sum();
            if total > 510 {
                return Err(format!("EVs total {total}, more than 510"));
            }
        }
    }
    Ok(())
}

fn flag(obj: &JsonObject, key: &str, what: &str) -> Result<bool, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{what}.{key} must be true or false")),
    }
}

fn parse_field_side(value: Option<&Value>, what: &str) -> Result<CalcSide, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(CalcSide::default()) };
    let obj = value.as_object().ok_or_else(|| format!("{what} must be an object"))?;
    args::only(obj, &FIELD_SIDE_KEYS).map_err(|e| format!("{what}: {e}"))?;
    let f = |k: &str| flag(obj, k, what);
    Ok(CalcSide {
        is_reflect: f("reflect")?,
        is_light_screen: f("lightScreen")?,
        is_aurora_veil: f("auroraVeil")?,
        is_helping_hand: f("helpingHand")?,
        is_friend_guard: f("friendGuard")?,
        is_battery: f("battery")?,
        is_power_spot: f("powerSpot")?,
        is_tailwind: f("tailwind")?,
        is_sr: f("stealthRock")?,
        spikes: args::optional_int(obj, "spikes", 0, 3).map_err(|e| format!("{what}: {e}"))?.unwrap_or(0)
            as u8,
        is_protected: f("protected")?,
        is_foresight: f("foresight")?,
    })
}

/// Field conditions and move options from the `field` argument.
struct FieldInput {
    field: CalcField,
    critical_hit: bool,
    hits: Option<u8>,
}

fn parse_field(arguments: &JsonObject, doubles_format: bool) -> Result<FieldInput, String> {
    let empty = JsonObject::new();
    let obj = match arguments.get("field") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err("field must be an object".into()),
    };
    args::only(
        obj,
        &["gameType", "weather", "terrain", "gravity", "criticalHit", "hits", "attackerSide", "defenderSide"],
    )
    .map_err(|e| format!("field: {e}"))?;
    let text = |k: &'static str| args::optional_str(obj, k, 30).map_err(|e| format!("field: {e}"));
    let game_type = match text("gameType")?.map(to_id).as_deref() {
        None if doubles_format => "Doubles",
        None | Some("singles") => "Singles",
        Some("doubles") => "Doubles",
        Some(other) => {
            return Err(format!("field.gameType \"{}\" must be singles or doubles", truncate(other)))
        }
    };
    let weather = match text("weather")?.map(to_id).as_deref() {
        None => None,
        Some("sun") => Some("Sun"),
        Some("rain") => Some("Rain"),
        Some("sand" | "sandstorm") => Some("Sand"),
        Some("snow") => Some("Snow"),
        Some("hail") => Some("Hail"),
        Some("harshsunshine") => Some("Harsh Sunshine"),
        Some("heavyrain") => Some("Heavy Rain"),
        Some("strongwinds") => Some("Strong Winds"),
        Some(other) => return Err(format!("field.weather: unknown weather \"{}\"", truncate(other))),
    };
    let terrain = match text("terrain")?.map(to_id).as_deref() {
        None => None,
        Some("electric") => Some("Electric"),
        Some("grassy") => Some("Grassy"),
        Some("psychic") => Some("Psychic"),
        Some("misty") => Some("Misty"),
        Some(other) => return Err(format!("field.terrain: unknown terrain \"{}\"", truncate(other))),
    };
    Ok(FieldInput {
        field: CalcField {
            game_type,
            weather,
            terrain,
            is_gravity: flag(obj, "gravity", "field")?,
            attacker_side: parse_field_side(obj.get("attackerSide"), "field.attackerSide")?,
            defender_side: parse_field_side(obj.get("defenderSide"), "field.defenderSide")?,
        },
        critical_hit: flag(obj, "criticalHit", "field")?,
        hits: args::optional_int(obj, "hits", 1, 10).map_err(|e| format!("field: {e}"))?.map(|n| n as u8),
    })
}

/// The generation and format the call is about.
fn parse_format(arguments: &JsonObject) -> Result<(u8, Option<Format>), String> {
    let format = args::optional_str(arguments, "format", 40)
        .map_err(|e| e.to_string())?
        .map(Format::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    let generation = args::optional_generation(arguments, "generation").map_err(|e| e.to_string())?;
    match (&format, generation) {
        (Some(f), Some(g)) if f.gen() != g => {
            Err(format!("format {} is generation {}, not {g}", f.id(), f.gen()))
        }
        (Some(f), _) => Ok((f.gen(), format)),
        (None, g) => Ok((g.unwrap_or(dex::MAX_GEN), None)),
    }
}

fn is_doubles(format: &Format) -> bool {
    format.is_doubles()
}

/// A side's set: as given, or assumed (usage statistics, else Smogon set) when only named.
fn resolve(
    input: SideInput,
    format: Option<&Format>,
    usage: Option<&super::backend::FormatUsage>,
    sets: Option<&crate::corpus::SetsFile>,
) -> Result<Side, String> {
    let (set, assumed, default_note) = if input.explicit {
        (input.set, None, None)
    } else {
        match format.and_then(|f| likeliest_set(&input.set.species, f, usage, sets)) {
            Some(a) => (a.set.clone(), Some(a), None),
            None => {
                let why = match format {
                    Some(f) => {
                        format!("no usage statistics or Smogon sets for {} in {}", input.set.species, f.id())
                    }
                    None => "no format given".to_owned(),
                };
                (
                    input.set,
                    None,
                    Some(format!("{why}: the calculator's defaults (no item, no EVs, neutral nature)")),
                )
            }
        }
    };
    if input.terastallized && set.tera_type.is_none() {
        return Err(format!("{} is terastallized but has no Tera type: give teraType", set.species));
    }
    Ok(Side {
        set,
        assumed,
        default_note,
        boosts: input.boosts,
        terastallized: input.terastallized,
        status: input.status,
        current_hp_percent: input.current_hp_percent,
    })
}

fn calc_pokemon(side: &Side, gen: u8) -> CalcPokemon {
    CalcPokemon {
        boosts: side.boosts.clone(),
        tera_type: side.set.tera_type.clone().filter(|_| side.terastallized),
        status: side.status,
        current_hp_percent: side.current_hp_percent,
        ..CalcPokemon::from_set(&side.set, gen)
    }
}

/// A validated call (the typed input `prepare` makes of the arguments, resolving sets through
/// the backend): the request for the calculator and what to report about it.
pub(crate) struct Prepared {
    pub gen: u8,
    pub format: Option<Format>,
    pub attacker: Side,
    pub defender: Side,
    pub request: CalcRequest,
}

/// Everything up to the calculator: arguments, names, sets, the request.
pub(crate) async fn prepare(
    backend: &impl StrategyBackend,
    arguments: &JsonObject,
) -> Result<Prepared, String> {
    args::only(arguments, &["attacker", "defender", "move", "format", "generation", "field"])
        .map_err(|e| e.to_string())?;
    let (gen, format) = parse_format(arguments)?;
    let side = |key: &'static str| {
        arguments.get(key).filter(|v| !v.is_null()).ok_or_else(|| args::ArgError::Missing(key).to_string())
    };
    let attacker = parse_side(side("attacker")?, "attacker", gen)?;
    let defender = parse_side(side("defender")?, "defender", gen)?;
    let move_arg = args::required_str(arguments, "move", 100).map_err(|e| e.to_string())?;
    let all = move_arg.eq_ignore_ascii_case("all");
    let single_move = if all {
        None
    } else {
        Some(dex().move_name(move_arg, Some(gen)).map_err(|e| e.to_string())?.to_owned())
    };
    let field = parse_field(arguments, format.as_ref().is_some_and(is_doubles))?;
    let needs_data = !attacker.explicit || !defender.explicit;
    let (usage, sets) = match (&format, needs_data) {
        (Some(f), true) => {
            let (u, s) = futures::join!(backend.usage(f.id()), backend.sets(f.id()));
            (u.ok().flatten(), s.ok().flatten())
        }
        _ => (None, None),
    };
    let attacker = resolve(attacker, format.as_ref(), usage.as_deref(), sets.as_deref())?;
    let defender = resolve(defender, format.as_ref(), usage.as_deref(), sets.as_deref())?;
    let moves: Vec<String> = match single_move {
        Some(m) => vec![m],
        None if attacker.set.moves.is_empty() => {
            return Err(format!(
                "move \"all\": {}'s set has no moves; name a move or give the set's moves",
                attacker.set.species
            ))
        }
        None => attacker.set.moves.clone(),
    };
    let request = CalcRequest {
        gen,
        attacker: calc_pokemon(&attacker, gen),
        defender: calc_pokemon(&defender, gen),
        moves: moves
            .into_iter()
            .map(|name| CalcMove { name, is_crit: field.critical_hit, hits: field.hits })
            .collect(),
        field: field.field,
    };
    Ok(Prepared { gen, format, attacker, defender, request })
}

/// The library the edge bundles (package-lock.json pins it).
pub(crate) const CALCULATOR: &str = "@smogon/calc 0.12.0";

pub(crate) async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    match prepare(backend, arguments).await {
        Ok(prepared) => respond(run(backend, prepared).await),
        Err(e) => ToolError::InvalidArguments(e).into(),
    }
}

/// The prepared call through the backend's calculator.
pub(crate) async fn run(backend: &impl StrategyBackend, prepared: Prepared) -> Result<Output, ToolError> {
    let calculator = backend.damage_calculator().ok_or(ToolError::NoCalculator)?;
    let failed = |e: String| ToolError::CalculatorFailed(e);
    let request = serde_json::to_string(&prepared.request).map_err(|e| failed(e.to_string()))?;
    let response = calculator
        .calculate(&request)
        .and_then(|s| serde_json::from_str::<CalcResponse>(&s).map_err(|e| e.to_string()))
        .map_err(failed)?;
    Ok(output(&prepared, response, CALCULATOR))
}

#[cfg(test)]
mod tests;
