use super::*;
use crate::dex::dex;

/// A hit with the fields ranking reads; `key` is `doc:v1:<format>:<pokemon>:<section>[:<set>]`.
fn hit(key: &str) -> SearchHit {
    let parts: Vec<&str> = key.split(':').collect();
    SearchHit {
        key: key.to_owned(),
        pokemon_id: parts[3].to_owned(),
        pokemon_name: parts[3].to_owned(),
        format: parts[2].to_owned(),
        section: parts[4].to_owned(),
        set_name: parts.get(5).map(|s| s.to_string()),
        source_url: String::new(),
        data_month: None,
        score: 0.0,
        text: String::new(),
    }
}

fn hits(keys: &[&str]) -> Vec<SearchHit> {
    keys.iter().map(|k| hit(k)).collect()
}

fn keys<T>(items: &[T], key: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| key(i).to_owned()).collect()
}

const A: &str = "doc:v1:gen9ou:kingambit:usage";
const B: &str = "doc:v1:gen9ou:greattusk:usage";
const C: &str = "doc:v1:gen9ou:zapdos:set:defensive";
const D: &str = "doc:v1:gen9ou:dragonite:overview";

#[test]
fn fusion_prefers_documents_both_retrievers_found() {
    let fused = reciprocal_rank_fusion(&[hits(&[A, B, C]), hits(&[C, D])], RRF_K);
    // C: 1/63 + 1/61; A: 1/61; B and D: 1/62 each, tied, so by key (dragonite before greattusk).
    assert_eq!(keys(&fused, |f| &f.hit.key), [C, A, D, B]);
    assert!((fused[0].rrf - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-12);
    assert_eq!(fused[0].found_by, [FoundBy { list: LEXICAL, rank: 3 }, FoundBy { list: SEMANTIC, rank: 1 }]);
    assert!(fused[0].found_by_list(LEXICAL) && fused[0].found_by_list(SEMANTIC));
    assert_eq!(fused[1].found_by, [FoundBy { list: LEXICAL, rank: 1 }]);
    assert!(!fused[1].found_by_list(SEMANTIC));
    assert_eq!(
        (retriever_name(LEXICAL), retriever_name(SEMANTIC), retriever_name(7)),
        ("lexical", "semantic", "other")
    );
}

#[test]
fn fusion_edge_cases() {
    assert!(reciprocal_rank_fusion(&[], RRF_K).is_empty());
    assert!(reciprocal_rank_fusion(&[vec![], vec![]], RRF_K).is_empty());
    // A key repeated in one list counts once, at its best rank.
    let fused = reciprocal_rank_fusion(&[hits(&[A, B, A])], RRF_K);
    assert_eq!(fused.len(), 2);
    assert_eq!(fused[0].found_by, [FoundBy { list: 0, rank: 1 }]);
    assert!((fused[0].rrf - 1.0 / 61.0).abs() < 1e-12);
    // The first list's copy of a hit is kept.
    let mut semantic = hit(A);
    semantic.score = 0.9;
    let fused = reciprocal_rank_fusion(&[hits(&[A]), vec![semantic]], RRF_K);
    assert_eq!(fused[0].hit.score, 0.0);
    // A bad k falls back to RRF_K; k = 0 is allowed.
    for k in [f64::NAN, -1.0, f64::INFINITY] {
        assert_eq!(reciprocal_rank_fusion(&[hits(&[A])], k)[0].rrf, 1.0 / 61.0);
    }
    assert_eq!(reciprocal_rank_fusion(&[hits(&[A])], 0.0)[0].rrf, 1.0);
    // Deterministic: order of equal scores does not depend on input order.
    let x = reciprocal_rank_fusion(&[hits(&[A]), hits(&[B])], RRF_K);
    let y = reciprocal_rank_fusion(&[hits(&[B]), hits(&[A])], RRF_K);
    assert_eq!(keys(&x, |f| &f.hit.key), keys(&y, |f| &f.hit.key));
}

fn ranked_keys(ranked: &[Ranked]) -> Vec<String> {
    keys(ranked, |r| &r.hit.key)
}

#[test]
fn named_pokemon_outranks_an_unrelated_document_both_retrievers_found() {
    // B: ranks 2 and 1 (1/62 + 1/61); A: rank 1 of one list (1/61), doubled when named.
    let lists = [hits(&[A, B]), hits(&[B, C])];
    let plain = rank(&lists, &RerankContext::default());
    assert_eq!(ranked_keys(&plain)[0], B);
    let ctx = RerankContext { query_pokemon: vec!["kingambit".into()], ..Default::default() };
    let ranked = rank(&lists, &ctx);
    assert_eq!(ranked_keys(&ranked)[0], A);
    assert_eq!(ranked[0].boosts.pokemon, POKEMON_BOOST);
    assert_eq!(ranked[1].boosts.pokemon, 0.0);
}

#[test]
fn format_and_section_boosts() {
    let gen1 = "doc:v1:gen1ou:zapdos:usage";
    let gen9 = "doc:v1:gen9ou:zapdos:usage";
    // Equal fusion scores (rank 1 of one list each); the requested format wins.
    let lists = [hits(&[gen1]), hits(&[gen9])];
    let ctx = RerankContext { format: Some("gen9ou".into()), ..Default::default() };
    let ranked = rank(&lists, &ctx);
    assert_eq!(ranked_keys(&ranked), [gen9, gen1]);
    assert_eq!((ranked[0].boosts.format, ranked[1].boosts.format), (FORMAT_BOOST, 0.0));

    // "counters" asks for usage: the usage document beats the set document...
    let lists = [hits(&[C]), hits(&[gen9])];
    let ctx = RerankContext {
        section_hint: infer_section_hint("zapdos counters").map(Into::into),
        ..Default::default()
    };
    assert_eq!(ranked_keys(&rank(&lists, &ctx)), [gen9, C]);
    // ... and "defensive set" asks for the set.
    let ctx = RerankContext { section_hint: Some("set".into()), ..Default::default() };
    let ranked = rank(&lists, &ctx);
    assert_eq!(ranked_keys(&ranked), [C, gen9]);
    assert_eq!(ranked[0].boosts.section, SECTION_BOOST);
    assert_eq!(ranked[1].boosts.section, SECTION_BOOST * 0.75);
    // An unknown hint boosts nothing.
    let ctx = RerankContext { section_hint: Some("recipes".into()), ..Default::default() };
    assert!(rank(&lists, &ctx).iter().all(|r| r.boosts.section == 0.0));
}

#[test]
fn section_fit_table() {
    for s in ["overview", "set", "comments", "usage"] {
        assert_eq!(section_fit(s, s), 1.0);
    }
    assert_eq!(section_fit("set", "usage"), 0.75);
    assert_eq!(section_fit("usage", "overview"), 0.5);
    assert_eq!(section_fit("usage", "comments"), 0.0);
    assert_eq!(section_fit("overview", "set"), 0.5);
    assert_eq!(section_fit("nonsense", "usage"), 0.0);
    for hint in ["overview", "set", "comments", "usage", "x"] {
        for section in ["overview", "set", "comments", "usage", "y"] {
            assert!((0.0..=1.0).contains(&section_fit(hint, section)));
        }
    }
}

fn dated(key: &str, month: Option<&str>) -> SearchHit {
    SearchHit { data_month: month.map(Into::into), ..hit(key) }
}

#[test]
fn freshness_penalises_stale_statistics() {
    let old = dated("doc:v1:gen9ou:kingambit:usage", Some("2023-06"));
    let mid = dated("doc:v1:gen9ou:greattusk:usage", Some("2024-03"));
    let new = dated("doc:v1:gen9ou:zapdos:usage", Some("2024-06"));
    let undated = dated(D, None);
    let fused: Vec<Fused> = [&old, &mid, &new, &undated]
        .into_iter()
        .map(|h| Fused { hit: h.clone(), rrf: 0.01, found_by: vec![FoundBy { list: 0, rank: 1 }] })
        .collect();
    let ctx = RerankContext { newest_month: Some("2024-06".into()), ..Default::default() };
    let ranked = rerank(fused.clone(), &ctx);
    let freshness: Vec<(&str, f64)> =
        ranked.iter().map(|r| (r.hit.pokemon_id.as_str(), r.boosts.freshness)).collect();
    // Undated and newest lose nothing (ties by key), 3 months behind a quarter, 12 all of it.
    assert_eq!(
        freshness,
        [
            ("dragonite", 0.0),
            ("zapdos", 0.0),
            ("greattusk", -FRESHNESS_PENALTY * 0.25),
            ("kingambit", -FRESHNESS_PENALTY),
        ]
    );
    // Without a newest month, nothing is stale.
    assert!(rerank(fused, &RerankContext::default()).iter().all(|r| r.boosts.freshness == 0.0));
    // A month that does not parse is as stale as it gets.
    let bad = Fused { hit: dated(A, Some("June 2024")), rrf: 0.01, found_by: vec![] };
    assert_eq!(rerank(vec![bad], &ctx)[0].boosts.freshness, -FRESHNESS_PENALTY);
    assert_eq!(
        (month_index("2024-01"), month_index("2024-13"), month_index("24-01")),
        (Some(24288), None, None)
    );
}

#[test]
fn boosts_are_bounded() {
    let max = POKEMON_BOOST + SECTION_BOOST + FORMAT_BOOST;
    assert!((max - 1.75).abs() < 1e-12, "the module docs promise at most 2.75x");
    let ctx = RerankContext {
        query_pokemon: vec!["kingambit".into()],
        format: Some("gen9ou".into()),
        section_hint: Some("usage".into()),
        newest_month: Some("2024-06".into()),
        ..Default::default()
    };
    let mut lexical = hits(&[A, B, C, D]);
    lexical[1].data_month = Some("2020-01".into());
    let ranked = rank(&[lexical, hits(&[D, C, B, A])], &ctx);
    for r in &ranked {
        assert!(r.score <= r.rrf * (1.0 + max) + 1e-12);
        assert!(r.score >= r.rrf * (1.0 - FRESHNESS_PENALTY) - 1e-12);
        assert!((r.score - r.rrf * (1.0 + r.boosts.total())).abs() < 1e-12);
    }
    assert_eq!(ranked[0].hit.key, A);
    assert!((ranked[0].boosts.total() - max).abs() < 1e-12);
    let stale = ranked.iter().find(|r| r.hit.key == B).unwrap();
    assert_eq!(stale.boosts.freshness, -FRESHNESS_PENALTY);
}

#[test]
fn a_job_question_ranks_who_does_it_best_one_passage_each() {
    let (tusk, treads) = ("doc:v1:gen9ou:skeledirge:usage", "doc:v1:gen9ou:irontreads:usage");
    let tusk_set = "doc:v1:gen9ou:skeledirge:set:rapid-spin";
    let ctx = RerankContext {
        role_strength: HashMap::from([("skeledirge".into(), 1.0), ("irontreads".into(), 0.5)]),
        role_list: Some(1),
        max_per_pokemon: Some(1),
        ..Default::default()
    };
    // The text search liked other documents better; the job's strength decides, for the
    // documents the role list returned (the statistics), not the Pokémon's other documents.
    let lexical = hits(&[tusk_set, A, B, treads, tusk]);
    let ranked = rank(&[lexical, hits(&[tusk, treads])], &ctx);
    assert_eq!(ranked_keys(&ranked)[..4], [tusk, treads, A, B]);
    assert_eq!(ranked[4].hit.key, tusk_set);
    assert_eq!(ranked[4].boosts.role, 0.0, "not evidence of the job");
    assert!(ranked[4].demoted, "one passage per Pokémon for a list of Pokémon");
    assert_eq!(ranked[0].boosts.role, ROLE_BOOST);
    assert_eq!(ranked[1].boosts.role, ROLE_BOOST * 0.5);
    assert!(ranked.iter().all(|r| r.boosts.role <= ROLE_BOOST));
}

#[test]
fn at_most_two_passages_per_unnamed_pokemon() {
    let dragonite = [
        "doc:v1:gen9ou:dragonite:overview",
        "doc:v1:gen9ou:dragonite:set:choice-band",
        "doc:v1:gen9ou:dragonite:set:dragon-dance",
        "doc:v1:gen9ou:dragonite:usage",
    ];
    let lexical = hits(&[dragonite[0], dragonite[1], dragonite[2], dragonite[3], A, B]);
    let ranked = rank(std::slice::from_ref(&lexical), &RerankContext::default());
    assert_eq!(ranked_keys(&ranked), [dragonite[0], dragonite[1], A, B, dragonite[2], dragonite[3]]);
    assert_eq!(ranked.iter().filter(|r| r.demoted).count(), 2);
    assert!(ranked[4].demoted && ranked[5].demoted && !ranked[3].demoted);

    // Named in the query: every Dragonite passage keeps its place.
    let ctx = RerankContext { query_pokemon: vec!["dragonite".into()], ..Default::default() };
    let ranked = rank(&[lexical], &ctx);
    assert_eq!(ranked_keys(&ranked)[..4], dragonite);
    assert!(ranked.iter().all(|r| !r.demoted));
}

#[test]
fn equal_scores_order_by_key() {
    let fused: Vec<Fused> =
        [C, A, D, B].into_iter().map(|k| Fused { hit: hit(k), rrf: 0.5, found_by: vec![] }).collect();
    let mut sorted = vec![A, B, C, D];
    sorted.sort();
    assert_eq!(ranked_keys(&rerank(fused, &RerankContext::default())), sorted);
}

#[test]
fn section_hints_from_wording() {
    let cases = [
        ("what checks Kingambit in gen9ou", Some("usage")),
        ("kingambt counters", Some("usage")),
        ("how do I beat Dragonite", Some("usage")),
        ("what walls Venusaur", Some("usage")),
        ("good teammates for Kingambit", Some("usage")),
        ("Venusaur partners on sun teams", Some("usage")),
        ("most used Pokemon in gen9ou", Some("usage")),
        ("best Zapdos set", Some("set")),
        ("Dragonite Dragon Dance EVs and nature", Some("set")),
        ("Tauros gen 1 OU moves", Some("set")),
        ("what item does Ninetales-Alola hold", Some("set")),
        ("Kingambit moveset", Some("set")),
        ("what role does Zapdos play in gen9ou", Some("overview")),
        ("Dragonite overview", Some("overview")),
        ("what does Dragonite do in OU", Some("overview")),
        ("what is Venusaur good for", Some("overview")),
        ("what is Alolan Ninetales used for", Some("overview")),
        ("how is Hisuian Arcanine used", None),
        ("Life Orb Outrage and Hurricane as other options", Some("comments")),
        ("alternatives to Heavy-Duty Boots", Some("comments")),
        // "spread" is EV wording; here it still finds the (Zapdos Defensive) set.
        ("defensive pivot that spreads status and builds momentum", Some("set")),
        ("which Pokemon has a 4x weakness to Ice", Some("overview")),
        ("sun sweeper that boosts with Growth under Chlorophyll", None),
        ("Kingambit", None),
        ("", None),
    ];
    for (query, hint) in cases {
        assert_eq!(infer_section_hint(query), hint, "{query}");
    }
}

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
