use super::super::paste::parse_paste;
use super::*;

fn check(paste: &str, format: &str) -> (Vec<TeamMember>, Vec<TeamProblem>) {
    let team = parse_paste(paste).expect("parses");
    let (members, mut problems) = validate(&team, &Format::parse(format).expect("format"));
    problems.splice(0..0, team.problems);
    (members, problems)
}

fn find<'a>(problems: &'a [TeamProblem], field: ProblemField, text: &str) -> &'a TeamProblem {
    problems
        .iter()
        .find(|p| p.field == field && p.message.contains(text))
        .unwrap_or_else(|| panic!("no {field:?} problem containing {text:?} in {problems:#?}"))
}

#[test]
fn typos_come_with_suggestions() {
    let (members, problems) = check(
        "Kingambitt @ Leftoverz\nAbility: Supreme Overlord\nTera Type: Drak\nAdamnt Nature\n\
             - Swords Dnce\n- Kowtow Cleave\n",
        "gen9ou",
    );
    let species = find(&problems, ProblemField::Species, "Kingambitt");
    assert_eq!(species.suggestions[0], "Kingambit");
    assert!(species.message.contains("did you mean Kingambit"), "{}", species.message);
    assert_eq!(find(&problems, ProblemField::Item, "Leftoverz").suggestions[0], "Leftovers");
    assert_eq!(find(&problems, ProblemField::Move, "Swords Dnce").suggestions[0], "Swords Dance");
    assert_eq!(find(&problems, ProblemField::Nature, "Adamnt").suggestions[0], "Adamant");
    let tera = find(&problems, ProblemField::TeraType, "Drak\"; did you mean Dark, Dragon?");
    assert_eq!(tera.suggestions, ["Dark", "Dragon"]);
    assert!(problems.iter().all(|p| p.pokemon_index == Some(0)));
    // What could be checked still is: the known move, the ability on its own.
    let m = &members[0];
    assert!(!m.recognized && m.types.is_empty());
    assert_eq!(m.moves, ["Swords Dnce", "Kowtow Cleave"]);
    assert_eq!(m.ability.as_deref(), Some("Supreme Overlord"));
}

#[test]
fn ability_must_belong_to_the_species() {
    let (members, problems) = check("Garchomp @ Choice Scarf\nAbility: Levitate\n- Earthquake\n", "gen9ou");
    let p = find(&problems, ProblemField::Ability, "Garchomp cannot have the ability Levitate");
    assert_eq!(p.suggestions, ["Sand Veil", "Rough Skin"]);
    assert_eq!(members[0].legal_ability, None);
    // Names are normalised; a sole ability is filled in.
    let (members, problems) = check("Garchomp\nability: rough skin\n\nRotom-Wash\n- volt switch\n", "gen9ou");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(members[0].ability.as_deref(), Some("Rough Skin"));
    assert_eq!(members[1].legal_ability.as_deref(), Some("Levitate"));
    assert_eq!(members[1].moves, ["Volt Switch"]);
    assert_eq!(members[1].types, ["Electric", "Water"]);
}

#[test]
fn spreads_and_generation_rules() {
    let (_, problems) = check(
        "Garchomp\nEVs: 252 HP / 252 Atk / 252 Spe\nIVs: 32 Atk\n\n\
             Skarmory\nEVs: 300 Def / 4 SpD\n",
        "gen9ou",
    );
    assert_eq!(find(&problems, ProblemField::Evs, "EVs total 756").pokemon_index, Some(0));
    assert_eq!(find(&problems, ProblemField::Ivs, "32 Atk").pokemon_index, Some(0));
    assert_eq!(find(&problems, ProblemField::Evs, "300 Def").pokemon_index, Some(1));
    assert_eq!(problems.len(), 3, "{problems:#?}");
    // Gen 1: no EV total, no abilities, natures, items or Tera.
    let (members, problems) = check(
        "Tauros @ Leftovers\nAbility: Intimidate\nTera Type: Normal\nJolly Nature\n\
             EVs: 252 HP / 252 Atk / 252 Def / 252 Spc / 252 Spe\n- Body Slam\n- Moonblast\n",
        "gen1ou",
    );
    assert_eq!(members[0].types, ["Normal"]);
    find(&problems, ProblemField::Item, "Leftovers is not available in generation 1");
    find(&problems, ProblemField::Ability, "Abilities do not exist");
    find(&problems, ProblemField::Nature, "Natures do not exist");
    find(&problems, ProblemField::TeraType, "only in generation 9");
    find(&problems, ProblemField::Move, "Moonblast is not available in generation 1");
    assert!(!problems.iter().any(|p| p.field == ProblemField::Evs), "{problems:#?}");
}

#[test]
fn availability_header_and_species_clause() {
    let (members, problems) = check(
        "=== [gen9uu] Test ===\nCharizard-Mega-X @ Charizardite X\n- Hidden Power [Fire]\n\n\
             Garchomp\n\nGarchomp\n\nStellar (Terapagos) @ Leftovers\nTera Type: stellar\n",
        "gen9ou",
    );
    find(&problems, ProblemField::Format, "header names gen9uu");
    find(&problems, ProblemField::Species, "Charizard-Mega-X is not in generation 9's games");
    find(&problems, ProblemField::Item, "Charizardite X is not in generation 9's games");
    find(&problems, ProblemField::Move, "Hidden Power Fire is not in generation 9's games");
    assert_eq!(find(&problems, ProblemField::Species, "Species Clause").pokemon_index, Some(2));
    assert_eq!(members[3].tera_type.as_deref(), Some("Stellar"));
    // National Dex allows the past.
    let (_, problems) =
        check("Charizard-Mega-X @ Charizardite X\n- Hidden Power [Fire]\n", "gen9nationaldex");
    assert!(problems.is_empty(), "{problems:#?}");
    // A species from a later generation keeps its newest typing for the analysis.
    let (members, problems) = check("Garchomp\n", "gen3ou");
    find(&problems, ProblemField::Species, "first appears in generation 4");
    assert_eq!(members[0].types, ["Dragon", "Ground"]);
}

#[test]
fn long_names_are_not_looked_up() {
    let long = "x".repeat(200);
    let paste = format!("{long} @ {long}\nAbility: {long}\nTera Type: {long}\n{long} Nature\n- {long}\n");
    let (members, problems) = check(&paste, "gen9ou");
    assert_eq!(members.len(), 1);
    assert!(problems.iter().any(|p| p.message.contains("too long to be a Pokémon name")), "{problems:#?}");
    assert!(problems.iter().all(|p| p.message.chars().count() < 200));
}

#[test]
fn suggestion_searches_are_budgeted() {
    // 6 × (species, item, ability, 4 moves) unknown names: 42 failed lookups.
    let member = "Qwer Tyui @ Qwer Tyui\nAbility: Qwer Tyui\n- Qwer Tyui\n- Qwer Tyuia\n- Qwer Tyuib\n\
                      - Qwer Tyuic\n\n";
    let (_, problems) = check(&member.repeat(6), "gen9ou");
    assert_eq!(problems.len(), 42);
    // Known names are still found after the budget is spent.
    let paste =
        format!("{}Garchomp @ Leftovers\nAbility: Rough Skin\n- Hidden Power [Fire]\n", member.repeat(5));
    let (members, _) = check(&paste, "gen9nationaldex");
    let chomp = &members[5];
    assert!(chomp.recognized);
    assert_eq!(chomp.item.as_deref(), Some("Leftovers"));
    assert_eq!(chomp.legal_ability.as_deref(), Some("Rough Skin"));
    assert_eq!(chomp.moves, ["Hidden Power Fire"]);
}

#[test]
fn edit_distances() {
    assert_eq!(edit_distance("drak", "dark"), 2);
    assert_eq!(edit_distance("", "fire"), 4);
    assert_eq!(suggest_type("Stelar", 9), ["Stellar", "Steel"]);
}
