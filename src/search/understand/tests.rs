use super::*;

fn roles(q: &str) -> Vec<(Role, Vec<String>)> {
    roles_in(q).into_iter().map(|a| (a.role, a.effects)).collect()
}

#[test]
fn generation_and_tier_shorthand() {
    let cases = [
        ("best gen4ou sets", Some("gen4ou")),
        ("Gen 4 OU Garchomp", Some("gen4ou")),
        ("gen4 garchomp", Some("gen4ou")),
        ("UU threats", Some("gen9uu")),
        ("best Snorlax set in RBY OU", Some("gen1ou")),
        ("DPP UU Spiritomb", Some("gen4uu")),
        ("GSC spikers", Some("gen2ou")),
        ("ADV OU Skarmory", Some("gen3ou")),
        ("B2W2 OU rain", Some("gen5ou")),
        ("ORAS UU", Some("gen6uu")),
        ("USUM Ubers", Some("gen7ubers")),
        ("SwSh RU pivots", Some("gen8ru")),
        ("SS NU", Some("gen8nu")),
        ("SV PU hazard removal", Some("gen9pu")),
        ("current OU Stealth Rock", Some("gen9ou")),
        ("Doubles OU Trick Room setters", Some("gen9doublesou")),
        ("BW Doubles OU", Some("gen5doublesou")),
        ("VGC 2019 Trick Room", Some("gen7vgc2019")),
        ("vgc19 trick room", Some("gen7vgc2019")),
        ("VGC Reg G Trick Room", Some("gen9vgc2024")),
        ("regulation g tailwind", Some("gen9vgc2024")),
        ("VGC", Some("gen9vgc2024")),
        ("best sets 2019", None),
        ("XY VGC", Some("gen6vgc2016")),
        ("little cup pivots", Some("gen9lc")),
        ("Platinum OU spinners", Some("gen4ou")),
        ("Sword and Shield OU", Some("gen8ou")),
        ("Ultra Sun Ultra Moon UU", Some("gen7uu")),
        ("Omega Ruby Alpha Sapphire OU", Some("gen6ou")),
        ("Scarlet Violet RU", Some("gen9ru")),
        ("how does Kingambit win", None),
        ("who removes hazards", None),
    ];
    for (q, want) in cases {
        assert_eq!(format_in(q).as_deref(), want, "{q}");
    }
}

#[test]
fn roles_in_players_words() {
    let removal = [(Role::HazardRemoval, vec![])];
    assert_eq!(roles("who removes hazards"), removal);
    assert_eq!(roles("who can clear Stealth Rock"), removal);
    assert_eq!(roles("best spinner in ADV"), removal);
    assert_eq!(roles("defoggers in UU"), removal);
    assert_eq!(roles_in("defoggers in UU")[0].members, ["defog"]);
    assert_eq!(roles("Rapid Spin users"), removal);
    assert_eq!(roles("who sets Stealth Rock"), [(Role::HazardSetting, vec!["stealthrock".into()])]);
    assert_eq!(roles("hazard setters in SV OU"), [(Role::HazardSetting, vec![])]);
    assert_eq!(roles("Sticky Web users"), [(Role::HazardSetting, vec!["stickyweb".into()])]);
    assert_eq!(roles("best priority users"), [(Role::Priority, vec![])]);
    assert_eq!(roles("good pivots for OU"), [(Role::Pivot, vec![])]);
    assert_eq!(roles("setup sweepers"), [(Role::Setup, vec![])]);
    assert_eq!(roles("best wallbreakers"), [(Role::Wallbreaker, vec![])]);
    assert_eq!(roles("who sets rain"), [(Role::Weather, vec!["raindance".into()])]);
    assert_eq!(roles("sand setters"), [(Role::Weather, vec!["sandstorm".into()])]);
    assert_eq!(roles("electric terrain setters"), [(Role::Terrain, vec!["electricterrain".into()])]);
    assert_eq!(roles("dual screens setter"), [(Role::Screens, vec![])]);
    assert_eq!(roles("Trick Room setters"), [(Role::TrickRoom, vec![])]);
    assert_eq!(roles("wish support clerics"), [(Role::Cleric, vec![])]);
    assert_eq!(roles("who can phaze"), [(Role::Phazing, vec![])]);
    assert_eq!(roles("best physical walls"), [(Role::Recovery, vec![])]);
    assert_eq!(roles("burn spreaders"), [(Role::Status, vec!["brn".into()])]);
    assert_eq!(roles("Ultra Sun Ultra Moon OU Defog"), removal);
    assert_eq!(roles("what sets sand for a sand team"), [(Role::Weather, vec!["sandstorm".into()])]);
    assert_eq!(roles("how does Kingambit win"), []);
    assert_eq!(roles("which Pokemon must Terastallize to keep sweeping"), []);
    assert_eq!(
        roles("anti-offense tool that phazes with Dragon Tail and picks off with Extreme Speed"),
        [],
        "a long description of one set asks for no list of Pokémon"
    );
    assert_eq!(roles("Dragonite Dragon Dance set"), [], "a move name alone is not a role question");
}

#[test]
fn a_named_move_with_its_users_asks_for_its_role() {
    let asks = roles_in("VGC Reg G Fake Out users");
    assert_eq!((asks[0].role, asks[0].members.clone()), (Role::Priority, vec!["fakeout".to_owned()]));
    assert_eq!(roles_in("Fake Out damage on Incineroar"), [], "no word for its users");
    assert_eq!(roles_in("Knock Off users"), [], "a move with no role");
    let band = roles_in("Choice Band users");
    assert_eq!((band[0].role, band[0].members.clone()), (Role::Wallbreaker, vec!["choiceband".to_owned()]));
}

#[test]
fn hostile_text_is_just_text() {
    // The tool caps queries at 1,000 characters; nothing here may panic or misread a format.
    let cases = [
        "gen".repeat(333),
        "vgc 99999999999999999999 reg".into(),
        "reg".into(),
        "gen 0 gen 10 gen99ou".into(),
        "\u{0}\u{202e}Ωmega Ruby Ⅸ ⚡ who 🐉".into(),
        "who ".repeat(250),
        "stealth rock ".repeat(76),
        "u-turn users ".repeat(76),
    ];
    for q in &cases {
        let u = understand(q);
        assert!(u.roles.len() <= 2, "{q:.40}");
        if let Some(f) = &u.format {
            assert!(Format::parse(f).is_ok(), "{f} from {q:.40}");
        }
    }
}

#[test]
fn types_only_when_written_as_types() {
    assert_eq!(understand("Steel-type hazard removers").types, ["Steel"]);
    assert_eq!(understand("best water type pivots").types, ["Water"]);
    assert!(understand("Stealth Rock setters").types.is_empty());
    assert!(understand("Psychic Surge users").types.is_empty());
}

#[test]
fn named_moves_narrow_the_role() {
    let asks = roles_in("U-turn users in UU");
    assert_eq!(asks[0].role, Role::Pivot);
    assert_eq!(asks[0].members, ["uturn"]);
}
