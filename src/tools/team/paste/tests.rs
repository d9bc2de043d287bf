use super::*;

fn parse(paste: &str) -> Team {
    parse_paste(paste).unwrap_or_else(|e| panic!("{e}\n{paste}"))
}

#[test]
fn species_lines() {
    /// Line, nickname, species, gender, item.
    type Case = (&'static str, Option<&'static str>, &'static str, Option<Gender>, Option<&'static str>);
    let cases: [Case; 14] = [
        ("Kingambit @ Leftovers", None, "Kingambit", None, Some("Leftovers")),
        ("Kingambit", None, "Kingambit", None, None),
        (
            "Tusky (Great Tusk) (M) @ Booster Energy",
            Some("Tusky"),
            "Great Tusk",
            Some(Gender::M),
            Some("Booster Energy"),
        ),
        ("Great Tusk (F)", None, "Great Tusk", Some(Gender::F), None),
        (
            "My (cool) mon (Garchomp) @ Choice Scarf",
            Some("My (cool) mon"),
            "Garchomp",
            None,
            Some("Choice Scarf"),
        ),
        ("(Garchomp)", None, "Garchomp", None, None),
        ("Garchomp@Life Orb", None, "Garchomp", None, Some("Life Orb")),
        ("Garchomp @ (No Item)", None, "Garchomp", None, None),
        ("Garchomp@(No Item)", None, "Garchomp", None, None),
        // Found by tests/fuzz (paste): an "@" in a nickname is not an item separator.
        ("@ (Abomasnow)", Some("@"), "Abomasnow", None, None),
        ("Pik@chu (Pikachu) (F)", Some("Pik@chu"), "Pikachu", Some(Gender::F), None),
        ("Pik@chu (Pikachu) @ Light Ball", Some("Pik@chu"), "Pikachu", None, Some("Light Ball")),
        ("Pik@chu (Pikachu)@Light Ball", Some("Pik@chu"), "Pikachu", None, Some("Light Ball")),
        ("Nidoran-F (F) @ Eviolite", None, "Nidoran-F", Some(Gender::F), Some("Eviolite")),
    ];
    for (line, nickname, species, gender, item) in cases {
        let set = species_line(line, 1);
        assert_eq!(set.nickname.as_deref(), nickname, "{line}");
        assert_eq!(set.species, species, "{line}");
        assert_eq!(set.gender, gender, "{line}");
        assert_eq!(set.item.as_deref(), item, "{line}");
    }
}

#[test]
fn full_set_with_every_line() {
    let team = parse(
            "=== [gen9ou] Sample ===\r\n\r\n  Sir Gambit (Kingambit) (M) @ Leftovers  \r\nAbility: Supreme Overlord\r\n\
             Level: 50\r\nShiny: Yes\r\nHappiness: 0\r\nTera Type: Dark\r\n\
             EVs: 252 HP / 252 Atk / 4 SpD\r\nAdamant Nature\r\nIVs: 0 Spe\r\n\
             - Swords Dance\r\n-  Kowtow Cleave\r\n~ Sucker Punch\r\n- Iron Head\r\n",
        );
    assert_eq!(team.header_format.as_ref().map(Format::id), Some("gen9ou"));
    assert!(team.problems.is_empty(), "{:?}", team.problems);
    let set = &team.members[0];
    assert_eq!(set.line, 3);
    assert_eq!(set.nickname.as_deref(), Some("Sir Gambit"));
    assert_eq!(set.species, "Kingambit");
    assert_eq!((set.level, set.shiny, set.happiness), (Some(50), true, Some(0)));
    assert_eq!(set.tera_type.as_deref(), Some("Dark"));
    assert_eq!(set.nature.as_deref(), Some("Adamant"));
    let evs = set.evs.expect("EVs");
    assert_eq!((evs.hp, evs.atk, evs.spd, evs.def), (Some(252), Some(252), Some(4), None));
    assert_eq!(evs.total(), 508);
    assert_eq!(set.ivs.expect("IVs").spe, Some(0));
    assert_eq!(set.moves, ["Swords Dance", "Kowtow Cleave", "Sucker Punch", "Iron Head"]);
}

#[test]
fn headers_blank_lines_and_hidden_power() {
    let team = parse(
        "[Gen 7] OU\n\nMagnezone @ Choice Specs\nAbility: Magnet Pull\n- Hidden Power [Fire]\n\n\n\
             \t\nTapu Koko @ Life Orb\n\n- Thunderbolt\n- U-turn\n",
    );
    assert_eq!(team.header_format.as_ref().map(Format::gen), Some(7));
    assert_eq!(team.members.len(), 2);
    assert_eq!(team.members[0].moves, ["Hidden Power [Fire]"]);
    // The blank line between Tapu Koko and its moves does not lose them.
    assert_eq!(team.members[1].moves, ["Thunderbolt", "U-turn"]);
    // A nickname that starts like a move line still starts a set after a blank line.
    let team = parse("Garchomp\n- Earthquake\n\n-Chomp- (Garchomp) @ Leftovers\n- Outrage\n");
    assert_eq!(team.members.len(), 2);
    assert_eq!(team.members[1].nickname.as_deref(), Some("-Chomp-"));
    assert_eq!(team.members[0].moves, ["Earthquake"]);
    // Old Mac line endings.
    let team = parse("Garchomp @ Leftovers\r- Earthquake\r\rSkarmory\r- Roost");
    assert_eq!(team.members.len(), 2);
    assert_eq!(team.members[1].moves, ["Roost"]);
}

#[test]
fn second_team_header_stops() {
    let team = parse("=== [gen9ou] A ===\nGarchomp\n\n=== [gen9uu] B ===\nSkarmory\n");
    assert_eq!(team.members.len(), 1);
    assert_eq!(team.header_format.as_ref().map(Format::id), Some("gen9ou"));
    assert!(team.problems[0].message.contains("more than one team"));
}

#[test]
fn too_many_moves_and_bad_lines_are_problems() {
    let team = parse(
        "Garchomp\n- Earthquake\n- Outrage\n- Swords Dance\n- Fire Fang\n- Stone Edge\n\
             EVs: 300 Atk / 4 Foo / x Spe / 4 HP / 8 HP\nLevel: 101\nShiny: Maybe\nWhat is this\n",
    );
    let set = &team.members[0];
    assert_eq!(set.moves.len(), 4);
    let messages: Vec<&str> = team.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("5 moves listed") && m.contains("Stone Edge")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("unknown stat \"Foo\"")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("Level must be a number from 1 to 100")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("Shiny should be Yes or No")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("not understood") && m.contains("What is this")));
    // The spread keeps what it could read: 300 Atk (checked against the limits later).
    let evs = set.evs.expect("EVs");
    assert_eq!((evs.atk, evs.hp), (Some(300), Some(8)));
    assert!(team.problems.iter().all(|p| p.pokemon_index == Some(0)));
}

#[test]
fn gen1_special_and_stat_spellings() {
    let (spread, errors) = parse_spread("252 Spc / 100 Speed / 4 sp. atk");
    assert_eq!(errors, ["SpA is given twice"]);
    assert_eq!((spread.spa, spread.spd, spread.spe), (Some(4), Some(252), Some(100)));
}

#[test]
fn fatal_errors() {
    assert_eq!(parse_paste(""), Err(PasteError::Empty));
    assert_eq!(parse_paste(" \n\t\r\n  \u{a0}\n"), Err(PasteError::Empty));
    assert_eq!(parse_paste("\u{feff}"), Err(PasteError::Empty));
    // Found by tests/fuzz (paste): a BOM after the first character is no species either.
    assert_eq!(parse_paste(" \u{feff} \n\u{feff}"), Err(PasteError::Empty));
    let team = parse("Garchomp\n- Earthquake\n\u{feff}\n\u{feff}Skarmory\n");
    assert_eq!(team.members.len(), 2);
    assert_eq!(team.members[1].species, "Skarmory");
    assert_eq!(parse_paste("=== [gen9ou] Empty ===\n\n"), Err(PasteError::NoPokemon));
    assert_eq!(parse_paste("- Earthquake\nAbility: Levitate\n"), Err(PasteError::NoPokemon));
    let seven: String = (0..7).map(|i| format!("Garchomp\n- Earthquake\n\n{}", "\n".repeat(i % 2))).collect();
    assert!(matches!(parse_paste(&seven), Err(PasteError::TooManyPokemon { max: 6, .. })));
    let six: String = (0..6).map(|_| "Garchomp\n- Earthquake\n\n").collect();
    assert_eq!(parse(&six).members.len(), 6);
}

#[test]
fn hostile_inputs() {
    // 20,000 characters is the limit, counted in characters, not bytes.
    let at_limit = format!("Garchomp\n{}", "\n".repeat(MAX_PASTE_CHARS - 9));
    assert_eq!(parse(&at_limit).members.len(), 1);
    let over = format!("Garchomp\n{}", "\n".repeat(MAX_PASTE_CHARS - 8));
    assert_eq!(parse_paste(&over), Err(PasteError::TooLong { chars: 20_001, max: MAX_PASTE_CHARS }));
    let accents = "é".repeat(MAX_PASTE_CHARS / 2);
    assert!(matches!(parse_paste(&accents), Err(PasteError::LineTooLong { line: 1, .. })));
    let huge = "a".repeat(5_000_000);
    assert!(matches!(parse_paste(&huge), Err(PasteError::TooLong { chars: 5_000_000, .. })));
    // A 10,000-character line.
    let long_line = format!("Garchomp\n- {}\n", "x".repeat(10_000));
    assert_eq!(
        parse_paste(&long_line),
        Err(PasteError::LineTooLong { line: 2, chars: 10_002, max: MAX_LINE_CHARS })
    );
    // Binary junk.
    let junk: String = (0u8..=255).cycle().take(3000).map(char::from).collect();
    assert!(matches!(parse_paste(&junk), Err(PasteError::Binary { line: 1, code: 0 })));
    let bytes: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let lossy = String::from_utf8_lossy(&bytes);
    assert!(parse_paste(&lossy).is_err());
    // Many lines of nonsense in one set: bounded reporting.
    let nonsense = format!("Garchomp\n{}", "foo bar\n".repeat(2000));
    let team = parse(&nonsense);
    assert_eq!(team.problems.len(), MAX_UNKNOWN_LINES_REPORTED);
    // Thousands of moves: four kept, one problem.
    let moves = format!("Garchomp\n{}", "- Earthquake\n".repeat(1500));
    let team = parse(&moves);
    assert_eq!((team.members[0].moves.len(), team.problems.len()), (4, 1));
    // Brackets, colons and @ everywhere.
    for odd in ["@", "@@@ @ @", "()", "(((", ")))", "[", "===", "a:b:c", "- ", "(M)", " @ Leftovers"] {
        let _ = parse_paste(odd);
        let _ = parse_paste(&format!("Garchomp\n{odd}\n\n{odd}\n"));
    }
}
