use super::*;
use crate::dex::dex;

fn mentioned(query: &str) -> Vec<String> {
    mentioned_pokemon(query, dex())
}

#[test]
fn names_with_any_case_hyphen_or_punctuation() {
    let cases: &[(&str, &[&str])] = &[
        ("what does Dragonite do in OU", &["dragonite"]),
        ("DRAGONITE", &["dragonite"]),
        ("Iron Valiant vs Great Tusk", &["ironvaliant", "greattusk"]),
        ("iron valiant or great-tusk?", &["ironvaliant", "greattusk"]),
        ("Ting-Lu, ting lu, TINGLU", &["tinglu"]),
        ("Kingambit's checks", &["kingambit"]),
        ("Porygon-Z and Porygon2 and Mr. Mime", &["porygonz", "porygon2", "mrmime"]),
        ("Kommo-o and Ho-Oh", &["kommoo", "hooh"]),
        ("Tapu Koko", &["tapukoko"]),
        ("Gholdengo, Iron Crown, Iron Valiant", &["gholdengo", "ironcrown", "ironvaliant"]),
        ("Crown Iron", &[]),
        ("Zapdos and Kingambit and zapdos", &["zapdos", "kingambit"]),
        ("Tauros gen 1 OU moves", &["tauros"]),
    ];
    for (query, expected) in cases {
        assert_eq!(mentioned(query), *expected, "{query}");
    }
}

#[test]
fn formes_as_people_write_them() {
    let cases: &[(&str, &[&str])] = &[
        ("Alolan Ninetales", &["ninetalesalola"]),
        ("ninetales-alola aurora veil", &["ninetalesalola"]),
        ("alola ninetales", &["ninetalesalola"]),
        ("Hisuian Samurott and Galarian Slowking", &["samurotthisui", "slowkinggalar"]),
        ("Mega Charizard X", &["charizardmegax"]),
        ("Landorus-T", &["landorustherian"]),
        ("Ogerpon-W with Ogerpon-Wellspring", &["ogerponwellspring"]),
        ("Deoxys-S lead", &["deoxysspeed"]),
        ("Landorus", &["landorus"]),
        ("White Kyurem and Wash Rotom", &["kyuremwhite", "rotomwash"]),
        ("Rapid Strike Urshifu", &["urshifurapidstrike"]),
    ];
    for (query, expected) in cases {
        assert_eq!(mentioned(query), *expected, "{query}");
    }
}

#[test]
fn unambiguous_typos_are_corrected() {
    let cases: &[(&str, &[&str])] = &[
        ("kingambt counters", &["kingambit"]),
        ("Kingambt", &["kingambit"]),
        ("dragonit choice band set", &["dragonite"]),
        ("garchmop swords dance", &["garchomp"]),
        ("zapods defensive set", &["zapdos"]),
        ("glsicor utility set", &["gliscor"]),
        ("goldengo counters", &["gholdengo"]),
        ("great tusck rapid spin", &["greattusk"]),
        ("ninetails alola aurora veil", &["ninetalesalola"]),
        ("Alolan Ninetails", &["ninetalesalola"]),
        ("landorous therian", &["landorustherian"]),
        ("iron valient", &["ironvaliant"]),
        ("Raging Bolt and Iron Moth in rain", &["ragingbolt", "ironmoth"]),
        ("kingambits", &["kingambit"]),
    ];
    for (query, expected) in cases {
        assert_eq!(mentioned(query), *expected, "{query}");
    }
}

#[test]
fn ambiguous_or_short_typos_are_not_guessed() {
    // "latis" is one edit from both Latias and Latios.
    assert_eq!(mentioned("latis"), Vec::<String>::new());
    // Four letters or fewer are never corrected ("mewe", "abar").
    assert_eq!(mentioned("mewe abar"), Vec::<String>::new());
    // Too far.
    assert_eq!(mentioned("kngmbt"), Vec::<String>::new());
}

#[test]
fn english_stays_english() {
    // Lowercase everyday words that are species names...
    assert_eq!(mentioned("ditto for the other sets, gloom and a golem of a wall"), Vec::<String>::new());
    assert_eq!(mentioned("Ditto"), ["ditto"]);
    assert_eq!(mentioned("Choice Scarf Ditto"), ["ditto"]);
    // ... and words a typo away from one.
    for query in [
        "a little minor threat",
        "throw speaking sweeping freezing",
        "the best counters for stall teams",
        "electric type sweeper with strong priority",
        "anti-offense tool that phazes with Dragon Tail and picks off with Extreme Speed",
        "Iron Head and Iron Defense",
        "Tera Blast Fire or Tera Blast Ice",
        "Dragon Claw other options",
        "Dauntless Shield and Roseli Berry",
        "Baton Pass Frost",
        "Toxic Rock and Bolt and",
        "defensive pivot that spreads status and builds momentum",
        "which Pokemon has a 4x weakness to Ice and must Terastallize",
        "Life Orb Outrage and Hurricane as other options",
        "most used Pokemon in gen9ou",
        "unknown helmet crafty service",
    ] {
        assert_eq!(mentioned(query), Vec::<String>::new(), "{query}");
    }
    // Moves, items, abilities and natures are never read as typos.
    assert_eq!(mentioned("Thunder Wave Leftovers Protean Adamant Scale Shot"), Vec::<String>::new());
}

#[test]
fn word_lists_are_consistent() {
    let ids = dex_ids(dex());
    for w in ENGLISH_SPECIES {
        assert!(ids.contains(w), "{w} is not a species id");
    }
    let words: Vec<&str> = NOT_TYPOS.split_ascii_whitespace().collect();
    assert!(words.windows(2).all(|w| w[0] < w[1]), "NOT_TYPOS must be sorted, without repeats");
    for w in &words {
        assert!(!ids.contains(w), "{w} is a species id");
        assert!(w.chars().all(|c| c.is_ascii_lowercase()), "{w}");
    }
}

#[test]
fn every_not_typo_is_needed() {
    let dex = dex();
    let ids = dex_ids(dex);
    for w in NOT_TYPOS.split_ascii_whitespace() {
        let unguarded = Finder { dex, ids, guard: false, lookups: 0 }.find(w);
        assert_eq!(unguarded.len(), 1, "{w} would not become a Pokémon anyway: drop it from NOT_TYPOS");
        assert_eq!(mentioned(w), Vec::<String>::new(), "{w}");
    }
}

#[test]
fn typo_lookups_are_capped() {
    // Many correctable words: only the first MAX_TYPO_LOOKUPS are looked up.
    let query = "kingambt ".repeat(MAX_TYPO_LOOKUPS) + "dragonit";
    let mut finder = Finder { dex: dex(), ids: dex_ids(dex()), guard: true, lookups: 0 };
    assert_eq!(finder.find(&query), ["kingambit"]);
    assert_eq!(finder.lookups, MAX_TYPO_LOOKUPS);
}

#[test]
fn edit_distance_counts_transpositions_once() {
    assert_eq!(edit_distance("garchmop", "garchomp", 5), Some(1));
    assert_eq!(edit_distance("kingambt", "kingambit", 5), Some(1));
    assert_eq!(edit_distance("", "abc", 5), Some(3));
    assert_eq!(edit_distance("kitten", "sitting", 5), Some(3));
    assert_eq!(edit_distance("ca", "abc", 5), Some(3), "OSA, not unrestricted Damerau");
    // Bounded: too far is None, whichever way it is found out.
    assert_eq!(edit_distance("kitten", "sitting", 2), None);
    assert_eq!(edit_distance("mew", "mewtwo", 2), None);
    assert_eq!(edit_distance("sweeping", "weezing", 2), Some(2));
    assert_eq!(typo_distance("sweeping", "weezing", 2), None, "second edit at the start");
    assert_eq!(typo_distance("garchmopp", "garchomp", 2), Some(2));
    assert_eq!(typo_distance("garchomp", "garchomp", 2), None, "not a typo");
}
