use std::collections::{HashMap, HashSet};

use super::*;
use crate::corpus::documents::build_format_corpus;
use crate::corpus::{parse_chaos, parse_moveset_report, shared_data, Document};

fn hit(pokemon: &str, format: &str, section: &str, set: Option<&str>) -> SearchHit {
    let slug = set.map(|s| format!(":{}", to_id(s))).unwrap_or_default();
    SearchHit {
        key: format!("doc:v1:{format}:{pokemon}:{section}{slug}"),
        pokemon_id: pokemon.into(),
        pokemon_name: pokemon.into(),
        format: format.into(),
        section: section.into(),
        set_name: set.map(Into::into),
        source_url: String::new(),
        data_month: None,
        score: 0.0,
        text: String::new(),
    }
}

fn topics(hits: Vec<SearchHit>) -> Vec<Topic> {
    hits.iter().map(Topic::from).collect()
}

fn label(pokemon: &str, format: &str, section: &str, set: Option<&str>) -> Relevant {
    Relevant {
        pokemon: pokemon.into(),
        format: format.into(),
        section: section.into(),
        set: set.map(Into::into),
        grade: 2,
    }
}

fn query(id: &str, category: &str, relevant: Vec<Relevant>) -> GoldenQuery {
    GoldenQuery {
        id: id.into(),
        category: category.into(),
        query: id.into(),
        filters: Filters::default(),
        relevant,
        why: "\"evidence\"".into(),
    }
}

#[test]
fn labels_match_by_pokemon_format_section_and_set() {
    let any_set = label("zapdos", "gen9ou", "set", None);
    let defensive = label("zapdos", "gen9ou", "set", Some("Defensive"));
    let d = hit("zapdos", "gen9ou", "set", Some("Defensive"));
    let o = hit("zapdos", "gen9ou", "set", Some("Offensive"));
    assert!(any_set.matches(&d) && any_set.matches(&o));
    assert!(defensive.matches(&d) && !defensive.matches(&o));
    assert!(!defensive.matches(&hit("zapdos", "gen8ou", "set", Some("Defensive"))));
    assert!(!label("zapdos", "gen9ou", "usage", None).matches(&hit("zapdos", "gen9ou", "overview", None)));
    assert!(!label("zapdos", "gen9ou", "usage", None).matches(&hit("zapdosgalar", "gen9ou", "usage", None)));
    // Parts of a split document are the same document kind.
    let mut part = hit("dragonite", "gen9ou", "overview", None);
    part.key.push_str(":part2");
    assert!(label("dragonite", "gen9ou", "overview", None).matches(&part));
}

#[test]
fn recall_at_5_and_mrr() {
    let golden = vec![
        query("first", "a", vec![label("kingambit", "gen9ou", "usage", None)]),
        query("third", "a", vec![label("zapdos", "gen9ou", "set", Some("Defensive"))]),
        query("sixth", "b", vec![label("tauros", "gen1ou", "usage", None)]),
        query("missing", "b", vec![label("mew", "gen1ou", "usage", None)]),
    ];
    let filler =
        |n: usize| (0..n).map(|i| hit(&format!("filler{i}"), "gen9ou", "usage", None)).collect::<Vec<_>>();
    let metrics = evaluate(&golden, |q| {
        topics(match q.id.as_str() {
            "first" => {
                vec![hit("kingambit", "gen9ou", "usage", None), hit("kingambit", "gen9ou", "usage", None)]
            }
            "third" => {
                let mut hits = filler(2);
                hits.push(hit("zapdos", "gen9ou", "set", Some("Defensive")));
                hits
            }
            "sixth" => {
                let mut hits = filler(5);
                hits.push(hit("tauros", "gen1ou", "usage", None));
                hits
            }
            _ => filler(10),
        })
    });
    let ranks: Vec<Option<usize>> = metrics.per_query.iter().map(|o| o.first_relevant_rank).collect();
    assert_eq!(ranks, [Some(1), Some(3), Some(6), None]);
    assert_eq!(metrics.recall_at_5, 0.5, "rank 6 is outside the top 5");
    assert!((metrics.mrr - (1.0 + 1.0 / 3.0 + 1.0 / 6.0) / 4.0).abs() < 1e-12);
    assert_eq!(metrics.per_query[3].returned, 10);
    assert_eq!(metrics.misses().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["sixth", "missing"]);
    let by_category = metrics.by_category();
    assert_eq!(by_category["a"], Summary { queries: 2, recall_at_5: 1.0, mrr: (1.0 + 1.0 / 3.0) / 2.0 });
    assert_eq!(by_category["b"], Summary { queries: 2, recall_at_5: 0.0, mrr: 1.0 / 12.0 });
}

#[test]
fn no_queries_no_nan() {
    let metrics = evaluate(&[], |_| Vec::new());
    assert_eq!((metrics.recall_at_5, metrics.mrr, metrics.per_query.len()), (0.0, 0.0, 0));
    let metrics = evaluate(&[query("q", "", vec![label("mew", "gen1ou", "usage", None)])], |_| Vec::new());
    assert_eq!((metrics.recall_at_5, metrics.mrr), (0.0, 0.0));
}

#[test]
fn validation_catches_shape_errors() {
    let mut bad = query("Bad Id", "x", vec![label("Ninetales-Alola", "gen9ouu!", "sets", Some("A"))]);
    bad.relevant[0].grade = 3;
    bad.why = "no quotes".into();
    bad.filters.format = Some("gen1ou".into());
    let empty = query("empty", "x", vec![]);
    let twice = query(
        "empty",
        "x",
        vec![label("mew", "gen1ou", "usage", None), label("mew", "gen1ou", "usage", None)],
    );
    let problems = validate(&GoldenSet { version: 1, queries: vec![bad, empty, twice] });
    for expected in [
        "Bad Id: id must be non-empty kebab-case",
        "Bad Id: why must quote its evidence",
        "Bad Id: Ninetales-Alola/gen9ouu!/sets: pokemon must be a canonical id",
        "Bad Id: Ninetales-Alola/gen9ouu!/sets: format must be a canonical format id",
        "Bad Id: Ninetales-Alola/gen9ouu!/sets: unknown section",
        "Bad Id: Ninetales-Alola/gen9ouu!/sets: only set labels name a set",
        "Bad Id: Ninetales-Alola/gen9ouu!/sets: grade must be 1 or 2",
        "Bad Id: Ninetales-Alola/gen9ouu!/sets: excluded by the query's own filters",
        "empty: no relevant document",
        "empty: repeated id",
        "empty: repeated label",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(expected)), "missing {expected:?} in {problems:#?}");
    }
    assert_eq!(problems.len(), 11, "{problems:#?}");
}

/// The questions used while developing query understanding (tests/golden/README.md).
const TUNING_PATH: &str = "tests/golden/tuning.json";

fn golden_file() -> GoldenSet {
    read_set(GOLDEN_PATH)
}

fn read_set(file: &str) -> GoldenSet {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn golden_file_is_well_formed() {
    let golden = golden_file();
    assert_eq!(validate(&golden), Vec::<String>::new());
    assert!(golden.queries.len() >= 48, "{} queries", golden.queries.len());
    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    for q in &golden.queries {
        *categories.entry(q.category.as_str()).or_default() += 1;
        assert!(q.relevant.iter().any(|r| r.grade == 2), "{}: no directly relevant document", q.id);
    }
    for category in ["species", "counters", "sets", "format", "misspelled", "natural", "gen1", "teammates"] {
        assert!(categories.get(category).is_some_and(|&n| n >= 4), "{category}: {categories:?}");
    }
    assert!(golden.queries.iter().filter(|q| q.filters.format.is_some()).count() >= 8);
    // Issue #13: at least 40 questions about jobs, generation nicknames and tiers.
    let players = ["jobs", "shorthand", "tier"].iter().map(|c| categories.get(c).copied().unwrap_or(0));
    assert!(players.clone().all(|n| n >= 12) && players.sum::<usize>() >= 40, "{categories:?}");
}

/// Tuning questions steer development; the gate's questions must not be among them.
#[test]
fn the_tuning_set_is_separate_from_the_golden_set() {
    let (golden, tuning) = (golden_file(), read_set(TUNING_PATH));
    assert_eq!(validate(&tuning), Vec::<String>::new());
    let words = |q: &str| {
        q.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    for t in &tuning.queries {
        for g in &golden.queries {
            assert_ne!(t.id, g.id);
            assert_ne!(words(&t.query), words(&g.query), "{} repeats golden {}", t.id, g.id);
        }
    }
}

/// The local corpus as `scripts/load-local-corpus.mjs` ingests it: every sets file, the
/// gen9ou analyses subset, and the two statistics files with the months that script gives.
fn local_corpus(formats: &HashSet<&str>) -> Vec<Document> {
    let mut documents = Vec::new();
    for format in formats {
        let parsed = Format::parse(format).unwrap();
        let sets = shared_data(&format!("pkmn-sets/{format}.json"));
        let analyses = (*format == "gen9ou").then(|| shared_data("pkmn-analyses/gen9ou.subset.json"));
        let report = match *format {
            "gen9ou" => Some((
                parse_moveset_report(&shared_data("smogon-stats/moveset-gen9ou-1695.txt")).unwrap(),
                "2024-06",
                1695,
            )),
            "gen1ou" => Some((
                parse_chaos(&shared_data("smogon-stats/chaos-gen1ou-1760.json")).unwrap(),
                "2018-02",
                1760,
            )),
            _ => None,
        };
        let stats = report.as_ref().map(|(r, month, cutoff)| (r, *month, *cutoff));
        documents.extend(build_format_corpus(&parsed, &sets, analyses.as_deref(), stats).unwrap().documents);
    }
    documents
}

fn as_hit(d: &Document) -> SearchHit {
    SearchHit {
        key: d.key.clone(),
        pokemon_id: d.pokemon_id.clone(),
        pokemon_name: d.pokemon_name.clone(),
        format: d.format.clone(),
        section: d.section.as_str().to_owned(),
        set_name: d.set_name.clone(),
        source_url: d.source_url.clone(),
        data_month: d.data_month.clone(),
        score: 0.0,
        text: d.text.clone(),
    }
}

/// Every label names documents the local corpus has, and every quoted piece of evidence is
/// verbatim text of one of the query's relevant documents.
#[test]
fn golden_labels_resolve_against_the_local_corpus() {
    let mut golden = golden_file();
    golden.queries.extend(read_set(TUNING_PATH).queries);
    let formats: HashSet<&str> =
        golden.queries.iter().flat_map(|q| q.relevant.iter().map(|r| r.format.as_str())).collect();
    let hits: Vec<SearchHit> = local_corpus(&formats).iter().map(as_hit).collect();
    let mut by_format: HashMap<&str, Vec<&SearchHit>> = HashMap::new();
    for h in &hits {
        by_format.entry(h.format.as_str()).or_default().push(h);
    }
    for q in &golden.queries {
        let mut texts: Vec<&str> = Vec::new();
        for r in &q.relevant {
            let docs: Vec<&&SearchHit> =
                by_format[r.format.as_str()].iter().filter(|h| r.matches(**h)).collect();
            assert!(!docs.is_empty(), "{}: no document for {r:?}", q.id);
            texts.extend(docs.iter().map(|h| h.text.as_str()));
        }
        for quote in q.why.split('"').skip(1).step_by(2) {
            assert!(
                texts.iter().any(|t| t.contains(quote)),
                "{}: {quote:?} is in no relevant document",
                q.id
            );
        }
    }

    // An oracle that returns exactly the relevant documents scores perfectly.
    let metrics =
        evaluate(&golden.queries, |q| hits.iter().map(Topic::from).filter(|t| q.is_relevant(t)).collect());
    assert_eq!((metrics.recall_at_5, metrics.mrr), (1.0, 1.0));
    // Returning nothing scores zero.
    let metrics = evaluate(&golden.queries, |_| Vec::new());
    assert_eq!((metrics.recall_at_5, metrics.mrr), (0.0, 0.0));
}

/// The gate's report: figures per category, misses (with what came back, "error" or
/// "nothing"), relevant answers that were not first, and the verdict.
#[test]
fn report_lists_misses_late_answers_and_the_verdict() {
    let golden = vec![
        query("first", "a", vec![label("kingambit", "gen9ou", "usage", None)]),
        query("second", "a", vec![label("zapdos", "gen9ou", "set", Some("Defensive"))]),
        query("wrong", "b", vec![label("tauros", "gen1ou", "usage", None)]),
        query("failed", "b", vec![label("mew", "gen1ou", "usage", None)]),
        query("unanswered", "b", vec![label("mew", "gen1ou", "usage", None)]),
    ];
    let topic = |pokemon: &str, section: &str, set: Option<&str>| Topic {
        pokemon: pokemon.into(),
        format: "gen9ou".into(),
        section: section.into(),
        set_name: set.map(Into::into),
    };
    // Passages as the worker sends them: extra fields are ignored.
    let passages = serde_json::json!({
        "first": {"results": [{"pokemon": "kingambit", "format": "gen9ou", "section": "usage", "text": "…", "score": 3.5}]},
        "second": {"results": [topic("gholdengo", "usage", None), topic("zapdos", "set", Some("Defensive"))]},
        "wrong": {"results": [topic("zapdos", "set", Some("Offensive"))]},
        "failed": {"results": [], "isError": true},
    });
    let answers: BTreeMap<String, Answer> = serde_json::from_value(passages).unwrap();
    let (text, passed) = report("golden.json", &golden, &answers, Gate { min_recall: 0.4, min_mrr: 0.3 });
    assert!(passed, "{text}");
    for line in [
        "## Retrieval quality on 5 labelled queries of golden.json (lexical retrieval)",
        "| a | 2 | 1.00 | 0.75 |",
        "| b | 3 | 0.00 | 0.00 |",
        "| **all** | 5 | **0.400** | **0.300** |",
        "- wrong: \"wrong\" → zapdos/set/Offensive",
        "- failed: \"failed\" → error",
        "- unanswered: \"unanswered\" → nothing",
        "- second: \"second\" → first relevant at 2: gholdengo, zapdos",
        "gate: recall@5 ≥ 0.4, MRR ≥ 0.3: passed",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} missing from:\n{text}");
    }
    let (text, passed) = report("golden.json", &golden, &answers, Gate { min_recall: 0.5, min_mrr: 0.0 });
    assert!(!passed && text.contains("gate: recall@5 ≥ 0.5, MRR ≥ 0: FAILED"), "{text}");
}
