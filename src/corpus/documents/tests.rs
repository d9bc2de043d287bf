use super::chunk::chunk;
use super::*;
use crate::corpus::shared_data;
use crate::corpus::stats::{parse_chaos, parse_moveset_report};

fn gen9ou() -> Format {
    Format::parse("gen9ou").unwrap()
}

fn gen9ou_corpus() -> Corpus {
    let report = parse_moveset_report(&shared_data("smogon-stats/moveset-gen9ou-1695.txt")).unwrap();
    build_format_corpus(
        &gen9ou(),
        &shared_data("pkmn-sets/gen9ou.json"),
        Some(&shared_data("pkmn-analyses/gen9ou.subset.json")),
        Some((&report, "2024-06", 1695)),
    )
    .unwrap()
}

fn doc<'a>(corpus: &'a Corpus, key: &str) -> &'a Document {
    corpus.documents.iter().find(|d| d.key == key).unwrap_or_else(|| panic!("no {key}"))
}

#[test]
fn gen9ou_document_counts() {
    let corpus = gen9ou_corpus();
    // Analyses subset: Venusaur 1 set, Ninetales-Alola 1 set, Arcanine-Hisui a set without a
    // description (no document), Zapdos 2 sets, Dragonite overview + 5 sets + comments.
    // Usage: the 304 species of the moveset report, which include all 113 of the sets file.
    let expected =
        CorpusCounts { overview: 1, set: 9, comments: 1, usage: 304, documents: 315, split: 0, species: 304 };
    assert_eq!(corpus.counts, expected);
    assert_eq!(corpus.unknown_species, Vec::<String>::new());
    // The 4 repeated teammate lines of the moveset report.
    assert_eq!(corpus.skipped.len(), 4);

    let keys: HashSet<&str> = corpus.documents.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys.len(), corpus.documents.len(), "keys are unique");
    for d in &corpus.documents {
        assert!(d.text.len() <= MAX_TEXT_BYTES, "{} is {} bytes", d.key, d.text.len());
        assert_eq!((d.format.as_str(), d.generation), ("gen9ou", 9));
        assert!(
            d.source_url.starts_with("https://www.smogon.com/dex/sv/pokemon/")
                && d.source_url.ends_with("/ou/")
        );
        assert_eq!(d.content_hash.len(), 64);
    }
}

#[test]
fn analysis_documents() {
    let corpus = gen9ou_corpus();
    let overview = doc(&corpus, "doc:v1:gen9ou:dragonite:overview");
    assert_eq!((overview.pokemon_id.as_str(), overview.pokemon_name.as_str()), ("dragonite", "Dragonite"));
    assert_eq!(
        (overview.section, overview.set_name.as_ref(), overview.data_month.as_ref()),
        (Section::Overview, None, None)
    );
    assert!(overview
        .text
        .starts_with("Dragonite — overview (Smogon analysis, gen9ou)\n\nDragonite stands out as one"));
    assert!(overview
        .text
        .contains("\n\nWritten by Stads, Marnie, SpZ, Setsu and FayaWizard. Quality checked by "));
    assert!(overview.text.ends_with("Grammar checked by Tbolt, FavMon=Garchomp and adorluigi."));
    assert_eq!(overview.source_url, "https://www.smogon.com/dex/sv/pokemon/dragonite/ou/");

    // Set documents: the set name, its paste from the sets file, then the description.
    let set = doc(&corpus, "doc:v1:gen9ou:dragonite:set:dragon-dance-tera-blast");
    assert_eq!(set.set_name.as_deref(), Some("Dragon Dance + Tera Blast"));
    assert!(set
        .text
        .starts_with("Dragonite — Dragon Dance + Tera Blast (Smogon set, gen9ou)\n\nDragonite @ "));
    let venusaur = doc(&corpus, "doc:v1:gen9ou:venusaur:set:sun-sweeper");
    assert!(venusaur.text.contains("\n- Sludge Bomb / Earth Power / Earthquake\n"));
    assert!(venusaur.text.contains("\n\nVenusaur uses Chlorophyll and Growth"));
    assert!(venusaur
        .text
        .ends_with("Written by 1LDK. Quality checked by sequoia and FayaWizard. Grammar checked by Tbolt."));

    let ninetales = doc(&corpus, "doc:v1:gen9ou:ninetalesalola:set:aurora-veil");
    assert_eq!(ninetales.pokemon_name, "Ninetales-Alola");
    assert_eq!(ninetales.source_url, "https://www.smogon.com/dex/sv/pokemon/ninetales-alola/ou/");

    let comments = doc(&corpus, "doc:v1:gen9ou:dragonite:comments");
    assert!(comments.text.contains("\n\nOther Options\n\nDespite the wide variety"));
    assert!(!corpus.documents.iter().any(|d| d.key.starts_with("doc:v1:gen9ou:arcaninehisui:set")));
}

#[test]
fn usage_documents() {
    let corpus = gen9ou_corpus();
    let kingambit = doc(&corpus, "doc:v1:gen9ou:kingambit:usage");
    assert_eq!((kingambit.data_month.as_deref(), kingambit.cutoff), (Some("2024-06"), Some(1695)));
    let text = &kingambit.text;
    assert!(text.starts_with("Kingambit — usage statistics and sets (gen9ou)\n\n"));
    assert!(text.contains("usage rank #1 of 304, raw count 475322, viability ceiling 91."));
    assert!(text.contains("\nAbilities: Supreme Overlord 99.477%, Defiant 0.487%, Pressure 0.036%\n"));
    assert!(text.contains("\nItems: Leftovers 42.249%, Black Glasses 23.037%, Air Balloon 17.454%, "));
    assert!(text.contains("Heavy-Duty Boots 3.080%, other 4.509%\n"));
    assert!(text.contains("Okidogi 68.535 (82.78% ± 3.56%: 24.3% KOed, 58.4% switched out)"));
    assert!(text.contains("\n\nSwords Dance:\nKingambit @ Leftovers\nAbility: Supreme Overlord\n"));
    assert!(text.ends_with(
        "Sources: https://www.smogon.com/stats/2024-06/moveset/gen9ou-1695.txt; https://data.pkmn.cc/sets/gen9ou.json"
    ));

    // Ditto's empty move slots read as such.
    assert!(doc(&corpus, "doc:v1:gen9ou:ditto:usage")
        .text
        .contains("Moves: (empty slot) 300.000%, Transform 100.000%"));
}

#[test]
fn deterministic_keys_and_hashes() {
    let (a, b) = (gen9ou_corpus(), gen9ou_corpus());
    assert_eq!(a, b);

    // Editing one analysis changes that document's hash and no other.
    let analyses =
        shared_data("pkmn-analyses/gen9ou.subset.json").replacen("deadly sun sweeper", "deadly sweeper", 1);
    let report = parse_moveset_report(&shared_data("smogon-stats/moveset-gen9ou-1695.txt")).unwrap();
    let edited = build_format_corpus(
        &gen9ou(),
        &shared_data("pkmn-sets/gen9ou.json"),
        Some(&analyses),
        Some((&report, "2024-06", 1695)),
    )
    .unwrap();
    let changed: Vec<&str> = a
        .documents
        .iter()
        .zip(&edited.documents)
        .filter(|(x, y)| {
            assert_eq!(x.key, y.key);
            x.content_hash != y.content_hash
        })
        .map(|(x, _)| x.key.as_str())
        .collect();
    assert_eq!(changed, ["doc:v1:gen9ou:venusaur:set:sun-sweeper"]);

    // Metadata counts too: another month, every usage hash changes, keys stay.
    let other_month = build_format_corpus(
        &gen9ou(),
        &shared_data("pkmn-sets/gen9ou.json"),
        None,
        Some((&report, "2024-07", 1695)),
    )
    .unwrap();
    let before = doc(&a, "doc:v1:gen9ou:kingambit:usage");
    let after = doc(&other_month, "doc:v1:gen9ou:kingambit:usage");
    assert_ne!(before.content_hash, after.content_hash);
}

#[test]
fn sets_only_corpus() {
    let corpus = build_format_corpus(
        &Format::parse("gen1ou").unwrap(),
        &shared_data("pkmn-sets/gen1ou.json"),
        None,
        None,
    )
    .unwrap();
    // One usage document per species of the file (41), no statistics.
    assert_eq!((corpus.counts.usage, corpus.counts.documents), (41, 41));
    let tauros = doc(&corpus, "doc:v1:gen1ou:tauros:usage");
    assert_eq!((tauros.data_month.as_ref(), tauros.cutoff), (None, None));
    assert_eq!(
        tauros.text,
        "Tauros — usage statistics and sets (gen1ou)\n\nSmogon sets for Tauros in gen1ou:\n\nThe Bull:\nTauros\n\
         - Body Slam\n- Hyper Beam\n- Blizzard\n- Earthquake\n\nSources: https://data.pkmn.cc/sets/gen1ou.json"
    );
    assert_eq!(tauros.source_url, "https://www.smogon.com/dex/rb/pokemon/tauros/ou/");
}

#[test]
fn chaos_corpus_gen1ou() {
    let report = parse_chaos(&shared_data("smogon-stats/chaos-gen1ou-1760.json")).unwrap();
    let format = Format::parse("gen1ou").unwrap();
    let sets = shared_data("pkmn-sets/gen1ou.json");
    let corpus = build_format_corpus(&format, &sets, None, Some((&report, "2018-02", 1760))).unwrap();
    let tauros = doc(&corpus, "doc:v1:gen1ou:tauros:usage");
    assert!(tauros
        .text
        .contains("usage rank #1 of 46, on 96.495% of teams, raw count 12874, viability ceiling 93."));
    assert!(tauros
        .text
        .contains("\nMoves: Body Slam 99.915%, Hyper Beam 99.643%, Blizzard 98.852%, Earthquake 94.486%"));
    // Gen 1 placeholders (Illuminate, no item, Serious spreads) are left out.
    assert!(
        !tauros.text.contains("Abilities")
            && !tauros.text.contains("Items:")
            && !tauros.text.contains("Spreads")
    );
    assert!(tauros.text.contains("Teammates (change against their overall usage): "));
    assert!(tauros.text.contains("https://www.smogon.com/stats/2018-02/chaos/gen1ou-1760.json"));

    // Statistics of another format, month or cutoff are refused.
    let wrong_format = build_format_corpus(&gen9ou(), &sets, None, Some((&report, "2018-02", 1760)));
    assert!(matches!(wrong_format, Err(CorpusError::Malformed { what: "usage report", .. })));
    let wrong_cutoff = build_format_corpus(&format, &sets, None, Some((&report, "2018-02", 1630)));
    assert!(matches!(wrong_cutoff, Err(CorpusError::Malformed { .. })));
    let bad_month = build_format_corpus(&format, &sets, None, Some((&report, "Feb 2018", 1760)));
    assert_eq!(bad_month, Err(CorpusError::InvalidMonth("Feb 2018".into())));
}

#[test]
fn unknown_species_are_reported_and_indexed() {
    let sets = r#"{
        "Fakemon": {"Sweeper": {"moves": ["Tackle"]}},
        "Kingambit": {"SD": {"moves": ["Swords Dance"]}},
        "Fakemon-Alt": {"A": {"moves": ["Growl"]}},
        "???": {"A": {"moves": ["Growl"]}}
    }"#;
    let analyses = r#"{"Fakemon": {"overview": "<p>Made up.</p>", "sets": {}}}"#;
    let corpus = build_format_corpus(&gen9ou(), sets, Some(analyses), None).unwrap();
    assert_eq!(corpus.unknown_species, ["Fakemon", "Fakemon-Alt"]);
    let keys: Vec<&str> = corpus.documents.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "doc:v1:gen9ou:fakemon:overview",
            "doc:v1:gen9ou:fakemon:usage",
            "doc:v1:gen9ou:kingambit:usage",
            "doc:v1:gen9ou:fakemonalt:usage"
        ]
    );
    assert_eq!(corpus.documents[0].pokemon_name, "Fakemon");
    assert_eq!(corpus.skipped.len(), 1, "{:?}", corpus.skipped);
}

#[test]
fn colliding_set_slugs_get_suffixes() {
    let analyses = r#"{"Kingambit": {"sets": {
        "Choice Band": {"description": "<p>a</p>"},
        "Choice-Band!": {"description": "<p>b</p>"}
    }}}"#;
    let corpus = build_format_corpus(&gen9ou(), "{}", Some(analyses), None).unwrap();
    let keys: Vec<&str> = corpus.documents.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        ["doc:v1:gen9ou:kingambit:set:choice-band", "doc:v1:gen9ou:kingambit:set:choice-band-2"]
    );
}

#[test]
fn long_texts_are_split_into_parts() {
    let paragraph = format!("<p>{}</p>", "Kingambit sweeps. ".repeat(200)); // ~3.6 KB each
    let overview = paragraph.repeat(5);
    let analyses = serde_json::json!({"Kingambit": {"overview": overview, "sets": {}}}).to_string();
    let corpus = build_format_corpus(&gen9ou(), "{}", Some(&analyses), None).unwrap();
    assert_eq!((corpus.counts.split, corpus.counts.overview), (1, 3));
    for (i, d) in corpus.documents.iter().enumerate() {
        assert_eq!(d.key, format!("doc:v1:gen9ou:kingambit:overview:part{}", i + 1));
        assert!(d
            .text
            .starts_with(&format!("Kingambit — overview (Smogon analysis, gen9ou) (part {}/3)\n\n", i + 1)));
        assert!(d.text.len() <= MAX_TEXT_BYTES);
    }
    // Nothing is lost: the parts hold every sentence.
    let sentences: usize = corpus.documents.iter().map(|d| d.text.matches("Kingambit sweeps.").count()).sum();
    assert_eq!(sentences, 1000);
}

#[test]
fn chunking_falls_back_to_finer_breaks() {
    assert_eq!(chunk("aa\n\nbb\n\ncc", 6, &["\n\n", "\n", " "]), ["aa\n\nbb", "cc"]);
    assert_eq!(chunk("aaaa bbbb\n\ncc", 5, &["\n\n", "\n", " "]), ["aaaa", "bbbb", "cc"]);
    assert_eq!(chunk("ééé", 4, &[" "]), ["éé", "é"]);
    assert_eq!(slug("Dragon Dance + Tera Blast"), "dragon-dance-tera-blast");
    assert_eq!(slug("I'm you, but stronger"), "im-you-but-stronger");
    assert_eq!(slug("???"), "set");
}

#[test]
fn documents_serialize_camel_case() {
    let corpus = gen9ou_corpus();
    let json = serde_json::to_value(doc(&corpus, "doc:v1:gen9ou:zapdos:set:defensive")).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "key",
        "pokemonId",
        "pokemonName",
        "format",
        "generation",
        "section",
        "setName",
        "sourceUrl",
        "dataMonth",
        "cutoff",
        "text",
        "contentHash",
    ] {
        assert!(keys.contains(&key), "{key}");
    }
    assert_eq!(json["section"], "set");
    let back: Document = serde_json::from_value(json).unwrap();
    assert_eq!(&back, doc(&corpus, "doc:v1:gen9ou:zapdos:set:defensive"));
}
