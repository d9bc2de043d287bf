use super::*;
use crate::tools::backend::{BackendError, FormatUsage, Source};
use futures::executor::block_on;
use serde_json::{json, Value};
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
            hits.into_iter().filter(|h| r.pokemon_id.as_ref().is_none_or(|p| *p == h.pokemon_id)).collect()
        })
    }
    async fn semantic(&self, _f: &str, _r: &SearchRequest) -> Option<Result<Vec<SearchHit>, BackendError>> {
        self.semantic.clone()
    }
    async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        Ok((format == "gen9ou").then(crate::tools::local_data::gen9ou_usage))
    }
    async fn sets(&self, _format: &str) -> Result<Option<Rc<crate::corpus::SetsFile>>, BackendError> {
        Ok(None)
    }
}

/// [`ScriptedBackend`] with a shared cache that holds `answer` (or nothing) and counts its use,
/// and that searches gen9ou in the isolate when `local`.
struct SharedLayer {
    base: ScriptedBackend,
    answer: Option<String>,
    local: bool,
    uses: std::cell::Cell<u32>,
}

impl SharedLayer {
    fn new(base: ScriptedBackend, answer: Option<String>, local: bool) -> Self {
        Self { base, answer, local, uses: std::cell::Cell::new(0) }
    }
}

impl StrategyBackend for SharedLayer {
    async fn lexical(&self, f: &str, r: &SearchRequest) -> Result<Vec<SearchHit>, BackendError> {
        self.base.lexical(f, r).await
    }
    async fn semantic(&self, f: &str, r: &SearchRequest) -> Option<Result<Vec<SearchHit>, BackendError>> {
        self.base.semantic(f, r).await
    }
    async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        self.base.usage(format).await
    }
    async fn sets(&self, format: &str) -> Result<Option<Rc<crate::corpus::SetsFile>>, BackendError> {
        self.base.sets(format).await
    }
    async fn searches_locally(&self, format: &str) -> bool {
        self.local && format == "gen9ou"
    }
    async fn shared_get(&self, _key: &str) -> Option<String> {
        self.uses.set(self.uses.get() + 1);
        self.answer.clone()
    }
    async fn shared_put(&self, _key: &str, _value: &str, _ttl_secs: u32) {
        self.uses.set(self.uses.get() + 1);
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
        semantic: Some(Err(BackendError::Timeout(Source::SemanticSearch))),
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
        semantic: Some(Err(BackendError::Timeout(Source::SemanticSearch))),
    });
    let expected = (Some("miss"), Some("semantic-failed".to_owned()));
    assert_eq!(call_with(&degraded), expected);
    assert_eq!(call_with(&degraded), expected, "degraded answers are not cached");

    // Another client's answer in the shared layer: not computed here, so not a "miss".
    let answer = serde_json::to_string(&CallToolResult::success(vec![])).unwrap();
    let shared = super::super::Porygon::with_backend(SharedLayer::new(
        ScriptedBackend { lexical: Err(BackendError::Timeout(Source::LexicalSearch)), semantic: None },
        Some(answer),
        false,
    ));
    assert_eq!(call_with_shared(&shared), (Some("shared"), None));
    assert_eq!(call_with_shared(&shared), (Some("hit"), None), "then this client's own cache has it");

    let fallback = super::super::Porygon::with_backend(ScriptedBackend {
        lexical: Err(BackendError::Unavailable(Source::LexicalSearch, "down".into())),
        semantic: None,
    });
    assert_eq!(call_with(&fallback).1.as_deref(), Some("usage-fallback"));
}

#[test]
fn a_format_searched_in_the_isolate_skips_the_shared_cache() {
    use crate::mcp::{McpHandler, RequestScope};
    let uses = |local: bool, args: Value| {
        let backend = SharedLayer::new(
            ScriptedBackend {
                lexical: Ok(vec![hit("kingambit", "usage", "Kingambit text")]),
                semantic: None,
            },
            None,
            local,
        );
        let server = super::super::Porygon::with_backend(backend);
        let scope = RequestScope::stateless(rmcp::model::ProtocolVersion::V_2025_06_18, 0);
        block_on(server.call_tool(NAME, args.as_object().unwrap().clone(), &scope)).unwrap();
        assert_eq!(scope.report.cache.get(), Some("miss"));
        server.backend.uses.get()
    };
    assert_eq!(uses(true, json!({"query": "kingambit"})), 0, "the default format is searched here");
    assert_eq!(uses(true, json!({"query": "kingambit", "format": "gen9uu"})), 2, "another format is not");
    assert_eq!(uses(false, json!({"query": "kingambit"})), 2, "get and put");
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
        lexical: Err(BackendError::Unavailable(Source::LexicalSearch, "index down".into())),
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
