use std::sync::OnceLock;

use super::threats::MAX_THREATS;
use super::*;
use crate::corpus::{parse_moveset_report, parse_sets, shared_data, PasteStyle};
use serde_json::{json, Value};

fn gen9ou() -> Format {
    Format::parse("gen9ou").expect("format")
}

fn report() -> &'static UsageReport {
    static REPORT: OnceLock<UsageReport> = OnceLock::new();
    REPORT.get_or_init(|| {
        parse_moveset_report(&shared_data("smogon-stats/moveset-gen9ou-1695.txt")).expect("report")
    })
}

/// A realistic team, transcribed from the main options of real gen9ou sets
/// (../shared/data/pkmn-sets/gen9ou.json), with a nickname, genders and an item-less member.
const TEAM: &str = "\
=== [gen9ou] Balance ===

Kingambit @ Leftovers
Ability: Supreme Overlord
Tera Type: Ghost
EVs: 252 Atk / 4 Def / 252 Spe
Adamant Nature
- Swords Dance
- Sucker Punch
- Kowtow Cleave
- Iron Head

Tusk (Great Tusk) (M) @ Heavy-Duty Boots
Ability: Protosynthesis
Tera Type: Steel
EVs: 252 Atk / 4 Def / 252 Spe
Jolly Nature
- Headlong Rush
- Ice Spinner
- Rapid Spin
- Stealth Rock

Gholdengo @ Air Balloon
Ability: Good as Gold
Tera Type: Fairy
EVs: 252 SpA / 4 SpD / 252 Spe
Timid Nature
IVs: 0 Atk
- Nasty Plot
- Shadow Ball
- Make It Rain
- Focus Blast

Dragapult (F) @ Heavy-Duty Boots
Ability: Infiltrator
Tera Type: Ghost
EVs: 4 Atk / 252 SpA / 252 Spe
Naive Nature
- Dragon Darts
- Hex
- Will-O-Wisp
- U-turn

Toxapex (F)
Ability: Regenerator
Tera Type: Steel
EVs: 248 HP / 8 Def / 252 SpD
Calm Nature
- Toxic
- Recover
- Haze
- Toxic Spikes

Corviknight (M) @ Rocky Helmet
Ability: Pressure
Tera Type: Dragon
EVs: 248 HP / 252 Def / 8 SpD
Impish Nature
- Brave Bird
- Defog
- U-turn
- Roost
";

#[test]
fn the_team_matches_real_sets() {
    // Every set in TEAM is (a main option of) a real set: compare with the sets file.
    let sets = parse_sets(&shared_data("pkmn-sets/gen9ou.json")).expect("sets");
    let team = parse_paste(TEAM).expect("parses");
    for member in &team.members {
        let species = sets.get(&member.species).unwrap_or_else(|| panic!("{} has sets", member.species));
        let matching = species.sets.iter().any(|set| {
            let paste = set.to_paste(&species.species, 9, PasteStyle::WithAlternatives);
            member.moves.iter().all(|m| paste.contains(m.as_str()))
                && member.nature.as_ref().is_none_or(|n| paste.contains(n.as_str()))
        });
        assert!(matching, "{} matches no real set", member.species);
    }
}

#[test]
fn realistic_team() {
    let a = analyze(TEAM, &gen9ou(), Some(report())).expect("analyses");
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    assert_eq!(a.members.len(), 6);
    let species: Vec<&str> = a.members.iter().map(|m| m.species.as_str()).collect();
    assert_eq!(species, ["Kingambit", "Great Tusk", "Gholdengo", "Dragapult", "Toxapex", "Corviknight"]);
    let tusk = &a.members[1];
    assert_eq!((tusk.nickname.as_deref(), tusk.gender), (Some("Tusk"), Some(Gender::M)));
    assert_eq!(tusk.types, ["Ground", "Fighting"]);
    assert_eq!(a.members[4].item, None);
    assert_eq!(a.members[4].gender, Some(Gender::F));
    assert_eq!(a.members[2].ivs.and_then(|i| i.atk), Some(0));
    assert_eq!(a.type_chart.len(), 18);
    // Ground by hand: Kingambit (Dark/Steel), Gholdengo (Steel/Ghost; an Air Balloon is an item,
    // not an ability) and Toxapex (Water/Poison) are weak; Great Tusk (Ground/Fighting) and
    // Dragapult (Dragon/Ghost) are neutral; Corviknight (Flying/Steel) is immune.
    let ground = a.type_chart.iter().find(|r| r.attacking_type == "Ground").expect("row");
    assert_eq!(ground.weak_members, ["Kingambit", "Gholdengo", "Toxapex"]);
    assert_eq!(ground.immune_members, ["Corviknight"]);
    // Three weak and one immune: glaring by definition (≥ 3 weak, ≤ 1 resist or immune).
    assert_eq!(a.glaring_weaknesses.len(), 1, "{:#?}", a.glaring_weaknesses);
    assert_eq!((a.glaring_weaknesses[0].type_name.as_str(), a.glaring_weaknesses[0].covered), ("Ground", 1));
    assert!(a.usage_data);
    assert!(a.threats.len() <= MAX_THREATS);
    // Great Tusk is among Kingambit's top checks in the report, so Kingambit is answered.
    assert!(a.threats.iter().all(|t| t.name != "Kingambit" || !t.answers.is_empty()));
    assert!(!a.suggestions.is_empty() && a.suggestions.len() <= MAX_SUGGESTIONS);
    assert!(a.notes.iter().any(|n| n.contains("Tera types are not used")));
    let text = render_text(&a);
    assert!(text.chars().count() < MAX_TEXT_CHARS, "{}", text.chars().count());
    assert!(text.contains("Tusk (Great Tusk) [Ground/Fighting] @ Heavy-Duty Boots"), "{text}");
}

#[test]
fn typos_are_problems_not_errors() {
    let paste = "Kingambitt @ Leftoverz\nAbility: Supreme Overlord\n- Swords Dnce\n\n\
                     Garchomp @ Life Orb\nAbility: Levitate\n- Earthquake\n";
    let a = analyze(paste, &gen9ou(), None).expect("analyses");
    let by_field = |f: ProblemField| a.problems.iter().find(|p| p.field == f).expect("problem");
    assert_eq!(by_field(ProblemField::Species).suggestions[0], "Kingambit");
    assert_eq!(by_field(ProblemField::Item).suggestions[0], "Leftovers");
    assert_eq!(by_field(ProblemField::Move).suggestions[0], "Swords Dance");
    let ability = by_field(ProblemField::Ability);
    assert_eq!(ability.pokemon_index, Some(1));
    assert_eq!(ability.suggestions, ["Sand Veil", "Rough Skin"]);
    // The analysis still ran on Garchomp.
    let ice = a.type_chart.iter().find(|r| r.attacking_type == "Ice").expect("row");
    assert_eq!(ice.weak_members, ["Garchomp (×4)"]);
    assert!(a.threats.is_empty() && !a.usage_data);
    assert!(a.notes.iter().any(|n| n.contains("No usage statistics")), "{:?}", a.notes);
    assert!(a.notes.iter().any(|n| n.contains("1 member the dex does not know was left out")));
    assert!(a.suggestions[0].starts_with("Fix the 4 problems"), "{:?}", a.suggestions);
    assert!(a.suggestions.iter().any(|s| s.contains("has 2 Pokémon")));
    let text = render_text(&a);
    assert!(text.contains("did you mean Leftovers?"), "{text}");
}

#[test]
fn unusable_input_is_an_error() {
    let f = gen9ou();
    assert_eq!(analyze("", &f, None), Err(PasteError::Empty));
    assert_eq!(analyze(" \r\n\t ", &f, None), Err(PasteError::Empty));
    let seven = "Garchomp\n\n".repeat(7);
    assert!(matches!(analyze(&seven, &f, None), Err(PasteError::TooManyPokemon { .. })));
    assert!(matches!(analyze(&"x".repeat(20_001), &f, None), Err(PasteError::TooLong { .. })));
    assert!(matches!(analyze(&"x".repeat(10_000), &f, None), Err(PasteError::LineTooLong { .. })));
    assert!(matches!(analyze("\u{0}\u{1}\u{2}junk", &f, None), Err(PasteError::Binary { .. })));
    assert_eq!(analyze("- Earthquake\n", &f, None), Err(PasteError::NoPokemon));
    assert!(PasteError::NoPokemon.to_string().contains("Kingambit @ Leftovers"));
}

#[test]
fn ground_weak_team_gets_ground_advice() {
    let paste = "Heatran\n\nToxapex\n\nKingambit\n\nIron Moth\n\nRaging Bolt\n\nGholdengo\n";
    let a = analyze(paste, &gen9ou(), Some(report())).expect("analyses");
    let g = &a.glaring_weaknesses[0];
    assert_eq!((g.type_name.as_str(), g.weak, g.covered), ("Ground", 6, 0));
    assert!(a.threats.iter().any(|t| t.types.iter().any(|x| x == "Ground")), "{:#?}", a.threats);
    assert!(a.threats.iter().any(|t| t.name == "Great Tusk"));
    assert_eq!(
        a.suggestions[0],
        "6 members are weak to Ground and none resists it or is immune: consider a Flying-type (immune), \
             a Bug/Grass-type (resists) or a Levitate or Earth Eater user"
    );
    assert!(
        a.suggestions
            .iter()
            .any(|s| s.starts_with("No answer to Great Tusk among its top checks: consider ")),
        "{:#?}",
        a.suggestions
    );
    assert!(a.suggestions.len() <= MAX_SUGGESTIONS);
    let text = render_text(&a);
    assert!(text.contains("Glaring weaknesses: Ground (6 weak"), "{text}");
    assert!(text.contains("- Great Tusk (score "), "{text}");
}

#[test]
fn worst_case_text_stays_short() {
    // Six members with every field at its longest plausible value and many problems.
    let long = "Q".repeat(120);
    let member = format!(
        "{long} ({long}) (M) @ {long}\nAbility: {long}\nTera Type: {long}\n{long} Nature\n\
             EVs: 999 HP / 999 Atk / 999 Def / 999 SpA / 999 SpD / 999 Spe\n\
             IVs: 99 HP / 99 Atk / 99 Def / 99 SpA / 99 SpD / 99 Spe\n\
             - {long}\n- {long}\n- {long}\n- {long}\n- {long}\nwhat\nwhat\nwhat\nwhat\n\n"
    );
    let paste = member.repeat(6);
    assert!(paste.chars().count() <= MAX_PASTE_CHARS);
    let a = analyze(&paste, &gen9ou(), Some(report())).expect("analyses");
    assert_eq!(a.problems.len(), MAX_PROBLEMS);
    assert!(a.problems.last().is_some_and(|p| p.message.starts_with("…and ")));
    let text = render_text(&a);
    assert!(text.chars().count() < MAX_TEXT_CHARS, "{}", text.chars().count());
    conforms(
        &crate::tools::output_schema(crate::tools::analyze_team::NAME).expect("schema"),
        &serde_json::to_value(&a).expect("json"),
        "$",
    )
    .expect("conforms");
}

#[test]
fn join_within_drops_lines_at_the_end() {
    let lines: Vec<String> = (0..100).map(|i| format!("line {i} {}", "x".repeat(90))).collect();
    let text = join_within(&lines, MAX_TEXT_CHARS);
    assert!(text.chars().count() < MAX_TEXT_CHARS);
    assert!(text.starts_with("line 0 ") && text.ends_with("see the structured result)"));
    assert_eq!(join_within(&lines[..2], MAX_TEXT_CHARS).lines().count(), 2);
}

#[test]
fn output_conforms_to_schema() {
    let cases = [
        analyze(TEAM, &gen9ou(), Some(report())),
        analyze(TEAM, &gen9ou(), None),
        analyze("Kingambitt @ Leftoverz\n- Swords Dnce\n", &gen9ou(), Some(report())),
        analyze("Tauros\nEVs: 252 Spc\n- Body Slam\n", &Format::parse("gen1ou").expect("format"), None),
    ];
    for analysis in cases {
        let value = serde_json::to_value(analysis.expect("analyses")).expect("json");
        conforms(
            &crate::tools::output_schema(crate::tools::analyze_team::NAME).expect("schema"),
            &value,
            "$",
        )
        .unwrap_or_else(|e| panic!("{e}\n{value:#}"));
    }
    // The checker itself rejects what it should.
    let schema = crate::tools::output_schema(crate::tools::analyze_team::NAME).expect("schema");
    let mut value = serde_json::to_value(analyze(TEAM, &gen9ou(), None).expect("analyses")).expect("json");
    value.as_object_mut().expect("object").remove("typeChart");
    assert!(conforms(&schema, &value, "$").is_err());
    value["typeChart"] = json!([{"type": "Fire"}]);
    assert!(conforms(&schema, &value, "$").is_err());
}

/// A small JSON Schema checker for the keywords `output_schema` uses.
fn conforms(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("{path}: bad schema type")),
        };
        let ok = names.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            return Err(format!("{path}: {value} is not {names:?}"));
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        if !options.contains(value) {
            return Err(format!("{path}: {value} not in {options:?}"));
        }
    }
    if let Some(n) = value.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min)
            || schema.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max)
        {
            return Err(format!("{path}: {n} out of range"));
        }
    }
    if let Value::Object(object) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Err(format!("{path}: missing required \"{key}\""));
            }
        }
        for (key, v) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => conforms(sub, v, &format!("{path}.{key}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{path}: unexpected property \"{key}\""))
                }
                None => {}
            }
        }
    }
    if let Value::Array(items) = value {
        if schema.get("maxItems").and_then(Value::as_u64).is_some_and(|max| items.len() as u64 > max) {
            return Err(format!("{path}: more than maxItems"));
        }
        if schema.get("minItems").and_then(Value::as_u64).is_some_and(|min| (items.len() as u64) < min) {
            return Err(format!("{path}: fewer than minItems"));
        }
        if let Some(sub) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                conforms(sub, item, &format!("{path}[{i}]"))?;
            }
        }
    }
    Ok(())
}
