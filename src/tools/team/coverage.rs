//! The team's defensive type chart: for every attacking type, who is weak, who resists, who is
//! immune.
//!
//! Typing comes from the dex for the format's generation (`typechart::defensive_matchups`).
//! Abilities that change a type's damage unconditionally are applied when the dex confirms the
//! member can have the ability (Levitate, Flash Fire, Water Absorb, Thick Fat, Wonder Guard, …);
//! situational ones (Filter, Fluffy, Dry Skin's fire damage) and Mold Breaker-style bypasses are
//! not. Tera types are ignored on purpose — see [`super`]'s documentation.

use serde::Serialize;

use super::validate::TeamMember;
use crate::dex::{to_id, typechart, Matchups};

/// A glaring weakness: at least this many members weak…
pub(crate) const GLARING_MIN_WEAK: usize = 3;
/// …and at most this many resisting or immune.
pub(crate) const GLARING_MAX_COVERED: usize = 1;

/// A team member as a defender.
pub(super) struct Defender<'a> {
    pub member: &'a TeamMember,
    matchups: Matchups,
    /// Id of a confirmed ability.
    ability: Option<String>,
    gen: u8,
}

impl Defender<'_> {
    /// Damage multiplier of `attacking` on this member, abilities included.
    pub(super) fn multiplier(&self, attacking: &str) -> f64 {
        let base = self.type_multiplier(attacking);
        match self.ability.as_deref() {
            // Shedinja: only super-effective hits land.
            Some("wonderguard") if base <= 1.0 => 0.0,
            Some(ability) => ability_factor(ability, attacking, self.gen).map_or(base, |f| base * f),
            None => base,
        }
    }

    /// Whether the ability, not the typing, decides `attacking`'s multiplier.
    fn ability_matters(&self, attacking: &str) -> bool {
        self.multiplier(attacking) != self.type_multiplier(attacking)
    }

    fn type_multiplier(&self, attacking: &str) -> f64 {
        let m = &self.matchups;
        if m.immunities.iter().any(|t| t == attacking) {
            return 0.0;
        }
        m.weaknesses.iter().chain(&m.resistances).find(|(t, _)| t == attacking).map_or(1.0, |&(_, x)| x)
    }

    pub(super) fn name(&self) -> &str {
        &self.member.species
    }
}

/// Multiplier an ability applies to `attacking` (0 for an immunity), if any.
fn ability_factor(ability: &str, attacking: &str, gen: u8) -> Option<f64> {
    let immune = match ability {
        "levitate" | "eartheater" => attacking == "Ground",
        "flashfire" | "wellbakedbody" => attacking == "Fire",
        "waterabsorb" | "dryskin" => attacking == "Water",
        "voltabsorb" | "motordrive" => attacking == "Electric",
        "sapsipper" => attacking == "Grass",
        // Redirection abilities grant an immunity from generation 5 on.
        "stormdrain" => gen >= 5 && attacking == "Water",
        "lightningrod" => gen >= 5 && attacking == "Electric",
        _ => false,
    };
    if immune {
        return Some(0.0);
    }
    let halved = match ability {
        "thickfat" => matches!(attacking, "Fire" | "Ice"),
        "heatproof" | "waterbubble" => attacking == "Fire",
        "purifyingsalt" => attacking == "Ghost",
        _ => false,
    };
    halved.then_some(0.5)
}

/// Abilities that make a member immune to `attacking` in `gen`, for suggestions.
pub(super) fn immunity_abilities(attacking: &str, gen: u8) -> &'static [&'static str] {
    if gen < 3 {
        return &[];
    }
    match attacking {
        "Ground" if gen >= 9 => &["Levitate", "Earth Eater"],
        "Ground" => &["Levitate"],
        "Fire" if gen >= 9 => &["Flash Fire", "Well-Baked Body"],
        "Fire" => &["Flash Fire"],
        "Water" if gen >= 5 => &["Water Absorb", "Storm Drain"],
        "Water" => &["Water Absorb"],
        "Electric" if gen >= 5 => &["Volt Absorb", "Lightning Rod"],
        "Electric" => &["Volt Absorb"],
        "Grass" if gen >= 5 => &["Sap Sipper"],
        _ => &[],
    }
}

/// The recognised members (those with a known typing) as defenders in `gen`.
pub(super) fn defenders(members: &[TeamMember], gen: u8) -> Vec<Defender<'_>> {
    members
        .iter()
        .filter(|m| m.recognized && !m.types.is_empty())
        .map(|member| Defender {
            member,
            matchups: typechart::defensive_matchups(gen, &member.types),
            ability: member.legal_ability.as_deref().map(to_id),
            gen,
        })
        .collect()
}

/// One attacking type against the whole team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypeRow {
    #[serde(rename = "type")]
    pub attacking_type: String,
    /// Members taking ×2 or more (×4 included).
    pub weak: usize,
    /// Members taking ×4.
    pub quad_weak: usize,
    /// Members taking ×0.5 or less, immunities excluded.
    pub resist: usize,
    pub immune: usize,
    /// Species, "(×4)" for a 4× weakness and "(Ability)" when an ability decides it.
    pub weak_members: Vec<String>,
    pub resist_members: Vec<String>,
    pub immune_members: Vec<String>,
}

/// An attacking type that hits much of the team with little to switch into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GlaringWeakness {
    #[serde(rename = "type")]
    pub type_name: String,
    pub weak: usize,
    /// Members resisting or immune.
    pub covered: usize,
    pub weak_members: Vec<String>,
}

/// One row per type of the generation's chart, in the chart's (alphabetical) order.
pub(super) fn type_chart(defenders: &[Defender<'_>], gen: u8) -> Vec<TypeRow> {
    typechart::types(gen)
        .iter()
        .map(|attacking| {
            let mut row = TypeRow {
                attacking_type: attacking.clone(),
                weak: 0,
                quad_weak: 0,
                resist: 0,
                immune: 0,
                weak_members: Vec::new(),
                resist_members: Vec::new(),
                immune_members: Vec::new(),
            };
            for d in defenders {
                let x = d.multiplier(attacking);
                let mut label = d.name().to_owned();
                if d.ability_matters(attacking) {
                    label = format!("{label} ({})", d.member.legal_ability.as_deref().unwrap_or("ability"));
                }
                if x == 0.0 {
                    row.immune += 1;
                    row.immune_members.push(label);
                } else if x > 1.0 {
                    row.weak += 1;
                    if x >= 4.0 {
                        row.quad_weak += 1;
                        label.push_str(" (×4)");
                    }
                    row.weak_members.push(label);
                } else if x < 1.0 {
                    row.resist += 1;
                    row.resist_members.push(label);
                }
            }
            row
        })
        .collect()
}

/// Types at least [`GLARING_MIN_WEAK`] members are weak to and at most
/// [`GLARING_MAX_COVERED`] resist or are immune to; worst first.
pub(super) fn glaring_weaknesses(rows: &[TypeRow]) -> Vec<GlaringWeakness> {
    let mut glaring: Vec<GlaringWeakness> = rows
        .iter()
        .filter(|r| r.weak >= GLARING_MIN_WEAK && r.resist + r.immune <= GLARING_MAX_COVERED)
        .map(|r| GlaringWeakness {
            type_name: r.attacking_type.clone(),
            weak: r.weak,
            covered: r.resist + r.immune,
            weak_members: r.weak_members.clone(),
        })
        .collect();
    glaring.sort_by(|a, b| {
        b.weak.cmp(&a.weak).then(a.covered.cmp(&b.covered)).then_with(|| a.type_name.cmp(&b.type_name))
    });
    glaring
}

/// Types that resist (`< 1`, not 0) and that are immune to `attacking` in `gen`.
pub(super) fn answers_to(attacking: &str, gen: u8) -> (Vec<&'static str>, Vec<&'static str>) {
    let chart = typechart::chart(gen);
    let mut resist = Vec::new();
    let mut immune = Vec::new();
    for t in chart.types() {
        match chart.multiplier(attacking, t) {
            Some(0.0) => immune.push(t.as_str()),
            Some(x) if x < 1.0 => resist.push(t.as_str()),
            _ => {}
        }
    }
    (resist, immune)
}

#[cfg(test)]
mod tests {
    use super::super::paste::parse_paste;
    use super::super::validate::validate;
    use super::*;
    use crate::corpus::Format;

    fn chart(paste: &str, format: &str) -> Vec<TypeRow> {
        let format = Format::parse(format).expect("format");
        let (members, _) = validate(&parse_paste(paste).expect("parses"), &format);
        type_chart(&defenders(&members, format.gen()), format.gen())
    }

    fn row<'a>(rows: &'a [TypeRow], t: &str) -> &'a TypeRow {
        rows.iter().find(|r| r.attacking_type == t).unwrap_or_else(|| panic!("no {t} row"))
    }

    fn counts(r: &TypeRow) -> (usize, usize, usize, usize) {
        (r.weak, r.quad_weak, r.resist, r.immune)
    }

    #[test]
    fn garchomp_skarmory_rotom_wash_by_hand() {
        // Garchomp Dragon/Ground, Skarmory Steel/Flying, Rotom-Wash Electric/Water (Levitate).
        let rows = chart(
            "Garchomp @ Rocky Helmet\nAbility: Rough Skin\n\nSkarmory\nAbility: Sturdy\n\nRotom-Wash\n",
            "gen9ou",
        );
        assert_eq!(rows.len(), 18);
        // Ice: Garchomp ×4; Skarmory Steel ½ × Flying 2 = 1; Rotom-Wash Water ½ → resists.
        let ice = row(&rows, "Ice");
        assert_eq!(counts(ice), (1, 1, 1, 0));
        assert_eq!(ice.weak_members, ["Garchomp (×4)"]);
        assert_eq!(ice.resist_members, ["Rotom-Wash"]);
        // Ground: Garchomp neutral (Dragon 1 × Ground 1), Skarmory immune (Flying), Rotom-Wash
        // immune through Levitate (by typing alone it would be weak: Electric 2 × Water 1).
        let ground = row(&rows, "Ground");
        assert_eq!(counts(ground), (0, 0, 0, 2));
        assert_eq!(ground.immune_members, ["Skarmory", "Rotom-Wash (Levitate)"]);
        // Electric: Garchomp immune, Skarmory weak (Steel 1 × Flying 2), Rotom-Wash neutral
        // (Electric ½ × Water 2).
        assert_eq!(counts(row(&rows, "Electric")), (1, 0, 0, 1));
        // Fire: Garchomp resists (Dragon), Skarmory weak (Steel), Rotom-Wash resists (Water).
        assert_eq!(counts(row(&rows, "Fire")), (1, 0, 2, 0));
        // Fighting: Skarmory neutral (Steel 2 × Flying ½), others neutral.
        assert_eq!(counts(row(&rows, "Fighting")), (0, 0, 0, 0));
        // Poison: Garchomp resists (Ground), Skarmory immune (Steel), Rotom-Wash neutral.
        assert_eq!(counts(row(&rows, "Poison")), (0, 0, 1, 1));
        // Dragon: Garchomp weak, Skarmory resists.
        assert_eq!(counts(row(&rows, "Dragon")), (1, 0, 1, 0));
        // Grass: Garchomp Dragon ½ × Ground 2 = 1, Skarmory ¼ (Steel ½ × Flying ½), Rotom-Wash
        // Electric 1 × Water 2 → weak.
        assert_eq!(counts(row(&rows, "Grass")), (1, 0, 1, 0));
        assert!(glaring_weaknesses(&rows).is_empty());
    }

    #[test]
    fn glaring_weakness_needs_three_weak_and_little_cover() {
        // Heatran (Fire/Steel), Toxapex (Water/Poison), Kingambit (Dark/Steel): all weak to Ground;
        // no one resists or is immune (Heatran has Flash Fire, not Levitate).
        let rows = chart("Heatran\nAbility: Flash Fire\n\nToxapex\n\nKingambit\n", "gen9ou");
        let ground = row(&rows, "Ground");
        assert_eq!(counts(ground), (3, 1, 0, 0));
        let glaring = glaring_weaknesses(&rows);
        assert_eq!(glaring[0].type_name, "Ground");
        assert_eq!(glaring[0].weak_members, ["Heatran (×4)", "Toxapex", "Kingambit"]);
        // Fire: Heatran immune through Flash Fire (its typing alone: Fire ½ × Steel 2 = neutral).
        assert_eq!(row(&rows, "Fire").immune_members, ["Heatran (Flash Fire)"]);
        // Adding a Levitate user (Rotom-Wash's only ability) and a Flying type covers Ground.
        let rows = chart("Heatran\n\nToxapex\n\nKingambit\n\nRotom-Wash\n\nGliscor\n", "gen9ou");
        assert_eq!(counts(row(&rows, "Ground")), (3, 1, 0, 2));
        assert!(glaring_weaknesses(&rows).iter().all(|g| g.type_name != "Ground"));
    }

    #[test]
    fn generation_charts_and_wonder_guard() {
        // Gen 5: Steel resists Ghost and Dark; gen 6 on it does not.
        assert_eq!(counts(row(&chart("Skarmory\n", "gen5ou"), "Ghost")), (0, 0, 1, 0));
        assert_eq!(counts(row(&chart("Skarmory\n", "gen6ou"), "Ghost")), (0, 0, 0, 0));
        // Gen 1 has 15 types.
        assert_eq!(chart("Tauros\n", "gen1ou").len(), 15);
        let rows = chart("Shedinja\nAbility: Wonder Guard\n", "gen9ou");
        assert_eq!(counts(row(&rows, "Water")), (0, 0, 0, 1));
        assert_eq!(counts(row(&rows, "Fire")), (1, 0, 0, 0));
        // An illegal ability grants nothing.
        assert_eq!(counts(row(&chart("Garchomp\nAbility: Levitate\n", "gen9ou"), "Ground")), (0, 0, 0, 0));
        // Thick Fat halves Fire: Mamoswine (Ice/Ground, ×2 by typing) takes it neutrally.
        assert_eq!(counts(row(&chart("Mamoswine\nAbility: Thick Fat\n", "gen9ou"), "Fire")), (0, 0, 0, 0));
        assert_eq!(counts(row(&chart("Mamoswine\nAbility: Oblivious\n", "gen9ou"), "Fire")), (1, 0, 0, 0));
    }

    #[test]
    fn answers_to_types() {
        let (resist, immune) = answers_to("Ground", 9);
        assert_eq!(resist, ["Bug", "Grass"]);
        assert_eq!(immune, ["Flying"]);
        assert_eq!(immunity_abilities("Ground", 9), ["Levitate", "Earth Eater"]);
        assert!(immunity_abilities("Ground", 2).is_empty());
    }
}
