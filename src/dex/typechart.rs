//! Type effectiveness maths over the per-generation type charts.
//!
//! Three charts exist: gen 1 (15 types; e.g. Ghost does 0× to Psychic, Bug and
//! Poison are super effective on each other), gens 2-5 (Dark and Steel added;
//! Steel resists Ghost and Dark) and gen 6+ (Fairy added, Steel no longer
//! resists Ghost/Dark). Type names are the dex's display strings ("Fire");
//! lookups accept any case/spacing via `to_id`.

use serde::{Deserialize, Serialize};

use super::{dex, to_id, MAX_GEN, MIN_GEN};

/// One generation group's chart, as a dense attacker × defender matrix.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawTypeChart")]
pub struct TypeChart {
    gens: Vec<u8>,
    types: Vec<String>,
    /// `to_id` of each type, so lookups compare ids without re-normalising.
    ids: Vec<String>,
    /// `multipliers[attacker * types.len() + defender]`.
    multipliers: Vec<f64>,
}

/// The JSON form: only non-neutral pairs are listed.
#[derive(Deserialize)]
struct RawTypeChart {
    gens: Vec<u8>,
    types: Vec<String>,
    chart: std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
}

impl From<RawTypeChart> for TypeChart {
    fn from(raw: RawTypeChart) -> Self {
        let n = raw.types.len();
        let ids: Vec<String> = raw.types.iter().map(|t| to_id(t)).collect();
        let position = |name: &str| ids.iter().position(|id| *id == to_id(name));
        let mut multipliers = vec![1.0; n * n];
        for (atk, row) in &raw.chart {
            for (def, &mult) in row {
                if let (Some(a), Some(d)) = (position(atk), position(def)) {
                    multipliers[a * n + d] = mult;
                }
            }
        }
        TypeChart { gens: raw.gens, types: raw.types, ids, multipliers }
    }
}

impl TypeChart {
    fn position(&self, name: &str) -> Option<usize> {
        let id = to_id(name);
        self.ids.iter().position(|t| *t == id)
    }

    /// Whether this chart is the one for `gen`.
    pub fn covers(&self, gen: u8) -> bool {
        self.gens.contains(&gen)
    }

    /// The types that exist in these generations, alphabetically.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// Canonical display name of a type in these gens ("fire" → "Fire"), or
    /// None if it does not exist here (e.g. "Fairy" before gen 6).
    pub fn type_name(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.types[i].as_str())
    }

    /// Multiplier of one attacking type on one defending type, if both exist.
    pub fn multiplier(&self, attacking: &str, defending: &str) -> Option<f64> {
        let a = self.position(attacking)?;
        let d = self.position(defending)?;
        Some(self.multipliers[a * self.types.len() + d])
    }

    /// Product over the defending types. Types unknown to this chart count as
    /// neutral (1×): validate with `type_name` when that matters. A 0× entry
    /// makes the whole product 0, so immunities win over weaknesses.
    pub fn effectiveness<S: AsRef<str>>(&self, attacking: &str, defending: &[S]) -> f64 {
        defending.iter().filter_map(|d| self.multiplier(attacking, d.as_ref())).product()
    }

    /// Every attacking type's non-neutral effect on a defender with `types`.
    pub fn defensive_matchups<S: AsRef<str>>(&self, types: &[S]) -> Matchups {
        let mut m = Matchups::default();
        for attacking in &self.types {
            let mult = self.effectiveness(attacking, types);
            if mult == 0.0 {
                m.immunities.push(attacking.clone());
            } else if mult > 1.0 {
                m.weaknesses.push((attacking.clone(), mult));
            } else if mult < 1.0 {
                m.resistances.push((attacking.clone(), mult));
            }
        }
        // Types are alphabetical already; a stable sort keeps that within a multiplier.
        m.weaknesses.sort_by(|a, b| b.1.total_cmp(&a.1));
        m.resistances.sort_by(|a, b| a.1.total_cmp(&b.1));
        m
    }
}

/// A defender's weaknesses (4× before 2×), resistances (0.25× before 0.5×)
/// and immunities, each group alphabetical within one multiplier.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Matchups {
    pub weaknesses: Vec<(String, f64)>,
    pub resistances: Vec<(String, f64)>,
    pub immunities: Vec<String>,
}

/// The chart for `gen`. Out-of-range gens are clamped to 1..=9 so the maths
/// never panics; validate user input with `Dex::check_gen` first.
pub(crate) fn chart(gen: u8) -> &'static TypeChart {
    dex().type_chart(gen.clamp(MIN_GEN, MAX_GEN))
}

/// Types that exist in `gen` (e.g. no Dark/Steel/Fairy in gen 1).
pub(crate) fn types(gen: u8) -> &'static [String] {
    chart(gen).types()
}

/// Damage multiplier of `attacking` on a defender of `defending` types in `gen`.
#[cfg(test)]
pub(crate) fn effectiveness<S: AsRef<str>>(gen: u8, attacking: &str, defending: &[S]) -> f64 {
    chart(gen).effectiveness(attacking, defending)
}

/// Weaknesses / resistances / immunities of a defender of `types` in `gen`.
pub(crate) fn defensive_matchups<S: AsRef<str>>(gen: u8, types: &[S]) -> Matchups {
    chart(gen).defensive_matchups(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(list: &[(String, f64)], ty: &str, mult: f64) -> bool {
        list.iter().any(|(t, m)| t == ty && *m == mult)
    }

    #[test]
    fn garchomp_matchups() {
        let m = defensive_matchups(9, &["Dragon", "Ground"]);
        assert_eq!(m.weaknesses[0], ("Ice".to_owned(), 4.0));
        assert!(has(&m.weaknesses, "Dragon", 2.0));
        assert!(has(&m.weaknesses, "Fairy", 2.0));
        assert_eq!(m.weaknesses.len(), 3);
        assert_eq!(m.immunities, ["Electric"]);
        for ty in ["Fire", "Poison", "Rock"] {
            assert!(has(&m.resistances, ty, 0.5), "{ty}");
        }
        assert_eq!(effectiveness(9, "Electric", &["Dragon", "Ground"]), 0.0);
        assert_eq!(effectiveness(9, "ice", &["dragon", "ground"]), 4.0);
    }

    #[test]
    fn immunity_beats_weakness() {
        // Skarmory: Ground is 2× on Steel but Flying is immune; Poison is 0× on Steel.
        let m = defensive_matchups(9, &["Steel", "Flying"]);
        assert_eq!(m.immunities, ["Ground", "Poison"]);
        assert_eq!(effectiveness(9, "Ground", &["Steel", "Flying"]), 0.0);
    }

    #[test]
    fn multipliers_sorted_strongest_first() {
        // Scizor-like Bug/Steel: 4× Fire; Tyranitar-like Rock/Dark resists.
        let m = defensive_matchups(9, &["Bug", "Steel"]);
        assert_eq!(m.weaknesses, [("Fire".to_owned(), 4.0)]);
        assert_eq!(m.resistances[0], ("Grass".to_owned(), 0.25));
        assert!(m.resistances.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn gen1_chart_quirks() {
        assert_eq!(effectiveness(1, "Ghost", &["Psychic"]), 0.0);
        assert_eq!(effectiveness(1, "Bug", &["Poison"]), 2.0);
        assert_eq!(effectiveness(1, "Poison", &["Bug"]), 2.0);
        assert_eq!(effectiveness(1, "Ice", &["Fire"]), 1.0);
        assert_eq!(types(1).len(), 15);
        assert!(chart(1).type_name("Steel").is_none());
        // Modern chart for comparison.
        assert_eq!(effectiveness(2, "Ghost", &["Psychic"]), 2.0);
        assert_eq!(effectiveness(2, "Bug", &["Poison"]), 0.5);
    }

    #[test]
    fn steel_lost_ghost_and_dark_resistances_in_gen6() {
        for gen in 2..=5 {
            assert_eq!(effectiveness(gen, "Ghost", &["Steel"]), 0.5, "gen {gen}");
            assert_eq!(effectiveness(gen, "Dark", &["Steel"]), 0.5, "gen {gen}");
        }
        for gen in 6..=9 {
            assert_eq!(effectiveness(gen, "Ghost", &["Steel"]), 1.0, "gen {gen}");
            assert_eq!(effectiveness(gen, "Dark", &["Steel"]), 1.0, "gen {gen}");
        }
        assert_eq!(types(5).len(), 17);
        assert_eq!(types(6).len(), 18);
    }

    #[test]
    fn unknown_types_are_neutral_and_gens_clamped() {
        assert_eq!(effectiveness(5, "Fairy", &["Dragon"]), 1.0);
        assert_eq!(effectiveness(9, "Fire", &["Grass", "Nonsense"]), 2.0);
        assert_eq!(chart(0).types().len(), 15);
        assert_eq!(chart(42).types().len(), 18);
    }

    #[test]
    fn matchups_serialize() {
        let m = defensive_matchups(9, &["Dragon", "Ground"]);
        let json = serde_json::to_value(&m).expect("serializable");
        assert_eq!(json["weaknesses"][0], serde_json::json!(["Ice", 4.0]));
        assert_eq!(json["immunities"], serde_json::json!(["Electric"]));
    }
}
