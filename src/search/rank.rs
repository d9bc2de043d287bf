//! Ranking for `query_strategy`: fuse the lexical (FTS5 BM25) and semantic (Vectorize) result
//! lists, then rerank with a few bounded, documented boosts.
//!
//! Pure and deterministic: no I/O, no clock, no randomness; every tie is broken by document key.
//!
//! ## Fusion
//!
//! [`reciprocal_rank_fusion`] is standard RRF (Cormack et al., 2009): a document's fused score is
//! `Σ 1 / (k + rank)` over the lists that returned it (rank 1-based, `k` = [`RRF_K`] = 60), so a
//! document both retrievers found outranks one only a single retriever found at a similar rank,
//! and raw scores of different scales (BM25, cosine) never have to be compared. Each fused
//! document remembers which lists found it, and at what rank ([`FoundBy`]).
//!
//! ## Boosts
//!
//! [`rerank`] multiplies the fused score by `1 + Σ boosts`, each boost bounded:
//!
//! | boost | max | when |
//! |---|---|---|
//! | pokemon | [`POKEMON_BOOST`] 1.0 | the document is about a Pokémon the query names (or the `pokemon` filter) |
//! | section | [`SECTION_BOOST`] 0.5 × fit | the section fits what the query asks for ([`section_fit`], hint from [`infer_section_hint`]) |
//! | format | [`FORMAT_BOOST`] 0.25 | the document's format is the requested one |
//! | role | [`ROLE_BOOST`] 2.0 × strength | the document shows a Pokémon doing the job the query asks for (it is about one of [`super::roles`]' candidates and came back in the role list, its statistics), scaled by its score relative to the best candidate's |
//! | freshness | −[`FRESHNESS_PENALTY`] 0.1 × staleness | a penalty: statistics of the newest month, and undated documents (analyses and sets are current by construction), get none; statistics `m` months older than the newest lose `0.1 × min(m / 12, 1)` |
//!
//! So a final score lies between 0.9 × and 4.75 × the fused score (role boosts only exist for a
//! question that asks for a job and names no Pokémon, so the Pokémon and role boosts never add). The scale is chosen against
//! RRF's own: one retriever's rank 1 is worth 1/61, both retrievers' rank 1 is 2/61, so the
//! Pokémon boost alone lets a named Pokémon's document found by one retriever tie an unrelated
//! document found by both, and the smaller boosts decide between documents of similar standing.
//!
//! ## Diversity
//!
//! After scoring, at most [`MAX_PER_POKEMON`] documents of one Pokémon stay in their place; the
//! others move, in score order, behind every document that did not have to move
//! ([`Ranked::demoted`]). Pokémon the query names are exempt: "Dragonite sets" should return
//! every Dragonite set. A question about a job ("who removes hazards") keeps one document per
//! Pokémon ([`RerankContext::max_per_pokemon`]): it asks for a list of Pokémon.
//!
//! ## Understanding the query
//!
//! [`infer_section_hint`] maps wording to a section ("counters" → usage, "EVs" → set, ...);
//! [`super::mentions`] finds the Pokémon a query names.

use std::collections::HashMap;

use serde::Serialize;

use super::hit::SearchHit;

/// RRF's `k`: large enough that the first few ranks of one list do not dominate.
pub(crate) const RRF_K: f64 = 60.0;

/// Which retrieval produced a ranked list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Retriever {
    /// BM25 over the question.
    Lexical,
    /// BM25 over one named Pokémon's own documents.
    Focused,
    /// The documents of the Pokémon that do the asked job (their statistics), by candidate.
    Roles,
    /// Vectorize over the question's embedding.
    Semantic,
}

/// One retriever's results, best first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RankedList {
    pub retriever: Retriever,
    pub hits: Vec<SearchHit>,
}

/// Boost for a document about a Pokémon the query names.
pub(crate) const POKEMON_BOOST: f64 = 1.0;
/// Boost for a perfect section fit (scaled by [`section_fit`]).
pub(crate) const SECTION_BOOST: f64 = 0.5;
/// Boost for a document of the requested format.
pub(crate) const FORMAT_BOOST: f64 = 0.25;
/// Boost for a document about the Pokémon that best does the asked job (scaled by strength).
pub(crate) const ROLE_BOOST: f64 = 2.0;
/// Largest penalty for stale statistics (scaled by staleness).
pub(crate) const FRESHNESS_PENALTY: f64 = 0.1;
/// Months behind the newest after which statistics get the whole penalty.
pub(crate) const FRESHNESS_MONTHS: f64 = 12.0;
/// Documents per Pokémon kept in place by the diversity pass (unnamed Pokémon only).
pub(crate) const MAX_PER_POKEMON: usize = 2;

/// One list that returned a document, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct FoundBy {
    pub retriever: Retriever,
    /// Index into the fused lists (several lists can come from one retriever).
    pub list: usize,
    /// 1-based rank in that list.
    pub rank: usize,
}

/// A document after fusion.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fused {
    /// The hit as the first list that returned it has it.
    pub hit: SearchHit,
    /// The RRF score.
    pub rrf: f64,
    /// Every list that returned the document, in list order.
    pub found_by: Vec<FoundBy>,
}

impl Fused {
    /// Whether a list of `retriever` returned this document.
    pub(crate) fn found_by(&self, retriever: Retriever) -> bool {
        self.found_by.iter().any(|f| f.retriever == retriever)
    }
}

/// Fuses ranked lists by reciprocal rank (see the module docs), best first; equal scores are
/// ordered by key. A key repeated within one list counts at its first (best) rank only. A `k`
/// that is negative or not finite is replaced by [`RRF_K`].
pub(crate) fn reciprocal_rank_fusion(lists: &[RankedList], k: f64) -> Vec<Fused> {
    let k = if k.is_finite() && k >= 0.0 { k } else { RRF_K };
    let mut fused: Vec<Fused> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (list, ranked) in lists.iter().enumerate() {
        for (i, hit) in ranked.hits.iter().enumerate() {
            let rank = i + 1;
            let slot = *index.entry(hit.key.as_str()).or_insert_with(|| {
                fused.push(Fused { hit: hit.clone(), rrf: 0.0, found_by: Vec::new() });
                fused.len() - 1
            });
            let entry = &mut fused[slot];
            if entry.found_by.iter().any(|f| f.list == list) {
                continue;
            }
            entry.found_by.push(FoundBy { retriever: ranked.retriever, list, rank });
            entry.rrf += 1.0 / (k + rank as f64);
        }
    }
    fused.sort_by(|a, b| b.rrf.total_cmp(&a.rrf).then_with(|| a.hit.key.cmp(&b.hit.key)));
    fused
}

/// What the reranker knows about the request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RerankContext {
    /// Canonical dex ids the query names or the `pokemon` filter gives.
    pub query_pokemon: Vec<String>,
    /// The requested format id, if any.
    pub format: Option<String>,
    /// The section the query asks for (`overview`, `set`, `comments`, `usage`).
    pub section_hint: Option<String>,
    /// Newest statistics month (`YYYY-MM`) in the index, for freshness (`None`: no penalty).
    pub newest_month: Option<String>,
    /// Pokémon that do the asked job → their strength relative to the best one, in (0, 1]. Only
    /// documents a [`Retriever::Roles`] list returned (their statistics) get the role boost, not
    /// every document about such a Pokémon.
    pub role_strength: HashMap<String, f64>,
    /// Documents kept in place per unnamed Pokémon (`None`: [`MAX_PER_POKEMON`]).
    pub max_per_pokemon: Option<usize>,
}

/// The boosts one document received (each already scaled; see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub(crate) struct Boosts {
    pub pokemon: f64,
    pub section: f64,
    pub format: f64,
    pub role: f64,
    pub freshness: f64,
}

impl Boosts {
    pub(crate) fn total(&self) -> f64 {
        self.pokemon + self.section + self.format + self.role + self.freshness
    }
}

/// A document after reranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Ranked {
    pub hit: SearchHit,
    /// `rrf × (1 + boosts.total())`.
    pub score: f64,
    pub rrf: f64,
    pub boosts: Boosts,
    pub found_by: Vec<FoundBy>,
    /// Moved back by the diversity pass.
    pub demoted: bool,
}

/// Scores `fused` with the boosts of `ctx`, sorts best first (ties by key), then applies the
/// per-Pokémon diversity cap (see the module docs).
pub(crate) fn rerank(fused: Vec<Fused>, ctx: &RerankContext) -> Vec<Ranked> {
    let newest = ctx.newest_month.as_deref().and_then(month_index);
    let mut ranked: Vec<Ranked> = fused
        .into_iter()
        .map(|f| {
            let role_evidence = f.found_by(Retriever::Roles);
            let boosts = boosts(&f.hit, ctx, newest, role_evidence);
            Ranked {
                score: f.rrf * (1.0 + boosts.total()),
                rrf: f.rrf,
                boosts,
                found_by: f.found_by,
                hit: f.hit,
                demoted: false,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.hit.key.cmp(&b.hit.key)));

    let cap = ctx.max_per_pokemon.unwrap_or(MAX_PER_POKEMON).max(1);
    let mut per_pokemon: HashMap<String, usize> = HashMap::new();
    let (mut kept, mut moved) = (Vec::with_capacity(ranked.len()), Vec::new());
    for mut r in ranked {
        let named = ctx.query_pokemon.contains(&r.hit.pokemon_id);
        let seen = per_pokemon.entry(r.hit.pokemon_id.clone()).or_insert(0);
        if named || *seen < cap {
            *seen += 1;
            kept.push(r);
        } else {
            r.demoted = true;
            moved.push(r);
        }
    }
    kept.extend(moved);
    kept
}

/// Fuses with [`RRF_K`] and reranks: the whole pipeline in one call.
#[cfg(test)]
pub(crate) fn rank(lists: &[RankedList], ctx: &RerankContext) -> Vec<Ranked> {
    rerank(reciprocal_rank_fusion(lists, RRF_K), ctx)
}

fn boosts(hit: &SearchHit, ctx: &RerankContext, newest: Option<i64>, role_evidence: bool) -> Boosts {
    let pokemon = if ctx.query_pokemon.contains(&hit.pokemon_id) { POKEMON_BOOST } else { 0.0 };
    let section =
        ctx.section_hint.as_deref().map_or(0.0, |hint| SECTION_BOOST * section_fit(hint, &hit.section));
    let format = if ctx.format.as_deref() == Some(hit.format.as_str()) { FORMAT_BOOST } else { 0.0 };
    let staleness = match (newest, hit.data_month.as_deref().map(month_index)) {
        // Undated documents, or nothing to compare with: current.
        (None, _) | (_, None) => 0.0,
        // A month that does not parse: as stale as it gets.
        (_, Some(None)) => 1.0,
        (Some(newest), Some(Some(month))) => ((newest - month).max(0) as f64 / FRESHNESS_MONTHS).min(1.0),
    };
    let role = match ctx.role_strength.get(&hit.pokemon_id) {
        Some(s) if role_evidence => ROLE_BOOST * s.clamp(0.0, 1.0),
        _ => 0.0,
    };
    Boosts { pokemon, section, format, role, freshness: -FRESHNESS_PENALTY * staleness }
}

/// `YYYY-MM` → months since year 0, or `None` when it is not a month.
fn month_index(month: &str) -> Option<i64> {
    let (year, month) = month.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let (year, month): (i64, i64) = (year.parse().ok()?, month.parse().ok()?);
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

/// How well a document `section` answers a query that asks for `hint`, in `[0, 1]`.
///
/// Usage documents hold the statistics (checks and counters, teammates) and the Smogon sets as
/// pastes, so they answer set questions too; analysis set documents discuss teammates and
/// threats, and the overview discusses checks, so they partly answer usage questions. An
/// unknown hint fits nothing (no boost for anyone).
pub(crate) fn section_fit(hint: &str, section: &str) -> f64 {
    match (hint, section) {
        (h, s) if h == s => 1.0,
        ("usage", "overview") => 0.5,
        ("usage", "set") => 0.25,
        ("set", "usage") => 0.75,
        ("set", "comments") => 0.25,
        ("overview", "set") => 0.5,
        ("overview", "usage" | "comments") => 0.25,
        ("comments", "set") => 0.5,
        ("comments", "overview") => 0.25,
        _ => 0.0,
    }
}

/// Words that ask for other options (the analysis `comments` section), separated by spaces.
const COMMENTS_WORDS: &str = "alternative alternatives option options comment comments";
/// Words that ask for statistics, counters or teammates (`usage` documents).
const USAGE_WORDS: &str = "counter countered check checked beat beating answer handle threat walls \
                           usage popular popularity common stat statistic teammate partner core pair \
                           vs versus";
/// Words that ask for a set.
const SET_WORDS: &str = "set moveset ev spread nature item move build tera iv ability abilities";
/// Words that ask what a Pokémon does (the analysis `overview`).
const OVERVIEW_WORDS: &str = "overview role niche playstyle strength weakness viable";

/// The section a query asks for, from its wording, or `None`.
///
/// Checked in this order, first match wins: other options/alternatives → `comments`;
/// counters, checks, "beat", "answer", "handle", threats, "most used", teammates, partners →
/// `usage`; set, moveset, EVs, spread, nature, item, moves, tera → `set`; overview, role, niche,
/// "what does X do", "what is X good/used for" → `overview`. Words are compared lowercased, as
/// written and with one trailing "s" removed ("checks" = "check").
pub(crate) fn infer_section_hint(query: &str) -> Option<&'static str> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let stem = |w: &str| match w.strip_suffix('s') {
        Some(stem) if stem.len() >= 2 && !stem.ends_with('s') => stem.to_owned(),
        _ => w.to_owned(),
    };
    let has =
        |list: &str| words.iter().any(|w| list.split_ascii_whitespace().any(|l| l == w || l == stem(w)));
    let word = |w: &str| words.iter().any(|x| x == w);
    if has(COMMENTS_WORDS) {
        Some("comments")
    } else if has(USAGE_WORDS) || query.to_lowercase().contains("most used") {
        Some("usage")
    } else if has(SET_WORDS) {
        Some("set")
    } else if has(OVERVIEW_WORDS)
        || (word("what") && ((word("does") && word("do")) || ((word("good") || word("used")) && word("for"))))
    {
        // ... or "what does X do", "what is X good / used for".
        Some("overview")
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
