//! `query_strategy`: passages from Smogon analyses and usage documents, retrieved lexically
//! (FTS5/BM25, always) and semantically (Vectorize, when bound), fused by reciprocal rank and
//! reranked; every passage carries its source URL so users can verify it.

use std::sync::Arc;

use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use serde::Serialize;
use serde_json::{json, Value};

use super::backend::StrategyBackend;
use super::{args, json_object};
use super::{structured, tool_error};
use crate::corpus::Format;
use crate::dex::{dex, to_id};
use crate::search::hit::{SearchHit, SearchRequest};
use crate::search::rank;

pub const NAME: &str = "query_strategy";
const DEFAULT_FORMAT: &str = "gen9ou";
const SECTIONS: [&str; 4] = ["overview", "set", "comments", "usage"];
/// Candidates fetched per retriever before fusion and reranking.
const CANDIDATES: u32 = 30;
/// Characters of passage text returned per result (the whole result stays well under ~100k).
const PASSAGE_CHARS: usize = 1_500;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub query: String,
    pub format: String,
    pub results: Vec<Passage>,
    pub retrieval: Retrieval,
    pub degraded: bool,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Passage {
    pub rank: usize,
    pub pokemon: String,
    pub pokemon_name: String,
    pub format: String,
    pub section: String,
    pub set_name: Option<String>,
    pub score: f64,
    pub data_month: Option<String>,
    pub source_url: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Retrieval {
    pub lexical: &'static str,
    pub semantic: &'static str,
}

pub fn tool() -> Tool {
    Tool::new(
        NAME,
        "Search competitive strategy written by Smogon (analyses: overviews, set descriptions, \
         comments) and usage statistics (abilities, items, moves, spreads, teammates, checks and \
         counters) for passages answering a question. Filters: pokemon, format (e.g. gen9ou; \
         default: a format named in the query, else gen9ou), section. Each result cites its source URL.",
        Arc::new(json_object(json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "A question or keywords, e.g. \"how does Kingambit win in OU\""},
                "pokemon": {"type": "string", "maxLength": 100, "description": "Only passages about this Pokémon"},
                "format": {"type": "string", "pattern": "^gen[1-9][a-z0-9]+$", "description": "Smogon format id, e.g. gen9ou"},
                "section": {"enum": SECTIONS, "description": "overview | set | comments | usage"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}
            },
            "required": ["query"],
            "additionalProperties": false
        }))),
    )
    .with_title("Query strategy")
    .with_raw_output_schema(Arc::new(json_object(output_schema())))
    .with_annotations(ToolAnnotations::with_title("Query strategy").read_only(true).destructive(false).idempotent(true).open_world(false))
}

struct Input {
    query: String,
    pokemon: Option<String>,
    format: String,
    section: Option<String>,
    limit: u32,
}

fn parse(arguments: &JsonObject) -> Result<Input, String> {
    args::only(arguments, &["query", "pokemon", "format", "section", "limit"]).map_err(|e| e.to_string())?;
    let query = args::required_str(arguments, "query", 1000).map_err(|e| e.to_string())?.to_owned();
    let pokemon = match args::optional_str(arguments, "pokemon", 100).map_err(|e| e.to_string())? {
        Some(name) => Some(dex().species(name, None).map(|s| s.id.to_owned()).map_err(|e| e.to_string())?),
        None => None,
    };
    let format = match args::optional_str(arguments, "format", 40).map_err(|e| e.to_string())? {
        Some(f) => Format::parse(f).map_err(|e| e.to_string())?.id().to_owned(),
        None => format_in(&query).unwrap_or_else(|| DEFAULT_FORMAT.to_owned()),
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
    Ok(Input { query, pokemon, format, section, limit })
}

/// A format named in the query: `gen4ou`, "gen 4 OU", "gen4" (→ OU), or a tier alone (→ gen 9).
fn format_in(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    const TIERS: [&str; 10] = ["ou", "uu", "ru", "nu", "pu", "ubers", "lc", "doublesou", "vgc", "uber"];
    let mut gen = None;
    let mut tier = None;
    for (i, w) in words.iter().enumerate() {
        if let Ok(f) = Format::parse(w) {
            if w.len() > 4 {
                return Some(f.id().to_owned());
            }
            gen = Some(f.gen());
        } else if let Some(g) =
            w.strip_prefix("gen").and_then(|d| d.parse::<u8>().ok()).filter(|g| (1..=9).contains(g))
        {
            gen = Some(g);
        } else if w == "gen" {
            gen = words.get(i + 1).and_then(|n| n.parse::<u8>().ok()).filter(|g| (1..=9).contains(g));
        } else if let Some(g) = generation_nickname(w) {
            gen = Some(g);
        } else if TIERS.contains(&w.as_str()) {
            tier = Some(if w == "uber" { "ubers" } else { w.as_str() });
        }
    }
    match (gen, tier) {
        (None, None) => None,
        (g, t) => Some(format!("gen{}{}", g.unwrap_or(9), t.unwrap_or("ou"))),
    }
}

/// The community's names for generations ("RBY OU" is gen 1 OU).
fn generation_nickname(word: &str) -> Option<u8> {
    Some(match word {
        "rby" => 1,
        "gsc" => 2,
        "adv" | "rse" => 3,
        "dpp" | "dp" => 4,
        "bw" | "bw2" => 5,
        "xy" | "oras" => 6,
        "sm" | "usum" => 7,
        "swsh" | "ss" => 8,
        "sv" => 9,
        _ => return None,
    })
}

pub async fn call(backend: &impl StrategyBackend, arguments: &JsonObject) -> CallToolResult {
    let input = match parse(arguments) {
        Ok(i) => i,
        Err(e) => return tool_error(format!("Invalid arguments: {e}")),
    };
    let request = SearchRequest {
        query: input.query.clone(),
        limit: CANDIDATES.max(input.limit * 4),
        pokemon_id: input.pokemon.clone(),
        section: input.section.clone(),
        phrase: false,
    };
    // Pokémon the query names (typos included) get a retrieval of their own: their documents
    // rarely repeat their name, while many others mention them as teammates or counters.
    let mentioned = match &input.pokemon {
        Some(p) => vec![p.clone()],
        None => rank::mentioned_pokemon(&input.query, dex()),
    };
    let focused: Vec<SearchRequest> = match &input.pokemon {
        Some(_) => Vec::new(),
        None => mentioned
            .iter()
            .take(2)
            .map(|p| SearchRequest { pokemon_id: Some(p.clone()), ..request.clone() })
            .collect(),
    };
    let (lexical, focused, semantic) = futures::join!(
        backend.lexical(&input.format, &request),
        futures::future::join_all(focused.iter().map(|r| backend.lexical(&input.format, r))),
        backend.semantic(&input.format, &request)
    );
    let mut notes = Vec::new();
    let mut lists = Vec::new();
    let lexical_status = match lexical {
        Ok(hits) => {
            lists.push(hits);
            lists.extend(focused.into_iter().filter_map(Result::ok));
            "ok"
        }
        Err(e) => {
            notes.push(format!("Lexical search failed: {e}."));
            "failed"
        }
    };
    let semantic_status = match semantic {
        None => "unavailable",
        Some(Ok(hits)) => {
            lists.push(hits);
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
            .or_else(|| rank::infer_section_hint(&input.query).map(str::to_owned)),
        newest_month: None,
    };
    let ranked = rank::rerank(rank::reciprocal_rank_fusion(&lists, 60.0), &context);
    let results: Vec<Passage> = ranked
        .into_iter()
        .take(input.limit as usize)
        .enumerate()
        .map(|(i, r)| passage(i + 1, r.hit, r.score))
        .collect();
    if results.is_empty() {
        notes.push(format!(
            "No passages matched in {}. Try other words, another format, or drop filters.",
            input.format
        ));
    }
    let output = Output {
        query: input.query,
        format: input.format,
        results,
        retrieval: Retrieval { lexical: lexical_status, semantic: semantic_status },
        degraded,
        notes,
    };
    structured(render(&output), serde_json::to_value(&output).unwrap_or(Value::Null))
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
) -> CallToolResult {
    let unavailable = || tool_error(format!("Strategy search is unavailable right now: {}", notes.join(" ")));
    let Some(pokemon) = mentioned.first() else { return unavailable() };
    let mut arguments = JsonObject::new();
    arguments.insert("pokemon".into(), pokemon.as_str().into());
    arguments.insert("format".into(), input.format.as_str().into());
    let sets = super::usage::call_sets(backend, &arguments).await;
    let (Some(false), Some(data)) = (sets.is_error, sets.structured_content.as_ref()) else {
        return unavailable();
    };
    let text = sets.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
    notes.push("Answered from usage statistics instead of strategy search.".into());
    tracing::warn!(tool = NAME, lexical, semantic, fallback = "usage", "degraded answer");
    let source =
        data.pointer("/provenance/statsSource").and_then(Value::as_str).unwrap_or_default().to_owned();
    let result = Passage {
        rank: 1,
        pokemon: pokemon.clone(),
        pokemon_name: data["name"].as_str().unwrap_or(pokemon).to_owned(),
        format: input.format.clone(),
        section: "usage".into(),
        set_name: None,
        score: 0.0,
        data_month: data.pointer("/provenance/statsMonth").and_then(Value::as_str).map(str::to_owned),
        source_url: source,
        text: text.chars().take(PASSAGE_CHARS).collect(),
    };
    let output = Output {
        query: input.query.clone(),
        format: input.format.clone(),
        results: vec![result],
        retrieval: Retrieval { lexical, semantic },
        degraded: true,
        notes,
    };
    structured(render(&output), serde_json::to_value(&output).unwrap_or(Value::Null))
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
        text,
    }
}

fn render(o: &Output) -> String {
    let mut out = format!("Strategy passages for \"{}\" ({}):\n", o.query, o.format);
    for p in &o.results {
        let set = p.set_name.as_deref().map(|s| format!(" — {s}")).unwrap_or_default();
        let month = p.data_month.as_deref().map(|m| format!(", data {m}")).unwrap_or_default();
        out.push_str(&format!(
            "\n{}. {} [{}{}]{} — source: {}\n{}\n",
            p.rank, p.pokemon_name, p.section, set, month, p.source_url, p.text
        ));
    }
    for n in &o.notes {
        out.push_str(&format!("\nNote: {n}"));
    }
    out
}

fn output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "format": {"type": "string"},
            "results": {"type": "array", "items": {"type": "object", "properties": {
                "rank": {"type": "integer"}, "pokemon": {"type": "string"}, "pokemonName": {"type": "string"},
                "format": {"type": "string"}, "section": {"type": "string"}, "setName": {"type": ["string", "null"]},
                "score": {"type": "number"}, "dataMonth": {"type": ["string", "null"]},
                "sourceUrl": {"type": "string"}, "text": {"type": "string"}
            }, "required": ["rank", "pokemon", "pokemonName", "format", "section", "score", "sourceUrl", "text"]}},
            "retrieval": {"type": "object", "properties": {
                "lexical": {"enum": ["ok", "failed"]}, "semantic": {"enum": ["ok", "failed", "unavailable"]}
            }, "required": ["lexical", "semantic"]},
            "degraded": {"type": "boolean"},
            "notes": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["query", "format", "results", "retrieval", "degraded", "notes"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::backend::{BackendError, FormatUsage};
    use futures::executor::block_on;
    use std::rc::Rc;

    /// An in-memory backend whose dependencies fail on demand (what Vectorize/AI and the index
    /// objects do in the cloud when they are down).
    struct ScriptedBackend {
        lexical: Result<Vec<SearchHit>, BackendError>,
        semantic: Option<Result<Vec<SearchHit>, BackendError>>,
    }

    impl StrategyBackend for ScriptedBackend {
        async fn lexical(&self, _f: &str, r: &SearchRequest) -> Result<Vec<SearchHit>, BackendError> {
            self.lexical.clone().map(|hits| {
                hits.into_iter()
                    .filter(|h| r.pokemon_id.as_ref().is_none_or(|p| *p == h.pokemon_id))
                    .collect()
            })
        }
        async fn semantic(
            &self,
            _f: &str,
            _r: &SearchRequest,
        ) -> Option<Result<Vec<SearchHit>, BackendError>> {
            self.semantic.clone()
        }
        async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
            let text = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/data/smogon-stats/moveset-gen9ou-1695.txt"
            ))
            .unwrap();
            let report = crate::corpus::parse_moveset_report(&text).unwrap();
            Ok((format == "gen9ou").then(|| {
                Rc::new(FormatUsage {
                    report,
                    month: "2024-06".into(),
                    cutoff: 1695,
                    source_url: "https://www.smogon.com/stats/2024-06/moveset/gen9ou-1695.txt".into(),
                })
            }))
        }
        async fn sets(&self, _format: &str) -> Result<Option<Rc<crate::corpus::SetsFile>>, BackendError> {
            Ok(None)
        }
    }

    fn hit(pokemon: &str, section: &str, text: &str) -> SearchHit {
        SearchHit {
            key: format!("doc:v1:gen9ou:{pokemon}:{section}"),
            pokemon_id: pokemon.into(),
            pokemon_name: pokemon.into(),
            format: "gen9ou".into(),
            section: section.into(),
            set_name: None,
            source_url: format!("https://www.smogon.com/dex/sv/pokemon/{pokemon}/ou/"),
            data_month: None,
            score: 1.0,
            text: text.into(),
        }
    }

    fn ask(backend: &ScriptedBackend, query: &str) -> (CallToolResult, Value) {
        let args = json!({"query": query}).as_object().unwrap().clone();
        let r = block_on(call(backend, &args));
        let v = r.structured_content.clone().unwrap_or(Value::Null);
        (r, v)
    }

    #[test]
    fn semantic_failure_degrades_to_lexical_and_says_so() {
        let b = ScriptedBackend {
            lexical: Ok(vec![hit("kingambit", "usage", "Kingambit text")]),
            semantic: Some(Err(BackendError::Timeout("semantic search"))),
        };
        let (r, v) = ask(&b, "kingambit");
        assert_eq!(r.is_error, Some(false));
        assert_eq!(v["degraded"], true);
        assert_eq!(v["retrieval"], json!({"lexical": "ok", "semantic": "failed"}));
        assert_eq!(v["results"][0]["pokemon"], "kingambit");
    }

    #[test]
    fn the_call_report_names_cache_outcome_and_degradation() {
        use crate::mcp::{McpHandler, RequestScope};
        fn call_with_shared<B: StrategyBackend>(
            server: &super::super::Porygon<B>,
        ) -> (Option<&'static str>, Option<String>) {
            let scope = RequestScope::stateless(rmcp::model::ProtocolVersion::V_2025_06_18, 0);
            let args = json!({"query": "kingambit"}).as_object().unwrap().clone();
            block_on(server.call_tool(NAME, args, &scope)).unwrap();
            let degradation = scope.report.degradation.borrow().clone();
            (scope.report.cache.get(), degradation)
        }
        let call_with = call_with_shared::<ScriptedBackend>;
        let healthy = super::super::Porygon::with_backend(ScriptedBackend {
            lexical: Ok(vec![hit("kingambit", "usage", "Kingambit text")]),
            semantic: Some(Ok(vec![])),
        });
        assert_eq!(call_with(&healthy), (Some("miss"), None));
        assert_eq!(call_with(&healthy), (Some("hit"), None));

        let degraded = super::super::Porygon::with_backend(ScriptedBackend {
            lexical: Ok(vec![hit("kingambit", "usage", "Kingambit text")]),
            semantic: Some(Err(BackendError::Timeout("semantic search"))),
        });
        let expected = (Some("miss"), Some("semantic-failed".to_owned()));
        assert_eq!(call_with(&degraded), expected);
        assert_eq!(call_with(&degraded), expected, "degraded answers are not cached");

        // Another client's answer in the shared layer: not computed here, so not a "miss".
        struct SharedHit(ScriptedBackend, String);
        impl StrategyBackend for SharedHit {
            async fn lexical(&self, f: &str, r: &SearchRequest) -> Result<Vec<SearchHit>, BackendError> {
                self.0.lexical(f, r).await
            }
            async fn semantic(
                &self,
                f: &str,
                r: &SearchRequest,
            ) -> Option<Result<Vec<SearchHit>, BackendError>> {
                self.0.semantic(f, r).await
            }
            async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
                self.0.usage(format).await
            }
            async fn sets(&self, format: &str) -> Result<Option<Rc<crate::corpus::SetsFile>>, BackendError> {
                self.0.sets(format).await
            }
            async fn shared_get(&self, _key: &str) -> Option<String> {
                Some(self.1.clone())
            }
        }
        let answer = serde_json::to_string(&CallToolResult::success(vec![])).unwrap();
        let shared = super::super::Porygon::with_backend(SharedHit(
            ScriptedBackend { lexical: Err(BackendError::Timeout("lexical search")), semantic: None },
            answer,
        ));
        assert_eq!(call_with_shared(&shared), (Some("shared"), None));
        assert_eq!(call_with_shared(&shared), (Some("hit"), None), "then this client's own cache has it");

        let fallback = super::super::Porygon::with_backend(ScriptedBackend {
            lexical: Err(BackendError::Unavailable("lexical search", "down".into())),
            semantic: None,
        });
        assert_eq!(call_with(&fallback).1.as_deref(), Some("usage-fallback"));
    }

    #[test]
    fn both_retrievers_fused_when_healthy() {
        let b = ScriptedBackend {
            lexical: Ok(vec![hit("zapdos", "set", "a"), hit("kingambit", "usage", "b")]),
            semantic: Some(Ok(vec![hit("kingambit", "usage", "b")])),
        };
        let (_, v) = ask(&b, "what beats it");
        assert_eq!(v["degraded"], false);
        assert_eq!(v["results"][0]["pokemon"], "kingambit", "found by both retrievers");
    }

    #[test]
    fn search_down_falls_back_to_usage_for_a_named_pokemon() {
        let b = ScriptedBackend {
            lexical: Err(BackendError::Unavailable("lexical search", "index down".into())),
            semantic: None,
        };
        let (r, v) = ask(&b, "Kingambit counters");
        assert_eq!(r.is_error, Some(false));
        assert_eq!(v["degraded"], true);
        assert_eq!(v["results"][0]["section"], "usage");
        assert!(v["results"][0]["text"].as_str().unwrap().contains("Supreme Overlord"));
        let (r, _) = ask(&b, "how do I build a rain team");
        assert_eq!(r.is_error, Some(true), "nothing named, nothing to fall back on");
        let text = serde_json::to_string(&r.content).unwrap();
        assert!(text.contains("index down"), "the error says what is down: {text}");
    }

    #[test]
    fn formats_named_in_queries() {
        assert_eq!(format_in("best gen4ou sets").as_deref(), Some("gen4ou"));
        assert_eq!(format_in("Gen 4 OU Garchomp").as_deref(), Some("gen4ou"));
        assert_eq!(format_in("gen4 garchomp").as_deref(), Some("gen4ou"));
        assert_eq!(format_in("UU threats").as_deref(), Some("gen9uu"));
        assert_eq!(format_in("best Snorlax set in RBY OU").as_deref(), Some("gen1ou"));
        assert_eq!(format_in("DPP UU Spiritomb").as_deref(), Some("gen4uu"));
        assert_eq!(format_in("how does Kingambit win").as_deref(), None);
    }
}
