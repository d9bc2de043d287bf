//! The damage calculator's contract: what is asked of `@smogon/calc` and what it answers, as
//! serde structs (JSON on the wire), and the [`DamageCalculator`] trait the edge implements by
//! calling the library through wasm-bindgen (`src/edge/calc.rs` + `src/edge/calc.mjs`).
//! Field names follow the library's own option names, so the JS side only forwards them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Runs calculations; `request` is a [`CalcRequest`] as JSON, the answer a [`CalcResponse`]
/// as JSON, or the library's error message.
pub trait DamageCalculator {
    fn calculate(&self, request: &str) -> Result<String, String>;
}

/// One Pokémon as the library's `new Pokemon(gen, name, options)` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalcPokemon {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ability: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    /// Stat id (`hp`, `atk`, `def`, `spa`, `spd`, `spe`) → value; absent stats take the
    /// library's defaults.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub evs: BTreeMap<&'static str, u16>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ivs: BTreeMap<&'static str, u16>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub boosts: BTreeMap<&'static str, i8>,
    /// Set only when the Pokémon is terastallized (that is what the library reads it as).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tera_type: Option<String>,
    /// `brn`, `par`, `psn`, `tox`, `slp`, `frz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Current HP in percent of the maximum; the JS side converts it to
    /// `max(1, floor(maxHP × percent / 100))`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_hp_percent: Option<u8>,
}

/// One move as `new Move(gen, name, options)` takes it.
impl CalcPokemon {
    /// A set as the calculator takes it, not terastallized, at full HP, no boosts or status.
    /// What a generation lacks is left out (items before 2, abilities and natures before 3).
    pub(crate) fn from_set(set: &super::sets::ConcreteSet, gen: u8) -> Self {
        let table = |v: &Option<[u16; 6]>| -> BTreeMap<&'static str, u16> {
            v.map(|v| STAT_IDS.iter().copied().zip(v).collect()).unwrap_or_default()
        };
        Self {
            name: set.species.clone(),
            level: set.level,
            item: set.item.clone().filter(|_| gen >= 2),
            ability: set.ability.clone().filter(|_| gen >= 3),
            nature: set.nature.clone().filter(|_| gen >= 3),
            evs: table(&set.evs),
            ivs: table(&set.ivs),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalcMove {
    pub name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_crit: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hits: Option<u8>,
}

/// One side of the field, with the library's flag names.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalcSide {
    #[serde(skip_serializing_if = "is_false")]
    pub is_reflect: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_light_screen: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_aurora_veil: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_helping_hand: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_friend_guard: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_battery: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_power_spot: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_tailwind: bool,
    /// Stealth Rock (the library spells it `isSR`).
    #[serde(rename = "isSR", skip_serializing_if = "is_false")]
    pub is_sr: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub spikes: u8,
    #[serde(skip_serializing_if = "is_false")]
    pub is_protected: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub is_foresight: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// `new Field(options)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalcField {
    /// `Singles` or `Doubles` (spread moves are reduced in doubles).
    pub game_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weather: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terrain: Option<&'static str>,
    #[serde(skip_serializing_if = "is_false")]
    pub is_gravity: bool,
    pub attacker_side: CalcSide,
    pub defender_side: CalcSide,
}

/// Everything one tool call asks: one attacker, one defender, one or more moves.
impl CalcMove {
    /// The move as it is: no crit, its usual number of hits.
    pub(crate) fn plain(name: &str) -> Self {
        Self { name: name.to_owned(), is_crit: false, hits: None }
    }
}

impl CalcField {
    /// No weather, terrain or side conditions; singles or doubles (spread moves then hit two).
    pub(crate) fn singles_or_doubles(doubles: bool) -> Self {
        Self {
            game_type: if doubles { "Doubles" } else { "Singles" },
            weather: None,
            terrain: None,
            is_gravity: false,
            attacker_side: CalcSide::default(),
            defender_side: CalcSide::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalcRequest {
    pub gen: u8,
    pub attacker: CalcPokemon,
    pub defender: CalcPokemon,
    pub moves: Vec<CalcMove>,
    pub field: CalcField,
}

/// What the library answered for one move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MoveResult {
    /// The move as the library names it.
    pub r#move: String,
    /// `result.damage` as the library gives it: the rolls (16, or 39 in generations 1-2), one
    /// list of rolls per hit for multi-hit moves and Parental Bond, or 0.
    pub damage: serde_json::Value,
    /// `result.range()`: the lowest and highest total damage.
    pub range: [u32; 2],
    /// The same in percent of the defender's maximum HP, rounded down to 0.1 as `desc()` does.
    pub percent: [f64; 2],
    /// `result.desc()`; `None` when the move does no damage (the library's `desc()` throws).
    pub desc: Option<String>,
    /// `result.kochance()`; `None` when the move does no damage.
    pub ko_chance: Option<KoChance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct KoChance {
    /// 0..1; absent when the library cannot tell.
    pub chance: Option<f64>,
    /// Hits to KO (0: not within the library's horizon).
    pub n: u32,
    pub text: String,
}

/// Final stats after nature, EVs and IVs, as the library computed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalcStats {
    pub max_hp: u32,
    pub cur_hp: u32,
    pub stats: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CalcResponse {
    pub attacker: CalcStats,
    pub defender: CalcStats,
    pub results: Vec<MoveResult>,
}

impl MoveResult {
    pub(crate) fn does_damage(&self) -> bool {
        self.range[1] > 0
    }
}

/// Stat ids in Showdown's order.
pub(crate) const STAT_IDS: [&str; 6] = ["hp", "atk", "def", "spa", "spd", "spe"];
