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
//! This is the only scorer: the gate in `make test` (`bench/golden.mjs` asks the running worker
//! and pipes its answers to `cargo run --example golden`, `bench/golden.rs`) and the unit tests
//! both call [`evaluate`] and [`report`]. A result is reduced to its [`Topic`] — what it is
//! about — so a worker's `query_strategy` passages, an index's [`SearchHit`]s and test doubles
//! are scored alike.

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

/// What one result is about: all that relevance looks at. Deserializes from a `query_strategy`
/// passage (`structuredContent.results[]`), whose other fields it ignores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Topic {
    /// A dex id or name (compared as an id).
    pub pokemon: String,
    pub format: String,
    pub section: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_name: Option<String>,
}

impl From<&SearchHit> for Topic {
    fn from(hit: &SearchHit) -> Self {
        Topic {
            pokemon: hit.pokemon_id.clone(),
            format: hit.format.clone(),
            section: hit.section.clone(),
            set_name: hit.set_name.clone(),
        }
    }
}

impl From<&Topic> for Topic {
    fn from(topic: &Topic) -> Self {
        topic.clone()
    }
}

impl Relevant {
    /// Whether a result (a [`Topic`], or anything that has one, e.g. a [`SearchHit`]) is a
    /// document of this kind (any `:partN` of it included).
    pub fn matches(&self, result: impl Into<Topic>) -> bool {
        let topic = result.into();
        to_id(&topic.pokemon) == self.pokemon
            && topic.format == self.format
            && topic.section == self.section
            && self.set.as_ref().is_none_or(|set| topic.set_name.as_deref() == Some(set.as_str()))
    }
}

impl GoldenQuery {
    /// Whether `result` answers this query.
    pub fn is_relevant(&self, result: &Topic) -> bool {
        self.relevant.iter().any(|r| r.matches(result))
    }

    /// The 1-based rank of the first relevant result, if any.
    pub fn first_relevant_rank(&self, results: &[Topic]) -> Option<usize> {
        results.iter().position(|t| self.is_relevant(t)).map(|i| i + 1)
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
pub fn evaluate(golden: &[GoldenQuery], results: impl Fn(&GoldenQuery) -> Vec<Topic>) -> Metrics {
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

/// A worker's answer to one golden query: its `query_strategy` result, reduced.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// `structuredContent.results`, best first.
    #[serde(default)]
    pub results: Vec<Topic>,
    /// The call failed (a tool error or a protocol error).
    #[serde(default)]
    pub is_error: bool,
}

/// The floor `make test` holds retrieval to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate {
    pub min_recall: f64,
    pub min_mrr: f64,
}

/// Scores `answers` (by query id; a query without one scores as answered with nothing) and
/// renders the markdown report — figures per category, misses, relevant answers that were not
/// first, the gate — with whether the gate passed.
pub fn report(
    file: &str,
    golden: &[GoldenQuery],
    answers: &BTreeMap<String, Answer>,
    gate: Gate,
) -> (String, bool) {
    let none = Answer::default();
    let answer = |q: &GoldenQuery| answers.get(&q.id).unwrap_or(&none);
    let metrics = evaluate(golden, |q| answer(q).results.clone());
    let mut out = format!(
        "## Retrieval quality on {} labelled queries of {file} (lexical retrieval)\n\n\
         | category | queries | recall@5 | MRR |\n| --- | --- | --- | --- |\n",
        golden.len()
    );
    for (category, s) in metrics.by_category() {
        out.push_str(&format!("| {category} | {} | {:.2} | {:.2} |\n", s.queries, s.recall_at_5, s.mrr));
    }
    out.push_str(&format!(
        "| **all** | {} | **{:.3}** | **{:.3}** |\n",
        golden.len(),
        metrics.recall_at_5,
        metrics.mrr
    ));
    let (mut misses, mut late) = (Vec::new(), Vec::new());
    for (q, outcome) in golden.iter().zip(&metrics.per_query) {
        let a = answer(q);
        match outcome.first_relevant_rank {
            Some(rank) if outcome.hit_at_5 && rank > 1 => {
                let names: Vec<&str> = a.results.iter().map(|t| t.pokemon.as_str()).collect();
                late.push(format!(
                    "- {}: \"{}\" → first relevant at {rank}: {}",
                    q.id,
                    q.query,
                    names.join(", ")
                ));
            }
            Some(_) if outcome.hit_at_5 => {}
            _ => {
                let got: Vec<String> = a
                    .results
                    .iter()
                    .map(|t| match &t.set_name {
                        Some(set) => format!("{}/{}/{set}", t.pokemon, t.section),
                        None => format!("{}/{}", t.pokemon, t.section),
                    })
                    .collect();
                let got = if !got.is_empty() {
                    got.join(", ")
                } else if a.is_error {
                    "error".to_owned()
                } else {
                    "nothing".to_owned()
                };
                misses.push(format!("- {}: \"{}\" → {got}", q.id, q.query));
            }
        }
    }
    if !misses.is_empty() {
        out.push_str(&format!("\nMisses:\n{}\n", misses.join("\n")));
    }
    if !late.is_empty() {
        out.push_str(&format!("\nAnswered, but not first:\n{}\n", late.join("\n")));
    }
    let passed = metrics.recall_at_5 >= gate.min_recall && metrics.mrr >= gate.min_mrr;
    out.push_str(&format!(
        "\ngate: recall@5 ≥ {}, MRR ≥ {}: {}\n",
        gate.min_recall,
        gate.min_mrr,
        if passed { "passed" } else { "FAILED" }
    ));
    (out, passed)
}

#[cfg(test)]
mod tests;
