//! `get_pokemon`: dex facts for one species in one generation, with computed type matchups.

use rmcp::model::{CallToolResult, JsonObject};
use serde::Serialize;

use super::backend::{FormatUsage, StrategyBackend};
use super::{args, respond, Render, ToolError};
use crate::corpus::Format;
use crate::dex::{self, dex, DexError};

pub(super) const NAME: &str = "get_pokemon";

/// The tool's structured result (and the `pokemon://dex/{name}` resource body).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PokemonEntry {
    pub name: String,
    pub id: String,
    pub generation: u8,
    pub types: Vec<String>,
    pub base_stats: BaseStats,
    pub abilities: Vec<Ability>,
    pub tiers: Tiers,
    pub formes: Formes,
    pub matchups: Matchups,
    pub source: String,
}

/// The dex's base stats plus their total.
#[derive(Debug, Serialize)]
pub(super) struct BaseStats {
    #[serde(flatten)]
    pub stats: dex::BaseStats,
    pub total: u16,
}

#[derive(Debug, Serialize)]
pub(super) struct Ability {
    pub name: String,
    pub slot: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Tiers {
    pub singles: Option<String>,
    pub doubles: Option<String>,
    pub national_dex: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Formes {
    pub base_species: String,
    pub forme: Option<String>,
    pub other_formes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Matchups {
    pub weaknesses: Vec<Multiplier>,
    pub resistances: Vec<Multiplier>,
    pub immunities: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Multiplier {
    #[serde(rename = "type")]
    pub type_name: String,
    pub multiplier: f64,
}

/// The arguments, checked.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Input {
    pub name: String,
    pub generation: Option<u8>,
    /// A format whose generation to read (unless `generation` says) and whose usage to show.
    pub format: Option<Format>,
}

impl Input {
    pub(super) fn parse(arguments: &JsonObject) -> Result<Self, ToolError> {
        args::only(arguments, &["name", "generation", "format"])?;
        let name = args::required_str(arguments, "name", 100)?.to_owned();
        let generation = args::optional_generation(arguments, "generation")?;
        let format = args::optional_str(arguments, "format", 40)?;
        let format = format.map(Format::parse).transpose().map_err(ToolError::invalid)?;
        Ok(Self { name, generation, format })
    }
}

/// The dex entry, and the species' standing in a format when statistics exist.
#[derive(Debug, Serialize)]
pub(super) struct Output {
    #[serde(flatten)]
    pub entry: PokemonEntry,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageSummary>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageSummary {
    pub format: String,
    pub month: String,
    pub cutoff: u32,
    pub rank: usize,
    pub usage_percent: Option<f64>,
    pub top_abilities: Vec<String>,
    pub top_items: Vec<String>,
    pub top_moves: Vec<String>,
    pub source: String,
}

pub(super) async fn run(backend: &impl StrategyBackend, input: Input) -> Result<Output, ToolError> {
    let Input { name, generation, format } = input;
    let entry = lookup(&name, generation.or(format.as_ref().map(Format::gen)))
        .map_err(|e| ToolError::NotFound(capitalise(&e.to_string())))?;
    // The species' standing in its generation's OU (or the format asked for), when statistics exist.
    let format_id = format.map_or_else(|| format!("gen{}ou", entry.generation), |f| f.id().to_owned());
    let usage =
        backend.usage(&format_id).await.ok().flatten().and_then(|u| usage_summary(&u, &format_id, &entry.id));
    Ok(Output { entry, usage })
}

impl Render for Output {
    fn render(&self) -> String {
        let mut text = render(&self.entry);
        if let Some(u) = &self.usage {
            text.push_str(&format!(
                "\nUsage in {} ({}, rating ≥ {}): #{} at {} — most common: {}",
                u.format,
                u.month,
                u.cutoff,
                u.rank,
                u.usage_percent.map_or("?".into(), |p| format!("{p:.3}%")),
                u.top_moves.join(", "),
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

fn usage_summary(usage: &FormatUsage, format: &str, id: &str) -> Option<UsageSummary> {
    let s = usage.report.species.iter().find(|s| dex::is_id(&s.name, id))?;
    let names = |b: &crate::corpus::Breakdown, n: usize| -> Vec<String> {
        b.shares
            .iter()
            .filter(|x| x.name != "Nothing" && x.name != "Other")
            .take(n)
            .map(|x| x.name.clone())
            .collect()
    };
    Some(UsageSummary {
        format: format.to_owned(),
        month: usage.month.clone(),
        cutoff: usage.cutoff,
        rank: s.rank,
        usage_percent: s.usage,
        top_abilities: names(&s.abilities, 2),
        top_items: names(&s.items, 3),
        top_moves: names(&s.moves, 4),
        source: usage.source_url.clone(),
    })
}

pub(super) fn lookup(name: &str, generation: Option<u8>) -> Result<PokemonEntry, DexError> {
    let s = dex().species(name, generation)?;
    let m = dex::typechart::defensive_matchups(s.gen, s.types);
    let multiplier = |(t, x): (String, f64)| Multiplier { type_name: t, multiplier: x };
    let abilities = [
        (s.abilities.primary, "primary"),
        (s.abilities.secondary, "secondary"),
        (s.abilities.hidden, "hidden"),
        (s.abilities.special, "special"),
    ]
    .into_iter()
    .filter_map(|(a, slot)| a.map(|a| Ability { name: a.to_owned(), slot }))
    .collect();
    Ok(PokemonEntry {
        name: s.name.to_owned(),
        id: s.id.to_owned(),
        generation: s.gen,
        types: s.types.to_vec(),
        base_stats: BaseStats { stats: s.base_stats, total: s.base_stats.total() },
        abilities,
        tiers: Tiers {
            singles: s.tiers.tier.map(str::to_owned),
            doubles: s.tiers.doubles_tier.map(str::to_owned),
            national_dex: s.tiers.nat_dex_tier.map(str::to_owned),
        },
        formes: Formes {
            base_species: s.base_species.to_owned(),
            forme: (!s.forme.is_empty()).then(|| s.forme.to_owned()),
            other_formes: s.other_formes.iter().map(|f| (*f).to_owned()).collect(),
        },
        matchups: Matchups {
            weaknesses: m.weaknesses.into_iter().map(multiplier).collect(),
            resistances: m.resistances.into_iter().map(multiplier).collect(),
            immunities: m.immunities,
        },
        source: dex().source().to_owned(),
    })
}

fn render(e: &PokemonEntry) -> String {
    let list = |xs: &[Multiplier]| {
        if xs.is_empty() {
            "none".to_owned()
        } else {
            xs.iter().map(|m| format!("{} ({}×)", m.type_name, m.multiplier)).collect::<Vec<_>>().join(", ")
        }
    };
    let (b, total) = (&e.base_stats.stats, e.base_stats.total);
    let abilities: Vec<String> = e
        .abilities
        .iter()
        .map(|a| if a.slot == "hidden" { format!("{} (hidden)", a.name) } else { a.name.clone() })
        .collect();
    let tiers: Vec<String> = [
        ("singles", &e.tiers.singles),
        ("doubles", &e.tiers.doubles),
        ("National Dex", &e.tiers.national_dex),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
    .collect();
    format!(
        "{name} (generation {gen}) — {types}\n\
         Base stats: {hp} HP / {atk} Atk / {def} Def / {spa} SpA / {spd} SpD / {spe} Spe (total {total})\n\
         Abilities: {abilities}\n\
         Tiers: {tiers}\n\
         Weak to: {weak}\n\
         Resists: {resist}\n\
         Immune to: {immune}",
        name = e.name,
        gen = e.generation,
        types = e.types.join("/"),
        hp = b.hp,
        atk = b.atk,
        def = b.def,
        spa = b.spa,
        spd = b.spd,
        spe = b.spe,
        total = total,
        abilities = if abilities.is_empty() {
            "none (abilities begin in generation 3)".into()
        } else {
            abilities.join(", ")
        },
        tiers = if tiers.is_empty() { "none listed".into() } else { tiers.join(", ") },
        weak = list(&e.matchups.weaknesses),
        resist = list(&e.matchups.resistances),
        immune =
            if e.matchups.immunities.is_empty() { "none".into() } else { e.matchups.immunities.join(", ") },
    )
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn call_json(v: Value) -> CallToolResult {
        futures::executor::block_on(call(&crate::tools::backend::NoCorpus, v.as_object().unwrap()))
    }

    fn multiplier_of(list: &[Multiplier], t: &str) -> Option<f64> {
        list.iter().find(|m| m.type_name == t).map(|m| m.multiplier)
    }

    #[test]
    fn garchomp_matchups() {
        let e = lookup("garchomp", None).unwrap();
        assert_eq!(e.types, ["Dragon", "Ground"]);
        assert_eq!(multiplier_of(&e.matchups.weaknesses, "Ice"), Some(4.0));
        assert_eq!(multiplier_of(&e.matchups.weaknesses, "Dragon"), Some(2.0));
        assert!(e.matchups.immunities.contains(&"Electric".to_owned()));
        assert_eq!(e.base_stats.total, 600);
    }

    #[test]
    fn results_are_structured_and_errors_are_tool_errors() {
        let ok = call_json(json!({"name": "Garchomp", "generation": 4}));
        assert_eq!(ok.is_error, Some(false));
        assert_eq!(ok.structured_content.as_ref().unwrap()["generation"], 4);
        let unknown = call_json(json!({"name": "Garchmop"}));
        assert_eq!(unknown.is_error, Some(true));
        let text = serde_json::to_string(&unknown.content).unwrap();
        assert!(text.contains("did you mean") && text.contains("Garchomp"), "{text}");
        for bad in [
            json!({}),
            json!({"name": 5}),
            json!({"name": "x", "generation": 0}),
            json!({"name": "x", "extra": 1}),
            json!({"name": "Garchomp", "generation": 3}),
        ] {
            assert_eq!(call_json(bad.clone()).is_error, Some(true), "{bad}");
        }
    }
}
