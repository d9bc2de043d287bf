use super::*;
use crate::corpus::shared_data;

fn moveset_gen9ou() -> UsageReport {
    parse_moveset_report(&shared_data("smogon-stats/moveset-gen9ou-1695.txt")).unwrap()
}

fn chaos_gen1ou() -> UsageReport {
    parse_chaos(&shared_data("smogon-stats/chaos-gen1ou-1760.json")).unwrap()
}

fn share(b: &Breakdown, name: &str) -> (f64, String) {
    let s = b.get(name).unwrap_or_else(|| panic!("no {name}"));
    (s.percent, s.text.clone())
}

#[test]
fn moveset_report_kingambit() {
    let report = moveset_gen9ou();
    let k = report.get("Kingambit").unwrap();
    assert_eq!(k.rank, 1);
    assert_eq!(share(&k.abilities, "Supreme Overlord"), (99.477, "99.477".into()));
    assert_eq!(share(&k.abilities, "Pressure"), (0.036, "0.036".into()));
    assert_eq!(share(&k.items, "Leftovers"), (42.249, "42.249".into()));
    assert_eq!(k.items.other.as_ref().map(|o| o.text.as_str()), Some("4.509"));
    assert_eq!(
        (k.raw_count, k.avg_weight, k.viability_ceiling),
        (Some(475322), Some(0.0856502259021), Some(91))
    );
    assert_eq!(k.usage, None);
    let moves: Vec<&str> = k.moves.shares.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(moves, ["Sucker Punch", "Swords Dance", "Kowtow Cleave", "Iron Head", "Low Kick"]);
    assert_eq!(share(&k.spreads, "Adamant:0/252/4/0/0/252").1, "10.765");
    assert_eq!(k.teammates.shares.len(), 11);
    assert_eq!(share(&k.teammates, "Landorus-Therian").0, 35.688);

    assert_eq!(k.checks_and_counters.len(), 12);
    let okidogi = &k.checks_and_counters[0];
    assert_eq!(okidogi.name, "Okidogi");
    assert_eq!((okidogi.score, okidogi.score_text.as_str()), (68.535, "68.535"));
    assert_eq!((okidogi.matchup, okidogi.deviation), (82.78, 3.56));
    assert_eq!((okidogi.koed, okidogi.switched_out, okidogi.encounters), (Some(24.3), Some(58.4), None));
}

#[test]
fn moveset_report_whole_file() {
    let report = moveset_gen9ou();
    // Counted independently (python over the blocks): 304 species, Duraludon last.
    assert_eq!(report.species.len(), 304);
    assert_eq!(report.species[1].name, "Great Tusk");
    let last = report.species.last().unwrap();
    assert_eq!((last.name.as_str(), last.rank, last.raw_count), ("Duraludon", 304, Some(3261)));
    assert!(!report.teammate_deltas);
    assert_eq!(report.source, ReportSource::MovesetReport);

    // 909 "Other" lines, 640 counters each with its outcome line, 206 species without any,
    // 3319 teammate lines of which 4 repeat the line before them verbatim.
    let others: usize = report
        .species
        .iter()
        .flat_map(|s| [&s.abilities, &s.items, &s.spreads, &s.moves, &s.tera_types, &s.teammates])
        .filter(|b| b.other.is_some())
        .count();
    assert_eq!(others, 909);
    let checks: Vec<&CheckCounter> = report.species.iter().flat_map(|s| &s.checks_and_counters).collect();
    assert_eq!(checks.len(), 640);
    assert!(checks.iter().all(|c| c.koed.is_some() && c.switched_out.is_some()));
    assert_eq!(report.species.iter().filter(|s| s.checks_and_counters.is_empty()).count(), 206);
    assert_eq!(report.species.iter().map(|s| s.teammates.shares.len()).sum::<usize>(), 3315);
    let repeated: Vec<&str> = report.skipped.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(
        repeated,
        [
            "moveset report line 8236",
            "moveset report line 11023",
            "moveset report line 12193",
            "moveset report line 14570"
        ]
    );
    assert!(
        report.skipped.iter().all(|s| s.reason.ends_with("Teammates: repeated line")),
        "{:?}",
        report.skipped
    );
    assert_eq!(share(&report.get("Golduck").unwrap().teammates, "Tentacruel").0, 94.888);

    // An empty move slot is "Nothing", as printed.
    let ditto = report.get("Ditto").unwrap();
    assert_eq!(share(&ditto.moves, "Nothing"), (300.0, "300.000".into()));
    assert_eq!(ditto.checks_and_counters, []);
}

#[test]
fn moveset_report_rejects_non_reports() {
    assert!(matches!(parse_moveset_report("hello"), Err(CorpusError::Malformed { .. })));
    assert!(matches!(parse_moveset_report(""), Err(CorpusError::Malformed { .. })));
}

#[test]
fn moveset_report_skips_bad_lines() {
    let text = " +----+ \n | Foo | \n +----+ \n | Raw count: 10 | \n | Avg. weight: --- | \n | Viability Ceiling: x | \n\
                    +----+ \n | Moves | \n | Tackle 100.000% | \n | garbage | \n +----+ \n | Tera Types | \n | Fire 60.000% | \n\
                    +----+ \n | Mystery | \n +----+ \n | Checks and Counters | \n | (1.0% KOed / 2.0% switched out) | \n +----+ \n";
    let report = parse_moveset_report(text).unwrap();
    let foo = &report.species[0];
    assert_eq!((foo.raw_count, foo.avg_weight, foo.viability_ceiling), (Some(10), None, None));
    assert_eq!(share(&foo.moves, "Tackle").0, 100.0);
    assert_eq!(share(&foo.tera_types, "Fire").0, 60.0);
    let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Foo: unexpected line \"Viability Ceiling: x\"",
            "Foo Moves: unreadable line \"garbage\"",
            "Foo: unknown section \"Mystery\"",
            "Foo: stray line \"(1.0% KOed / 2.0% switched out)\""
        ]
    );
}

#[test]
fn chaos_percentages_follow_the_moveset_report() {
    let report = chaos_gen1ou();
    assert_eq!(report.metagame.as_deref(), Some("gen1ou"));
    assert_eq!((report.cutoff, report.battles), (Some(1760), Some(9850)));
    assert!(report.teammate_deltas);
    assert_eq!(report.species.len(), 46);
    assert_eq!(report.skipped, []);

    // Ranked by usage: Tauros 0.964946, Snorlax 0.9052174, Exeggutor, Chansey.
    let top: Vec<&str> = report.species.iter().take(4).map(|s| s.name.as_str()).collect();
    assert_eq!(top, ["Tauros", "Snorlax", "Exeggutor", "Chansey"]);

    let tauros = &report.species[0];
    assert_eq!(tauros.rank, 1);
    assert!((tauros.usage.unwrap() - 96.4946).abs() < 1e-9);
    assert_eq!((tauros.raw_count, tauros.viability_ceiling), (Some(12874), Some(93)));
    // Move weight / total weight (2390.120627798), as python computes it from the file.
    let moves: Vec<(&str, &str)> =
        tauros.moves.shares.iter().take(4).map(|s| (s.name.as_str(), s.text.as_str())).collect();
    assert_eq!(
        moves,
        [("Body Slam", "99.915"), ("Hyper Beam", "99.643"), ("Blizzard", "98.852"), ("Earthquake", "94.486")]
    );
    // Four slots per set: move shares add up to 400%, the empty slot included.
    let sum: f64 = tauros.moves.shares.iter().map(|s| s.percent).sum();
    assert!((sum - 400.0).abs() < 1e-6, "{sum}");
    assert!(tauros.moves.get("Nothing").is_some());
    for b in [&tauros.abilities, &tauros.items, &tauros.spreads] {
        assert!((b.shares.iter().map(|s| s.percent).sum::<f64>() - 100.0).abs() < 1e-6);
    }
    assert_eq!(share(&tauros.items, "Nothing").1, "100.000");
    assert_eq!(share(&tauros.abilities, "Illuminate").1, "100.000");

    // Checks: score = 100 (p - 4d), best first.
    let chansey = report.get("Chansey").unwrap();
    let best = &chansey.checks_and_counters[0];
    assert_eq!((best.name.as_str(), best.score_text.as_str()), ("Victreebel", "64.821"));
    assert!((best.encounters.unwrap() - 49.1207964201).abs() < 1e-9);
    // Teammates are signed deltas; "empty" is not a teammate.
    assert_eq!(share(&chansey.teammates, "Starmie").1, "1.014");
    assert!(tauros.teammates.get("empty").is_none());
    assert!(chansey.teammates.shares.iter().any(|s| s.percent < 0.0));
}

#[test]
fn chaos_bad_species_are_skipped() {
    let json = r#"{"info": {"metagame": "gen9ou", "cutoff": 1695}, "data": {
            "Good": {"Abilities": {"levitate": 2.0}, "Moves": {"tackle": 8.0}, "usage": 0.5},
            "Weightless": {"Abilities": {}, "usage": 0.1},
            "Broken": {"Moves": "tackle"}
        }}"#;
    let report = parse_chaos(json).unwrap();
    assert_eq!(report.species.len(), 1);
    assert_eq!(share(&report.species[0].moves, "Tackle").1, "400.000");
    assert_eq!(share(&report.species[0].abilities, "Levitate").1, "100.000");
    let skipped: Vec<&str> = report.skipped.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(skipped, ["Weightless", "Broken"]);
    assert!(matches!(parse_chaos("{}"), Err(CorpusError::Malformed { what: "chaos stats", .. })));
    assert!(matches!(parse_chaos("{"), Err(CorpusError::Json { what: "chaos stats", .. })));
}
