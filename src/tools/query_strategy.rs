//! `query_strategy`: passages from Smogon analyses and usage documents, retrieved lexically
//! (FTS5/BM25, always) and semantically (Vectorize, when bound), fused by reciprocal rank and
//! reranked; every passage carries its source URL so users can verify it.

use rmcp::model::{CallToolResult, JsonObject};
use serde::Serialize;

use super::backend::StrategyBackend;
use super::{args, get_popular_sets, respond, Render, ToolError};
use crate::corpus::Format;
use crate::dex::{dex, to_id};
use crate::search::hit::{SearchHit, SearchRequest, MAX_POKEMON_IDS};
use crate::search::rank::{RankedList, Retriever};
use crate::search::roles::{self, RoleCandidate};
use crate::search::understand::{understand, RoleAsk, Understood};
use crate::search::{mentions, rank};

pub(super) const NAME: &str = "query_strategy";
const DEFAULT_FORMAT: &str = "gen9ou";
const SECTIONS: [&str; 4] = ["overview", "set", "comments", "usage"];
/// Candidates fetched per retriever before fusion and reranking.
const CANDIDATES: u32 = 30;
/// Characters of passage text returned per result (the whole result stays well under ~100k).
const PASSAGE_CHARS: usize = 1_500;
/// Pokémon doing an asked job whose documents are searched (the best ones by `roles::candidates`).
const ROLE_CANDIDATES: usize = 12;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Output {
    pub query: String,
    pub format: String,
    pub results: Vec<Passage>,
    pub understood: Understanding,
    pub retrieval: Retrieval,
    pub degraded: bool,
    pub notes: Vec<String>,
}

/// What the question was taken to ask (see `search::understand`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Understanding {
    /// Where the format came from: `argument`, `query` (e.g. "DPP OU") or `default`.
    pub format_source: &'static str,
    /// Jobs asked for (`hazard-removal`, ...), answered with the Pokémon that do them.
    pub roles: Vec<&'static str>,
    /// Types those Pokémon must have ("Steel-type hazard removers").
    pub types: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Passage {
    pub rank: usize,
    pub pokemon: String,
    pub pokemon_name: String,
    pub format: String,
    pub section: String,
    pub set_name: Option<String>,
    pub score: f64,
    pub data_month: Option<String>,
    pub source_url: String,
    /// Why this Pokémon answers a question about a job (its share of the job's moves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub(super) struct Retrieval {
    pub lexical: &'static str,
    pub semantic: &'static str,
}

/// The arguments, checked; the question already understood.
#[derive(Debug)]
pub(super) struct Input {
    query: String,
    pokemon: Option<String>,
    pub(super) format: String,
    format_source: &'static str,
    section: Option<String>,
    limit: u32,
    understood: Understood,
}

impl Input {
    pub(super) fn parse(arguments: &JsonObject) -> Result<Self, ToolError> {
        parse(arguments).map_err(ToolError::InvalidArguments)
    }
}

fn parse(arguments: &JsonObject) -> Result<Input, String> {
    args::only(arguments, &["query", "pokemon", "format", "section", "limit"]).map_err(|e| e.to_string())?;
    let query = args::required_str(arguments, "query", 1000).map_err(|e| e.to_string())?.to_owned();
    let pokemon = match args::optional_str(arguments, "pokemon", 100).map_err(|e| e.to_string())? {
        Some(name) => Some(dex().species(name, None).map(|s| s.id.to_owned()).map_err(|e| e.to_string())?),
        None => None,
    };
    let understood = understand(&query);
    let (format, format_source) =
        match args::optional_str(arguments, "format", 40).map_err(|e| e.to_string())? {
            Some(f) => (Format::parse(f).map_err(|e| e.to_string())?.id().to_owned(), "argument"),
            None => match &understood.format {
                Some(f) => (f.clone(), "query"),
                None => (DEFAULT_FORMAT.to_owned(), "default"),
            },
        };
    let section = match args::optional_str(arguments, "section", 20).map_err(|e| e.to_string())? {
        Some(s) if SECTIONS.contains(&s) => Some(s.to_owned()),
        Some(s) => {
            return Err(format!(
                "argument \"section\" must be one of {} (got \"{}\")",
                SECTIONS.join(", "),
                s
            ))
        }
        None => None,
    };
    let limit = args::optional_int(arguments, "limit", 1, 20).map_err(|e| e.to_string())?.unwrap_or(5) as u32;
    Ok(Input { query, pokemon, format, format_source, section, limit, understood })
}

pub(super) async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    answer(backend, Input::parse(arguments)).await
}

/// The answer to an already parsed input.
pub(super) async fn answer(
    backend: &impl StrategyBackend,
    input: Result<Input, ToolError>,
) -> CallToolResult {
    match input {
        Ok(input) => respond(run(backend, input).await),
        Err(e) => e.into(),
    }
}

pub(super) async fn run(backend: &impl StrategyBackend, input: Input) -> Result<Output, ToolError> {
    let request = SearchRequest {
        query: input.query.clone(),
        limit: CANDIDATES.max(input.limit * 4),
        pokemon_id: input.pokemon.clone(),
        pokemon_ids: Vec::new(),
        section: input.section.clone(),
        phrase: false,
    };
    // Pokémon the query names (typos included) get a retrieval of their own: their documents
    // rarely repeat their name, while many others mention them as teammates or counters.
    let mentioned = match &input.pokemon {
        Some(p) => vec![p.clone()],
        None => mentions::mentioned_pokemon(&input.query, dex()),
    };
    let focused: Vec<SearchRequest> = match &input.pokemon {
        Some(_) => Vec::new(),
        None => mentioned
            .iter()
            .take(2)
            .map(|p| SearchRequest { pokemon_id: Some(p.clone()), ..request.clone() })
            .collect(),
    };
    // A question about a job that names no Pokémon ("who removes hazards") is answered with the
    // Pokémon that do it in the format, by its statistics (else its sets).
    let asks: &[RoleAsk] = if mentioned.is_empty() { &input.understood.roles } else { &[] };
    let most_used = mentioned.is_empty() && asks.is_empty() && input.understood.most_used;
    let searches: Vec<SearchRequest> = std::iter::once(request.clone()).chain(focused).collect();
    let (lexical, semantic, candidates) = futures::join!(
        backend.lexical_many(&input.format, &searches),
        backend.semantic(&input.format, &request),
        role_candidates(backend, &input.format, asks, &input.understood.types, most_used)
    );
    let mut lexical = lexical.into_iter();
    let (focused, lexical) = {
        let main = lexical.next().unwrap_or_else(|| Ok(Vec::new()));
        (lexical.collect::<Vec<_>>(), main)
    };
    let mut notes = Vec::new();
    let mut lists = Vec::new();
    let candidates = match candidates {
        Ok(c) => c,
        Err(e) => {
            notes.push(format!("Could not rank Pokémon by the job asked for: {e}."));
            Vec::new()
        }
    };
    if !asks.is_empty() && candidates.is_empty() {
        let jobs: Vec<&str> = asks.iter().map(|a| a.role.label()).collect();
        let types = match input.understood.types.as_slice() {
            [] => String::new(),
            t => format!(" as a {}-type", t.join("/")),
        };
        notes.push(format!(
            "No Pokémon in {}'s statistics or sets does {}{types}; showing text matches instead.",
            input.format,
            jobs.join(" and ")
        ));
    }
    let role_hits = match candidates.is_empty() {
        true => None,
        false => Some(role_documents(backend, &input.format, &candidates, &request).await),
    };
    let lexical_status = match lexical {
        Ok(hits) => {
            lists.push(RankedList { retriever: Retriever::Lexical, hits });
            lists.extend(
                focused
                    .into_iter()
                    .filter_map(Result::ok)
                    .map(|hits| RankedList { retriever: Retriever::Focused, hits }),
            );
            "ok"
        }
        Err(e) => {
            notes.push(format!("Lexical search failed: {e}."));
            "failed"
        }
    };
    match role_hits {
        Some(Ok(hits)) => lists.push(RankedList { retriever: Retriever::Roles, hits }),
        Some(Err(e)) => {
            notes.push(format!("Could not read the documents of the Pokémon that do the job: {e}."));
        }
        None => {}
    }
    let semantic_status = match semantic {
        None => "unavailable",
        Some(Ok(hits)) => {
            lists.push(RankedList { retriever: Retriever::Semantic, hits });
            "ok"
        }
        Some(Err(e)) => {
            notes.push(format!("Semantic search failed ({e}); results are lexical only."));
            "failed"
        }
    };
    if lists.is_empty() {
        return usage_fallback(backend, &input, &mentioned, lexical_status, semantic_status, notes).await;
    }
    let degraded = lexical_status == "failed" || semantic_status == "failed";
    if degraded {
        tracing::warn!(tool = NAME, lexical = lexical_status, semantic = semantic_status, "degraded answer");
    }
    let context = rank::RerankContext {
        query_pokemon: mentioned,
        format: Some(input.format.clone()),
        section_hint: input
            .section
            .clone()
            .or_else(|| rank::infer_section_hint(&input.query).map(str::to_owned))
            // A job is shown by the statistics of who does it.
            .or_else(|| (!candidates.is_empty()).then(|| "usage".to_owned())),
        newest_month: None,
        role_strength: role_strength(&candidates),
        max_per_pokemon: (!candidates.is_empty()).then_some(1),
    };
    let ranked = rank::rerank(rank::reciprocal_rank_fusion(&lists, 60.0), &context);
    let results: Vec<Passage> = ranked
        .into_iter()
        .take(input.limit as usize)
        .enumerate()
        .map(|(i, r)| {
            let why = candidates.iter().find(|c| c.pokemon_id == r.hit.pokemon_id).map(|c| c.why.clone());
            Passage { why, ..passage(i + 1, r.hit, r.score) }
        })
        .collect();
    if results.is_empty() {
        notes.push(format!(
            "No passages matched in {}. Try other words, another format, or drop filters.",
            input.format
        ));
    }
    let output = Output {
        understood: understanding(&input, asks),
        query: input.query,
        format: input.format,
        results,
        retrieval: Retrieval { lexical: lexical_status, semantic: semantic_status },
        degraded,
        notes,
    };
    Ok(output)
}

fn understanding(input: &Input, asks: &[RoleAsk]) -> Understanding {
    Understanding {
        format_source: input.format_source,
        roles: asks.iter().map(|a| a.role.id()).collect(),
        types: if asks.is_empty() { Vec::new() } else { input.understood.types.clone() },
    }
}

/// The Pokémon that do the asked jobs in `format` (or, for "most used", lead its usage
/// ranking), best first; empty when neither was asked.
async fn role_candidates(
    backend: &impl StrategyBackend,
    format: &str,
    asks: &[RoleAsk],
    types: &[String],
    most_used: bool,
) -> Result<Vec<RoleCandidate>, super::backend::BackendError> {
    let gen = Format::parse(format).map(|f| f.gen()).unwrap_or(crate::dex::MAX_GEN);
    if most_used {
        let usage = backend.usage(format).await?;
        return Ok(usage.map(|u| roles::most_used(&u.report, &u.month)).unwrap_or_default());
    }
    if asks.is_empty() {
        return Ok(Vec::new());
    }
    let (usage, sets) = futures::join!(backend.usage(format), backend.sets(format));
    let (usage, sets) = (usage?, sets?);
    let stats = usage.as_deref().map(|u| (&u.report, u.month.as_str()));
    Ok(roles::candidates_of_types(asks, types, gen, stats, sets.as_deref()))
}

/// The best candidates' usage documents (unless another section was asked for), which show what
/// they do the job with, in candidate order.
async fn role_documents(
    backend: &impl StrategyBackend,
    format: &str,
    candidates: &[RoleCandidate],
    base: &SearchRequest,
) -> Result<Vec<SearchHit>, super::backend::BackendError> {
    let top = &candidates[..candidates.len().min(ROLE_CANDIDATES.min(MAX_POKEMON_IDS))];
    // Their names too: a set may carry the job implied (an only ability is not printed).
    let mut words: Vec<&str> = Vec::new();
    // Members first: `fts_query` keeps the first 24 words.
    let members = top.iter().flat_map(|c| &c.members);
    for name in members.chain(top.iter().map(|c| &c.pokemon_name)) {
        if !words.contains(&name.as_str()) {
            words.push(name);
        }
    }
    let request = SearchRequest {
        query: words.join(" "),
        limit: 60,
        pokemon_id: None,
        pokemon_ids: top.iter().map(|c| c.pokemon_id.clone()).collect(),
        // The statistics (or, without any, the sets) that show the job live in usage documents.
        section: Some(base.section.clone().unwrap_or_else(|| "usage".to_owned())),
        phrase: false,
    };
    let mut hits = backend.lexical(format, &request).await?;
    let order = |h: &SearchHit| top.iter().position(|c| c.pokemon_id == h.pokemon_id).unwrap_or(usize::MAX);
    // Stable: within one Pokémon, BM25's order stays.
    hits.sort_by_key(order);
    Ok(hits)
}

/// Each candidate's score relative to the best one's.
fn role_strength(candidates: &[RoleCandidate]) -> std::collections::HashMap<String, f64> {
    let best = candidates.first().map_or(1.0, |c| c.score).max(f64::EPSILON);
    candidates.iter().take(ROLE_CANDIDATES).map(|c| (c.pokemon_id.clone(), c.score / best)).collect()
}

/// Search is down: for a named Pokémon, answer from usage statistics (its likeliest set,
/// teammates, checks and counters), flagged as degraded; otherwise say what is down.
async fn usage_fallback(
    backend: &impl StrategyBackend,
    input: &Input,
    mentioned: &[String],
    lexical: &'static str,
    semantic: &'static str,
    mut notes: Vec<String>,
) -> Result<Output, ToolError> {
    let unavailable = |notes: &[String]| ToolError::SearchUnavailable(notes.join(" "));
    let Some(pokemon) = mentioned.first() else { return Err(unavailable(&notes)) };
    let sets = match get_popular_sets::Input::newest(pokemon, &input.format) {
        Ok(sets_input) => get_popular_sets::run(backend, sets_input).await,
        Err(e) => Err(e),
    };
    let Ok(sets) = sets else { return Err(unavailable(&notes)) };
    let text = sets.render();
    notes.push("Answered from usage statistics instead of strategy search.".into());
    tracing::warn!(tool = NAME, lexical, semantic, fallback = "usage", "degraded answer");
    let result = Passage {
        rank: 1,
        pokemon: pokemon.clone(),
        pokemon_name: sets.name,
        format: input.format.clone(),
        section: "usage".into(),
        set_name: None,
        score: 0.0,
        data_month: sets.provenance.stats_month,
        source_url: sets.provenance.stats_source.unwrap_or_default(),
        why: None,
        text: text.chars().take(PASSAGE_CHARS).collect(),
    };
    let output = Output {
        understood: understanding(input, &[]),
        query: input.query.clone(),
        format: input.format.clone(),
        results: vec![result],
        retrieval: Retrieval { lexical, semantic },
        degraded: true,
        notes,
    };
    Ok(output)
}

fn passage(rank: usize, hit: SearchHit, score: f64) -> Passage {
    let text = if hit.text.chars().count() > PASSAGE_CHARS {
        let cut: String = hit.text.chars().take(PASSAGE_CHARS).collect();
        format!("{}…", cut.trim_end())
    } else {
        hit.text
    };
    Passage {
        rank,
        pokemon: to_id(&hit.pokemon_id),
        pokemon_name: hit.pokemon_name,
        format: hit.format,
        section: hit.section,
        set_name: hit.set_name,
        score: (score * 1e6).round() / 1e6,
        data_month: hit.data_month,
        source_url: hit.source_url,
        why: None,
        text,
    }
}

impl Render for Output {
    fn render(&self) -> String {
        let mut out = format!("Strategy passages for \"{}\" ({}):\n", self.query, self.format);
        for p in &self.results {
            let set = p.set_name.as_deref().map(|s| format!(" — {s}")).unwrap_or_default();
            let month = p.data_month.as_deref().map(|m| format!(", data {m}")).unwrap_or_default();
            let why = p.why.as_deref().map(|w| format!("Why: {w}\n")).unwrap_or_default();
            out.push_str(&format!(
                "\n{}. {} [{}{}]{} — source: {}\n{why}{}\n",
                p.rank, p.pokemon_name, p.section, set, month, p.source_url, p.text
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("\nNote: {n}"));
        }
        out
    }
}

#[cfg(test)]
mod tests;
