use super::*;

/// A hit with the fields ranking reads; `key` is `doc:v1:<format>:<pokemon>:<section>[:<set>]`.
fn hit(key: &str) -> SearchHit {
    let parts: Vec<&str> = key.split(':').collect();
    SearchHit {
        key: key.to_owned(),
        pokemon_id: parts[3].to_owned(),
        pokemon_name: parts[3].to_owned(),
        format: parts[2].to_owned(),
        section: parts[4].to_owned(),
        set_name: parts.get(5).map(std::string::ToString::to_string),
        source_url: String::new(),
        data_month: None,
        score: 0.0,
        text: String::new(),
    }
}

fn hits(keys: &[&str]) -> Vec<SearchHit> {
    keys.iter().map(|k| hit(k)).collect()
}

fn list(retriever: Retriever, hits: Vec<SearchHit>) -> RankedList {
    RankedList { retriever, hits }
}

fn lexical(keys: &[&str]) -> RankedList {
    list(Retriever::Lexical, hits(keys))
}

fn semantic(keys: &[&str]) -> RankedList {
    list(Retriever::Semantic, hits(keys))
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
    let fused = reciprocal_rank_fusion(&[lexical(&[A, B, C]), semantic(&[C, D])], RRF_K);
    // C: 1/63 + 1/61; A: 1/61; B and D: 1/62 each, tied, so by key (dragonite before greattusk).
    assert_eq!(keys(&fused, |f| &f.hit.key), [C, A, D, B]);
    assert!((fused[0].rrf - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-12);
    assert_eq!(
        fused[0].found_by,
        [
            FoundBy { retriever: Retriever::Lexical, list: 0, rank: 3 },
            FoundBy { retriever: Retriever::Semantic, list: 1, rank: 1 }
        ]
    );
    assert!(fused[0].found_by(Retriever::Lexical) && fused[0].found_by(Retriever::Semantic));
    assert_eq!(fused[1].found_by, [FoundBy { retriever: Retriever::Lexical, list: 0, rank: 1 }]);
    assert!(!fused[1].found_by(Retriever::Semantic));
    // Two lists of one retriever stay two lists.
    let fused = reciprocal_rank_fusion(&[lexical(&[A]), list(Retriever::Lexical, hits(&[A]))], RRF_K);
    assert_eq!(fused[0].found_by.len(), 2);
    assert_eq!(serde_json::to_value(Retriever::Roles).unwrap(), "roles");
}

#[test]
fn fusion_edge_cases() {
    assert!(reciprocal_rank_fusion(&[], RRF_K).is_empty());
    assert!(reciprocal_rank_fusion(&[lexical(&[]), semantic(&[])], RRF_K).is_empty());
    // A key repeated in one list counts once, at its best rank.
    let fused = reciprocal_rank_fusion(&[lexical(&[A, B, A])], RRF_K);
    assert_eq!(fused.len(), 2);
    assert_eq!(fused[0].found_by, [FoundBy { retriever: Retriever::Lexical, list: 0, rank: 1 }]);
    assert!((fused[0].rrf - 1.0 / 61.0).abs() < 1e-12);
    // The first list's copy of a hit is kept.
    let mut near = hit(A);
    near.score = 0.9;
    let fused = reciprocal_rank_fusion(&[lexical(&[A]), list(Retriever::Semantic, vec![near])], RRF_K);
    assert_eq!(fused[0].hit.score, 0.0);
    // A bad k falls back to RRF_K; k = 0 is allowed.
    for k in [f64::NAN, -1.0, f64::INFINITY] {
        assert_eq!(reciprocal_rank_fusion(&[lexical(&[A])], k)[0].rrf, 1.0 / 61.0);
    }
    assert_eq!(reciprocal_rank_fusion(&[lexical(&[A])], 0.0)[0].rrf, 1.0);
    // Deterministic: order of equal scores does not depend on input order.
    let x = reciprocal_rank_fusion(&[lexical(&[A]), semantic(&[B])], RRF_K);
    let y = reciprocal_rank_fusion(&[lexical(&[B]), semantic(&[A])], RRF_K);
    assert_eq!(keys(&x, |f| &f.hit.key), keys(&y, |f| &f.hit.key));
}

fn ranked_keys(ranked: &[Ranked]) -> Vec<String> {
    keys(ranked, |r| &r.hit.key)
}

#[test]
fn named_pokemon_outranks_an_unrelated_document_both_retrievers_found() {
    // B: ranks 2 and 1 (1/62 + 1/61); A: rank 1 of one list (1/61), doubled when named.
    let lists = [lexical(&[A, B]), semantic(&[B, C])];
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
    let lists = [lexical(&[gen1]), semantic(&[gen9])];
    let ctx = RerankContext { format: Some("gen9ou".into()), ..Default::default() };
    let ranked = rank(&lists, &ctx);
    assert_eq!(ranked_keys(&ranked), [gen9, gen1]);
    assert_eq!((ranked[0].boosts.format, ranked[1].boosts.format), (FORMAT_BOOST, 0.0));

    // "counters" asks for usage: the usage document beats the set document...
    let lists = [lexical(&[C]), semantic(&[gen9])];
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
        .map(|h| Fused {
            hit: h.clone(),
            rrf: 0.01,
            found_by: vec![FoundBy { retriever: Retriever::Lexical, list: 0, rank: 1 }],
        })
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
    let mut text = hits(&[A, B, C, D]);
    text[1].data_month = Some("2020-01".into());
    let ranked = rank(&[list(Retriever::Lexical, text), semantic(&[D, C, B, A])], &ctx);
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
        max_per_pokemon: Some(1),
        ..Default::default()
    };
    // The text search liked other documents better; the job's strength decides, for the
    // documents the role list returned (the statistics), not the Pokémon's other documents.
    let text = lexical(&[tusk_set, A, B, treads, tusk]);
    let ranked = rank(&[text, list(Retriever::Roles, hits(&[tusk, treads]))], &ctx);
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
    let text = lexical(&[dragonite[0], dragonite[1], dragonite[2], dragonite[3], A, B]);
    let ranked = rank(std::slice::from_ref(&text), &RerankContext::default());
    assert_eq!(ranked_keys(&ranked), [dragonite[0], dragonite[1], A, B, dragonite[2], dragonite[3]]);
    assert_eq!(ranked.iter().filter(|r| r.demoted).count(), 2);
    assert!(ranked[4].demoted && ranked[5].demoted && !ranked[3].demoted);

    // Named in the query: every Dragonite passage keeps its place.
    let ctx = RerankContext { query_pokemon: vec!["dragonite".into()], ..Default::default() };
    let ranked = rank(&[text], &ctx);
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
