//! Smogon sets as data.pkmn.cc ships them, and Showdown pastes of them.
//!
//! `{Species: {SetName: {moves, ability, item, nature, teratypes, evs, ivs}}}`. Smogon sets
//! offer choices, and the file keeps them: item, ability, nature and Tera type are a string or a
//! list; each move slot is a move or a list of alternatives; EVs and IVs are one spread or a
//! list of spreads. The model keeps every option in order (the first is Smogon's main pick) and
//! only the stats a spread names (EVs default to 0, IVs to 31).

use serde::{Deserialize, Serialize};

use super::json::Json;
use super::{CorpusError, Skipped};
use crate::dex::{is_id, to_id};

/// An EV a spread does not name.
pub(crate) const EV_DEFAULT: u16 = 0;
/// An IV a spread does not name.
pub(crate) const IV_DEFAULT: u16 = 31;
const EV_MAX: u16 = 255;
const IV_MAX: u16 = 31;

/// The sets of one format's file, in file order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetsFile {
    pub species: Vec<SpeciesSets>,
    /// Species or sets left out because they did not match the schema.
    pub skipped: Vec<Skipped>,
}

/// One species' sets, main set first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeciesSets {
    /// As the file spells it, e.g. "Ninetales-Alola".
    pub species: String,
    pub sets: Vec<PokemonSet>,
}

/// One Smogon set. Every list holds options, main option first; an empty list means the set
/// does not say (gens 1-2 have no abilities or natures, only gen 9 has Tera types).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PokemonSet {
    pub name: String,
    /// One entry per move slot: the move, or alternatives for that slot.
    pub moves: Vec<Vec<String>>,
    pub ability: Vec<String>,
    pub item: Vec<String>,
    pub nature: Vec<String>,
    pub tera_types: Vec<String>,
    pub evs: Vec<StatValues>,
    pub ivs: Vec<StatValues>,
}

/// A stat, in Showdown's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    Hp,
    Atk,
    Def,
    Spa,
    Spd,
    Spe,
}

impl Stat {
    pub const ALL: [Stat; 6] = [Stat::Hp, Stat::Atk, Stat::Def, Stat::Spa, Stat::Spd, Stat::Spe];

    /// How Showdown pastes name the stat.
    pub fn label(self) -> &'static str {
        match self {
            Stat::Hp => "HP",
            Stat::Atk => "Atk",
            Stat::Def => "Def",
            Stat::Spa => "SpA",
            Stat::Spd => "SpD",
            Stat::Spe => "Spe",
        }
    }
}

/// EVs or IVs as a set gives them: only the stats it names, so a paste can repeat exactly that.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatValues([Option<u16>; 6]);

impl StatValues {
    /// The value the set names for `stat`, if any.
    pub fn given(&self, stat: Stat) -> Option<u16> {
        self.0[stat as usize]
    }

    /// The EV for `stat`, 0 when not named.
    pub fn ev(&self, stat: Stat) -> u16 {
        self.given(stat).unwrap_or(EV_DEFAULT)
    }

    /// The IV for `stat`, 31 when not named.
    pub fn iv(&self, stat: Stat) -> u16 {
        self.given(stat).unwrap_or(IV_DEFAULT)
    }

    /// `252 Atk / 4 SpD / 252 Spe`: the stats whose value differs from `default`, or None.
    fn paste(&self, default: u16) -> Option<String> {
        let parts: Vec<String> = Stat::ALL
            .iter()
            .filter_map(|&s| self.given(s).filter(|&v| v != default).map(|v| format!("{v} {}", s.label())))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" / "))
    }
}

/// How a paste treats a set's alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasteStyle {
    /// Main options only: Showdown's teambuilder imports it as is.
    Importable,
    /// For reading: move slots list their alternatives (`- Knock Off / Flamethrower`, as Smogon
    /// writes them) and a last line names the other items, natures, spreads, ...
    WithAlternatives,
}

impl PokemonSet {
    /// The set as a Showdown paste for `species` in generation `gen` (Tera types only from gen 9,
    /// as Showdown does).
    pub fn to_paste(&self, species: &str, gen: u8, style: PasteStyle) -> String {
        let tera: &[String] = if gen >= 9 { &self.tera_types } else { &[] };
        let mut lines = vec![match self.item.first() {
            Some(item) => format!("{species} @ {item}"),
            None => species.to_owned(),
        }];
        lines.extend(self.ability.first().map(|a| format!("Ability: {a}")));
        lines.extend(tera.first().map(|t| format!("Tera Type: {t}")));
        lines.extend(self.evs.first().and_then(|e| e.paste(EV_DEFAULT)).map(|e| format!("EVs: {e}")));
        lines.extend(self.nature.first().map(|n| format!("{n} Nature")));
        lines.extend(self.ivs.first().and_then(|i| i.paste(IV_DEFAULT)).map(|i| format!("IVs: {i}")));
        for slot in &self.moves {
            let moves = match style {
                PasteStyle::Importable => slot.first().cloned().unwrap_or_default(),
                PasteStyle::WithAlternatives => slot.join(" / "),
            };
            lines.push(format!("- {moves}"));
        }
        if style == PasteStyle::WithAlternatives {
            lines.extend(self.other_options(tera));
        }
        lines.join("\n")
    }

    /// `Other options: Item: Sticky Barb, Rocky Helmet; Tera Type: Steel`, when there are any.
    fn other_options(&self, tera: &[String]) -> Option<String> {
        let spreads = |values: &[StatValues], default: u16| -> Vec<String> {
            values.iter().skip(1).map(|v| v.paste(default).unwrap_or_else(|| "none".to_owned())).collect()
        };
        let groups = [
            ("Item", self.item.iter().skip(1).cloned().collect::<Vec<_>>()),
            ("Ability", self.ability.iter().skip(1).cloned().collect()),
            ("Tera Type", tera.iter().skip(1).cloned().collect()),
            ("EVs", spreads(&self.evs, EV_DEFAULT)),
            ("Nature", self.nature.iter().skip(1).cloned().collect()),
            ("IVs", spreads(&self.ivs, IV_DEFAULT)),
        ];
        let parts: Vec<String> = groups
            .into_iter()
            .filter(|(_, options)| !options.is_empty())
            .map(|(label, options)| format!("{label}: {}", options.join(", ")))
            .collect();
        (!parts.is_empty()).then(|| format!("Other options: {}", parts.join("; ")))
    }
}

impl SetsFile {
    /// Number of sets over all species.
    pub fn set_count(&self) -> usize {
        self.species.iter().map(|s| s.sets.len()).sum()
    }

    /// A species' sets, matched on its id ("ninetales alola" finds "Ninetales-Alola").
    pub fn get(&self, species: &str) -> Option<&SpeciesSets> {
        let id = to_id(species);
        self.species.iter().find(|s| is_id(&s.species, &id))
    }
}

/// Parses a data.pkmn.cc sets file. Fails only if the file is not a JSON object of objects;
/// a set that does not match the schema is skipped and reported.
pub fn parse_sets(json: &str) -> Result<SetsFile, CorpusError> {
    let root = Json::parse(json, "sets")?;
    let entries =
        root.entries().ok_or_else(|| CorpusError::malformed("sets", "expected an object of species"))?;
    let mut file = SetsFile { species: Vec::with_capacity(entries.len()), skipped: Vec::new() };
    for (species, value) in entries {
        let Some(sets) = value.entries() else {
            file.skipped.push(Skipped::new(species, "not an object of sets"));
            continue;
        };
        let mut parsed = Vec::with_capacity(sets.len());
        for (name, value) in sets {
            match value.to::<RawSet>().and_then(|raw| raw.into_set(name)) {
                Ok(set) => parsed.push(set),
                Err(reason) => file.skipped.push(Skipped::new(format!("{species} / {name}"), reason)),
            }
        }
        if !parsed.is_empty() {
            file.species.push(SpeciesSets { species: species.clone(), sets: parsed });
        }
    }
    Ok(file)
}

/// A string or a list of them (and likewise for spreads).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
struct RawSet {
    moves: Vec<OneOrMany<String>>,
    ability: Option<OneOrMany<String>>,
    item: Option<OneOrMany<String>>,
    nature: Option<OneOrMany<String>>,
    teratypes: Option<OneOrMany<String>>,
    evs: Option<OneOrMany<RawStats>>,
    ivs: Option<OneOrMany<RawStats>>,
}

/// A spread object. Unknown keys are refused: a misspelt stat must not silently become a default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStats {
    hp: Option<u16>,
    atk: Option<u16>,
    def: Option<u16>,
    spa: Option<u16>,
    spd: Option<u16>,
    spe: Option<u16>,
}

impl RawStats {
    fn into_values(self, max: u16, what: &str) -> Result<StatValues, String> {
        let values = [self.hp, self.atk, self.def, self.spa, self.spd, self.spe];
        match values.iter().flatten().find(|&&v| v > max) {
            Some(v) => Err(format!("{what} value {v} is over {max}")),
            None => Ok(StatValues(values)),
        }
    }
}

impl RawSet {
    fn into_set(self, name: &str) -> Result<PokemonSet, String> {
        let spreads =
            |raw: Option<OneOrMany<RawStats>>, max: u16, what: &str| -> Result<Vec<StatValues>, String> {
                raw.map(OneOrMany::into_vec)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.into_values(max, what))
                    .collect()
            };
        let moves: Vec<Vec<String>> =
            self.moves.into_iter().map(|slot| options(Some(slot))).filter(|slot| !slot.is_empty()).collect();
        if moves.is_empty() {
            return Err("no moves".to_owned());
        }
        Ok(PokemonSet {
            name: name.to_owned(),
            moves,
            ability: options(self.ability),
            item: options(self.item),
            nature: options(self.nature),
            tera_types: options(self.teratypes),
            evs: spreads(self.evs, EV_MAX, "EV")?,
            ivs: spreads(self.ivs, IV_MAX, "IV")?,
        })
    }
}

/// The non-blank options, trimmed, in order.
fn options(raw: Option<OneOrMany<String>>) -> Vec<String> {
    raw.map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{shared_data, SHARED_DATA};

    fn sets(format: &str) -> SetsFile {
        parse_sets(&shared_data(&format!("pkmn-sets/{format}.json")))
            .unwrap_or_else(|e| panic!("{format}: {e}"))
    }

    fn set(file: &SetsFile, species: &str, name: &str) -> PokemonSet {
        let entry = file.get(species).unwrap_or_else(|| panic!("no {species}"));
        entry.sets.iter().find(|s| s.name == name).cloned().unwrap_or_else(|| panic!("no {species} / {name}"))
    }

    #[test]
    fn every_real_sets_file_parses_cleanly() {
        let dir = format!("{SHARED_DATA}pkmn-sets");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        assert_eq!(paths.len(), 67);
        let (mut species, mut total) = (0, 0);
        for path in &paths {
            let json = std::fs::read_to_string(path).unwrap();
            let file = parse_sets(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(file.skipped, [], "{}", path.display());
            assert!(file
                .species
                .iter()
                .all(|s| !s.sets.is_empty() && s.sets.iter().all(|set| !set.moves.is_empty())));
            species += file.species.len();
            total += file.set_count();
        }
        // Counted from the files with jq/python: 5182 species entries, 8669 sets.
        assert_eq!((species, total), (5182, 8669));
    }

    #[test]
    fn counts_per_file() {
        for (format, species, total) in [
            ("gen9ou", 113, 205),
            ("gen1ou", 41, 48),
            ("gen4uu", 221, 631),
            ("gen7ou", 105, 180),
            ("gen9vgc2024", 85, 151),
            ("gen9doublesou", 54, 72),
        ] {
            let file = sets(format);
            assert_eq!((file.species.len(), file.set_count()), (species, total), "{format}");
        }
    }

    #[test]
    fn keeps_file_order() {
        let file = sets("gen9ou");
        let names: Vec<&str> = file.species.iter().take(3).map(|s| s.species.as_str()).collect();
        assert_eq!(names, ["Venusaur", "Clefable", "Ninetales"]);
        assert_eq!(file.species.last().unwrap().species, "Pecharunt");
        let clefable: Vec<&str> =
            file.get("Clefable").unwrap().sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(clefable, ["Utility", "Calm Mind", "Unaware"]);
    }

    #[test]
    fn models_options_faithfully() {
        let file = sets("gen9ou");
        let calm_mind = set(&file, "Clefable", "Calm Mind");
        assert_eq!(calm_mind.moves[3], ["Knock Off", "Flamethrower"]);
        assert_eq!(calm_mind.item, ["Leftovers", "Sticky Barb"]);
        assert_eq!(calm_mind.nature, ["Bold"]);
        assert_eq!(calm_mind.tera_types, ["Fire", "Water", "Steel"]);
        let (evs, ivs) = (calm_mind.evs[0], calm_mind.ivs[0]);
        assert_eq!(
            (evs.ev(Stat::Hp), evs.ev(Stat::Def), evs.ev(Stat::Spd), evs.ev(Stat::Atk)),
            (252, 252, 4, 0)
        );
        assert_eq!((evs.given(Stat::Atk), ivs.iv(Stat::Atk), ivs.iv(Stat::Spe)), (None, 0, 31));

        let kingambit = set(&file, "Kingambit", "Swords Dance");
        assert_eq!(kingambit.evs.len(), 2);
        assert_eq!(kingambit.evs[1].ev(Stat::Hp), 212);
        assert_eq!(kingambit.moves[3], ["Iron Head", "Low Kick", "Tera Blast"]);

        // Two IV spreads, the second naming two stats.
        let bloodmoon = set(&sets("gen9doublesou"), "Ursaluna-Bloodmoon", "Assault Vest");
        assert_eq!(bloodmoon.ivs.len(), 2);
        assert_eq!((bloodmoon.ivs[1].iv(Stat::Atk), bloodmoon.ivs[1].iv(Stat::Spe)), (0, 0));

        // `"ivs": []` means no IVs given.
        assert_eq!(set(&sets("gen3ou"), "Suicune", "Defensive").ivs, []);
        // One slot of alternatives and nothing else.
        assert_eq!(
            set(&sets("gen4uu"), "Unown", "Specs Unown").moves,
            [["Hidden Power Ice", "Hidden Power Fighting", "Hidden Power Psychic"]]
        );
        // Gen 1: moves, and a spread naming one stat.
        let mewtwo = set(&sets("gen1ubers"), "Mewtwo", "Staller");
        assert_eq!((mewtwo.ability.len(), mewtwo.item.len(), mewtwo.nature.len()), (0, 0, 0));
        assert_eq!((mewtwo.evs[0].given(Stat::Spa), mewtwo.ivs[0].given(Stat::Spa)), (Some(8), Some(26)));
    }

    #[test]
    fn showdown_pastes() {
        let file = sets("gen9ou");
        let venusaur = set(&file, "Venusaur", "Sun Sweeper");
        assert_eq!(
            venusaur.to_paste("Venusaur", 9, PasteStyle::Importable),
            "Venusaur @ Life Orb\nAbility: Chlorophyll\nTera Type: Fire\nEVs: 4 Def / 252 SpA / 252 Spe\n\
             Timid Nature\n- Growth\n- Giga Drain\n- Weather Ball\n- Sludge Bomb"
        );
        assert_eq!(
            venusaur.to_paste("Venusaur", 9, PasteStyle::WithAlternatives),
            "Venusaur @ Life Orb\nAbility: Chlorophyll\nTera Type: Fire\nEVs: 4 Def / 252 SpA / 252 Spe\n\
             Timid Nature\n- Growth\n- Giga Drain\n- Weather Ball\n- Sludge Bomb / Earth Power / Earthquake\n\
             Other options: Tera Type: Ground; Nature: Naive"
        );
        let clefable = set(&file, "Clefable", "Calm Mind");
        assert_eq!(
            clefable.to_paste("Clefable", 9, PasteStyle::WithAlternatives),
            "Clefable @ Leftovers\nAbility: Magic Guard\nTera Type: Fire\nEVs: 252 HP / 252 Def / 4 SpD\n\
             Bold Nature\nIVs: 0 Atk\n- Calm Mind\n- Moonblast\n- Moonlight\n- Knock Off / Flamethrower\n\
             Other options: Item: Sticky Barb; Tera Type: Water, Steel"
        );
        let kingambit = set(&file, "Kingambit", "Swords Dance");
        assert!(kingambit
            .to_paste("Kingambit", 9, PasteStyle::WithAlternatives)
            .ends_with("Other options: Item: Lum Berry, Black Glasses, Air Balloon; Tera Type: Fairy, Dark, Fighting; EVs: 212 HP / 252 Atk / 44 Spe"));
    }

    #[test]
    fn pastes_follow_the_generation() {
        // Gen 1: no item, ability, nature or Tera lines.
        let tauros = set(&sets("gen1ou"), "Tauros", "The Bull");
        assert_eq!(
            tauros.to_paste("Tauros", 1, PasteStyle::Importable),
            "Tauros\n- Body Slam\n- Hyper Beam\n- Blizzard\n- Earthquake"
        );
        // A stray Tera type in a gen 4 file is kept in the model but not pasted.
        let quagsire = set(&sets("gen4pu"), "Quagsire", "Defensive");
        assert_eq!(quagsire.tera_types, ["Water"]);
        assert!(!quagsire.to_paste("Quagsire", 4, PasteStyle::WithAlternatives).contains("Tera"));
    }

    #[test]
    fn bad_sets_are_skipped_and_reported() {
        let json = r#"{
            "Good": {"A": {"moves": ["Tackle"], "evs": [{"atk": 252}, {"spe": 252}]}},
            "Bad": {
                "No Moves": {"item": "Leftovers"},
                "Typo": {"moves": ["Tackle"], "evs": {"speed": 252}},
                "Too Many EVs": {"moves": ["Tackle"], "evs": {"atk": 300}},
                "Blank": {"moves": ["", [" "]]}
            },
            "NotObject": 3
        }"#;
        let file = parse_sets(json).unwrap();
        assert_eq!(file.species.len(), 1);
        assert_eq!(file.species[0].sets[0].evs.len(), 2);
        let what: Vec<&str> = file.skipped.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(what, ["Bad / No Moves", "Bad / Typo", "Bad / Too Many EVs", "Bad / Blank", "NotObject"]);
        assert!(file.skipped[2].reason.contains("300"));

        assert!(matches!(parse_sets("[]"), Err(CorpusError::Malformed { what: "sets", .. })));
        assert!(matches!(parse_sets("{"), Err(CorpusError::Json { .. })));
    }
}
