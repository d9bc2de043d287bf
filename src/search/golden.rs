//! The labelled golden set for `query_strategy` (`tests/golden/queries.json`, described in
//! `tests/golden/README.md`) and a pure evaluator for it.
//!
//! Relevance is defined by what a document is about — (Pokémon, format, section[, set]) — not
//! by document keys or by any ranker's output, so labels survive key or ranking changes. A
//! result list is scored by the rank of its first relevant document:
//!
//! - **recall@5**: the share of queries with at least one relevant document in the top 5;
//! - **MRR**: the mean over queries of `1 / rank` of the first relevant document (0 when none
//!   is returned).
//!
//! The evaluator takes the results as a function, so the same code scores the running worker
//! (its `query_strategy` answers turned into [`SearchHit`]s), a local index or a test double.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::hit::SearchHit;
use crate::corpus::Format;
use crate::dex::to_id;

/// Where the golden set lives, relative to the crate root.
pub const GOLDEN_PATH: &str = "tests/golden/queries.json";

/// The depth of recall@k.
pub const RECALL_DEPTH: usize = 5;

/// Schema version of the golden file.
pub const GOLDEN_VERSION: u32 = 1;

/// The sections a label may name.
pub const SECTIONS: [&str; 4] = ["overview", "set", "comments", "usage"];

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenSet {
    pub version: u32,
    pub queries: Vec<GoldenQuery>,
}

/// One labelled query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenQuery {
    /// Stable, unique, kebab-case.
    pub id: String,
    /// What kind of question it is (`species`, `counters`, `sets`, ...), for per-category figures.
    #[serde(default)]
    pub category: String,
    /// The text passed as the tool's `query`.
    pub query: String,
    /// The tool arguments passed alongside.
    #[serde(default)]
    pub filters: Filters,
    /// Every document kind that answers the query, at least partly.
    pub relevant: Vec<Relevant>,
    /// Where in the data the answer is, quoting it ("..." fragments are verbatim document text).
    pub why: String,
}

/// The `query_strategy` filters of a query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pokemon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

/// A kind of document that answers a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relevant {
    /// Canonical dex id (`ninetalesalola`).
    pub pokemon: String,
    /// Format id (`gen9ou`).
    pub format: String,
    /// `overview`, `set`, `comments` or `usage`.
    pub section: String,
    /// For `set` documents: the set's name as the analysis gives it ("Dragon Dance + Tera Blast");
    /// without it, any set document of the Pokémon matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// 2: answers the question directly; 1: answers part of it. Both count as relevant for
    /// recall@5 and MRR; the grade is kept for graded metrics later.
    #[serde(default = "default_grade")]
    pub grade: u8,
}

fn default_grade() -> u8 {
    1
}

impl Relevant {
    /// Whether `hit` is a document of this kind (any `:partN` of it included).
    pub fn matches(&self, hit: &SearchHit) -> bool {
        to_id(&hit.pokemon_id) == self.pokemon
            && hit.format == self.format
            && hit.section == self.section
            && self.set.as_ref().is_none_or(|set| hit.set_name.as_deref() == Some(set.as_str()))
    }
}

impl GoldenQuery {
    /// Whether `hit` answers this query.
    pub fn is_relevant(&self, hit: &SearchHit) -> bool {
        self.relevant.iter().any(|r| r.matches(hit))
    }

    /// The 1-based rank of the first relevant hit, if any.
    pub fn first_relevant_rank(&self, hits: &[SearchHit]) -> Option<usize> {
        hits.iter().position(|h| self.is_relevant(h)).map(|i| i + 1)
    }
}

/// Parses the golden file.
pub fn parse(json: &str) -> Result<GoldenSet, serde_json::Error> {
    serde_json::from_str(json)
}

/// Everything wrong with a golden set's shape, one message per problem (empty when valid):
/// repeated or empty ids, unknown sections or formats, ids that are not canonical, a `set` on a
/// non-set label, grades other than 1 and 2, labels that contradict the query's own filters,
/// and a `why` without quoted evidence.
pub fn validate(set: &GoldenSet) -> Vec<String> {
    let mut problems = Vec::new();
    if set.version != GOLDEN_VERSION {
        problems.push(format!("version {} is not {GOLDEN_VERSION}", set.version));
    }
    let mut ids: Vec<&str> = Vec::new();
    for q in &set.queries {
        let mut problem = |what: String| problems.push(format!("{}: {what}", q.id));
        if q.id.is_empty() || q.id != q.id.to_lowercase() || q.id.contains(' ') {
            problem("id must be non-empty kebab-case".into());
        }
        if ids.contains(&q.id.as_str()) {
            problem("repeated id".into());
        }
        ids.push(&q.id);
        if q.query.trim().is_empty() {
            problem("empty query".into());
        }
        if q.relevant.is_empty() {
            problem("no relevant document".into());
        }
        if q.why.matches('"').count() < 2 || q.why.matches('"').count() % 2 != 0 {
            problem("why must quote its evidence in pairs of \"".into());
        }
        let f = &q.filters;
        for (name, value) in [("format", &f.format), ("pokemon", &f.pokemon), ("section", &f.section)] {
            if value.as_deref().is_some_and(str::is_empty) {
                problem(format!("empty {name} filter"));
            }
        }
        if let Some(section) = f.section.as_deref().filter(|s| !SECTIONS.contains(s)) {
            problem(format!("unknown section filter {section}"));
        }
        if let Some(format) = f.format.as_deref().filter(|v| Format::parse(v).map_or(true, |p| p.id() != *v))
        {
            problem(format!("format filter {format} is not a canonical format id"));
        }
        for r in &q.relevant {
            let label = format!("{}/{}/{}", r.pokemon, r.format, r.section);
            if r.pokemon.is_empty() || to_id(&r.pokemon) != r.pokemon {
                problem(format!("{label}: pokemon must be a canonical id"));
            }
            if Format::parse(&r.format).map_or(true, |f| f.id() != r.format) {
                problem(format!("{label}: format must be a canonical format id"));
            }
            if !SECTIONS.contains(&r.section.as_str()) {
                problem(format!("{label}: unknown section"));
            }
            if r.set.is_some() && r.section != "set" {
                problem(format!("{label}: only set labels name a set"));
            }
            if !(1..=2).contains(&r.grade) {
                problem(format!("{label}: grade must be 1 or 2"));
            }
            let contradicts =
                |filter: &Option<String>, value: &str| filter.as_deref().is_some_and(|v| v != value);
            if contradicts(&f.format, &r.format)
                || contradicts(&f.pokemon, &r.pokemon)
                || contradicts(&f.section, &r.section)
            {
                problem(format!("{label}: excluded by the query's own filters"));
            }
        }
        let mut labels: Vec<_> =
            q.relevant.iter().map(|r| (&r.pokemon, &r.format, &r.section, &r.set)).collect();
        labels.sort();
        if labels.windows(2).any(|w| w[0] == w[1]) {
            problem("repeated label".into());
        }
    }
    problems
}

/// How one query did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryOutcome {
    pub id: String,
    pub category: String,
    /// 1-based rank of the first relevant result.
    pub first_relevant_rank: Option<usize>,
    /// A relevant result within the first [`RECALL_DEPTH`].
    pub hit_at_5: bool,
    /// `1 / first_relevant_rank`, or 0.
    pub reciprocal_rank: f64,
    /// How many results came back.
    pub returned: usize,
}

/// The figures of a category (or of everything).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub queries: usize,
    pub recall_at_5: f64,
    pub mrr: f64,
}

impl Summary {
    fn of<'a>(outcomes: impl IntoIterator<Item = &'a QueryOutcome>) -> Summary {
        let (mut queries, mut hits, mut rr) = (0usize, 0usize, 0.0);
        for o in outcomes {
            queries += 1;
            hits += usize::from(o.hit_at_5);
            rr += o.reciprocal_rank;
        }
        let share = |x: f64| if queries == 0 { 0.0 } else { x / queries as f64 };
        Summary { queries, recall_at_5: share(hits as f64), mrr: share(rr) }
    }
}

/// The evaluation of a golden set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// Share of queries with a relevant result in the top [`RECALL_DEPTH`] (0 for no queries).
    pub recall_at_5: f64,
    /// Mean reciprocal rank of the first relevant result (0 for no queries).
    pub mrr: f64,
    /// One outcome per golden query, in golden order.
    pub per_query: Vec<QueryOutcome>,
}

impl Metrics {
    /// Figures per category, by category name.
    pub fn by_category(&self) -> BTreeMap<String, Summary> {
        let mut categories: BTreeMap<String, Vec<&QueryOutcome>> = BTreeMap::new();
        for o in &self.per_query {
            categories.entry(o.category.clone()).or_default().push(o);
        }
        categories.into_iter().map(|(name, outcomes)| (name, Summary::of(outcomes))).collect()
    }

    /// The queries without a relevant result in the top [`RECALL_DEPTH`].
    pub fn misses(&self) -> impl Iterator<Item = &QueryOutcome> {
        self.per_query.iter().filter(|o| !o.hit_at_5)
    }
}

/// Runs every golden query through `results` (best first) and scores the lists.
pub fn evaluate(golden: &[GoldenQuery], results: impl Fn(&GoldenQuery) -> Vec<SearchHit>) -> Metrics {
    let per_query: Vec<QueryOutcome> = golden
        .iter()
        .map(|q| {
            let hits = results(q);
            let rank = q.first_relevant_rank(&hits);
            QueryOutcome {
                id: q.id.clone(),
                category: q.category.clone(),
                first_relevant_rank: rank,
                hit_at_5: rank.is_some_and(|r| r <= RECALL_DEPTH),
                reciprocal_rank: rank.map_or(0.0, |r| 1.0 / r as f64),
                returned: hits.len(),
            }
        })
        .collect();
    let all = Summary::of(&per_query);
    Metrics { recall_at_5: all.recall_at_5, mrr: all.mrr, per_query }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::corpus::{build_format_corpus, parse_chaos, parse_moveset_report, shared_data, Document};

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
        assert!(!label("zapdos", "gen9ou", "usage", None).matches(&hit(
            "zapdosgalar",
            "gen9ou",
            "usage",
            None
        )));
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
        let filler = |n: usize| {
            (0..n).map(|i| hit(&format!("filler{i}"), "gen9ou", "usage", None)).collect::<Vec<_>>()
        };
        let metrics = evaluate(&golden, |q| match q.id.as_str() {
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
        let metrics =
            evaluate(&[query("q", "", vec![label("mew", "gen1ou", "usage", None)])], |_| Vec::new());
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
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "missing {expected:?} in {problems:#?}"
            );
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
        for category in
            ["species", "counters", "sets", "format", "misspelled", "natural", "gen1", "teammates"]
        {
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
            documents
                .extend(build_format_corpus(&parsed, &sets, analyses.as_deref(), stats).unwrap().documents);
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
                    by_format[r.format.as_str()].iter().filter(|h| r.matches(h)).collect();
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
            evaluate(&golden.queries, |q| hits.iter().filter(|h| q.is_relevant(h)).cloned().collect());
        assert_eq!((metrics.recall_at_5, metrics.mrr), (1.0, 1.0));
        // Returning nothing scores zero.
        let metrics = evaluate(&golden.queries, |_| Vec::new());
        assert_eq!((metrics.recall_at_5, metrics.mrr), (0.0, 0.0));
    }
}
