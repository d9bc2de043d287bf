//! The whole Streamable HTTP machine, as tests/transport.rs builds it (real dispatcher, real
//! tools over `NoCorpus` or a small in-memory corpus, an in-memory session store that can be
//! made to fail, a controllable clock), behind the router's gate. Sequences of requests with
//! random headers and near-valid bodies: nothing panics, every status is a documented one (never
//! 500), every body is JSON-RPC, and ids are echoed when readable and never invented.

use std::cell::Cell;
use std::rc::Rc;

use porygon::{
    gate, parse_chaos, parse_sets, BackendError, Dispatcher, FormatUsage, GateConfig, Headers, HttpRequest,
    HttpResponse, MemorySessionStore, Method, NoCorpus, Porygon, SearchHit, SearchRequest, Session,
    SessionStore, SetsFile, Source, StoreError, StrategyBackend, Verdict, DEFAULT_IDLE_TTL_MS,
    MACHINE_HEADERS, SESSION_HEADER,
};
use proptest::prelude::*;
use rmcp::model::ErrorCode;
use serde_json::{json, Value};

use crate::jsonrpc::{
    arbitrary_json, body, expected_body, message, params_for, Kind, METHODS, PROMPTS, TOOLS, VERSIONS,
};
use crate::support::{config, nasty_text, Bytes};

use crate::common::{test_session_keys, OWNER};
/// What the gate may answer by itself (preflight, Origin, method, size, media types).
const GATE_STATUSES: [u16; 6] = [204, 403, 405, 406, 413, 415];
/// What the machine may answer. 503 only when storage fails.
const MACHINE_STATUSES: [u16; 7] = [200, 202, 204, 400, 404, 405, 503];
/// Bounds on what an error may carry back (the longest legitimate ones are a few hundred).
const MAX_ERROR_MESSAGE_CHARS: usize = 1_000;
const MAX_ERROR_DATA_BYTES: usize = 2_000;

// ---------------------------------------------------------------------------
// The world around the machine.

/// The in-memory store, failing every call while `failing` is set (Durable Object storage
/// errors: the machine must answer 503 + Retry-After, not 500).
#[derive(Default)]
struct FlakyStore {
    inner: MemorySessionStore,
    failing: Cell<bool>,
}

impl FlakyStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.failing.get() {
            Err(StoreError::Unavailable("injected failure".into()))
        } else {
            Ok(())
        }
    }
}

impl SessionStore for FlakyStore {
    fn load(&self, id: &str) -> Result<Option<Session>, StoreError> {
        self.check()?;
        self.inner.load(id)
    }
    fn save(&self, session: &Session) -> Result<(), StoreError> {
        self.check()?;
        self.inner.save(session)
    }
    fn remove(&self, id: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.remove(id)
    }
    fn evict_beyond(&self, max: usize) -> Result<usize, StoreError> {
        self.check()?;
        self.inner.evict_beyond(max)
    }
}

/// A small corpus: a few lexical hits, gen9ou sets and statistics, so the strategy tools run
/// their real paths (ranking, usage, sets, team threats) rather than stopping at "no corpus".
struct MemoryCorpus {
    sets: Rc<SetsFile>,
    usage: Rc<FormatUsage>,
}

impl MemoryCorpus {
    fn new() -> Self {
        let sets = parse_sets(&json!({
            "Kingambit": {"Swords Dance": {"moves": ["Swords Dance", ["Kowtow Cleave", "Iron Head"], "Sucker Punch", "Iron Head"],
                "ability": "Supreme Overlord", "item": ["Leftovers", "Black Glasses"], "nature": "Adamant",
                "teratypes": ["Dark", "Flying"], "evs": {"hp": 112, "atk": 252, "spe": 144}}},
            "Great Tusk": {"Bulky": {"moves": ["Headlong Rush", "Rapid Spin", "Knock Off", "Ice Spinner"],
                "ability": "Protosynthesis", "item": "Booster Energy", "nature": "Jolly", "evs": [{"atk": 252}, {"hp": 252}]}}
        }).to_string())
        .expect("sets");
        let chaos = json!({
            "info": {"metagame": "gen9ou", "cutoff": 1695, "number of battles": 1000},
            "data": {
                "Kingambit": {"Abilities": {"supremeoverlord": 90.0, "defiant": 10.0}, "Items": {"leftovers": 100.0},
                    "Spreads": {"Adamant:112/252/0/0/0/144": 100.0}, "Moves": {"swordsdance": 80.0, "kowtowcleave": 100.0},
                    "Tera Types": {"dark": 60.0}, "Teammates": {"Great Tusk": 30.0, "empty": 5.0},
                    "Checks and Counters": {"Great Tusk": [50.0, 0.6, 0.05]}, "usage": 0.3, "Raw count": 300,
                    "Viability Ceiling": [1000, 85, 70, 60]},
                "Great Tusk": {"Abilities": {"protosynthesis": 100.0}, "Items": {"boosterenergy": 100.0},
                    "Spreads": {"Jolly:0/252/0/0/4/252": 100.0}, "Moves": {"headlongrush": 100.0},
                    "Teammates": {"Kingambit": 30.0}, "Checks and Counters": {"Kingambit": [50.0, 0.4, 0.05]},
                    "usage": 0.25, "Raw count": 250}
            }
        });
        let report = parse_chaos(&chaos.to_string()).expect("chaos");
        let usage = FormatUsage {
            report,
            month: "2024-06".into(),
            cutoff: 1695,
            source_url: "https://www.smogon.com/stats/2024-06/chaos/gen9ou-1695.json".into(),
        };
        Self { sets: Rc::new(sets), usage: Rc::new(usage) }
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
        data_month: Some("2024-06".into()),
        score: 1.0,
        text: text.into(),
    }
}

impl StrategyBackend for MemoryCorpus {
    async fn lexical(&self, format: &str, r: &SearchRequest) -> Result<Vec<SearchHit>, BackendError> {
        if format != "gen9ou" {
            return Ok(Vec::new());
        }
        let hits = [
            hit("kingambit", "overview", "Kingambit is a premier late-game cleaner with Supreme Overlord."),
            hit("kingambit", "checks", "Great Tusk and Iron Valiant check Kingambit."),
            hit("greattusk", "sets", "Great Tusk runs Rapid Spin and Headlong Rush."),
        ];
        Ok(hits
            .into_iter()
            .filter(|h| r.pokemon_id.as_ref().is_none_or(|p| *p == h.pokemon_id))
            .filter(|h| r.section.as_ref().is_none_or(|s| *s == h.section))
            .take(r.limit as usize)
            .collect())
    }

    async fn semantic(&self, _f: &str, _r: &SearchRequest) -> Option<Result<Vec<SearchHit>, BackendError>> {
        Some(Err(BackendError::Timeout(Source::SemanticSearch)))
    }

    async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        Ok((format == "gen9ou").then(|| self.usage.clone()))
    }

    async fn sets(&self, format: &str) -> Result<Option<Rc<SetsFile>>, BackendError> {
        Ok((format == "gen9ou").then(|| self.sets.clone()))
    }
}

// ---------------------------------------------------------------------------
// Requests.

/// A header value; `Session(i)` names the i-th session id the run has seen (modulo their count).
#[derive(Debug, Clone)]
enum HeaderValue {
    Text(String),
    Session(usize),
    /// The revision the i-th session negotiated.
    VersionOf(usize),
}

#[derive(Debug, Clone)]
struct Step {
    method: Method,
    headers: Vec<(String, HeaderValue)>,
    body: Bytes,
    /// Clock advance before the request.
    advance_ms: i64,
    store_fails: bool,
}

fn case_variants(name: &'static str) -> impl Strategy<Value = String> {
    prop::sample::select(vec![name.to_owned(), name.to_ascii_lowercase(), name.to_ascii_uppercase()])
}

fn text(values: Vec<&'static str>) -> BoxedStrategy<HeaderValue> {
    prop_oneof![
        6 => prop::sample::select(values).prop_map(|v| HeaderValue::Text(v.to_owned())),
        1 => nasty_text().prop_map(HeaderValue::Text),
    ]
    .boxed()
}

fn base64_wrapped(s: &str) -> String {
    use base64::Engine;
    format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(s))
}

/// One header of those that matter here, any case, any value (plus unrelated ones).
fn header() -> BoxedStrategy<(String, HeaderValue)> {
    let mut names: Vec<&'static str> = TOOLS.to_vec();
    names.extend(PROMPTS);
    names.extend(["pokemon://dex/Garchomp", "pokemon://typechart/9", "", " get_pokemon "]);
    let mcp_name = prop_oneof![
        3 => prop::sample::select(names.clone()).prop_map(|n| HeaderValue::Text(n.to_owned())),
        2 => prop::sample::select(names).prop_map(|n| HeaderValue::Text(base64_wrapped(n))),
        1 => Just(HeaderValue::Text("=?base64?not base64!?=".into())),
        1 => Just(HeaderValue::Text(format!("=?base64?{}?=", "/w=="))),
        1 => nasty_text().prop_map(|t| HeaderValue::Text(base64_wrapped(&t))),
        1 => nasty_text().prop_map(HeaderValue::Text),
    ];
    let session = prop_oneof![
        4 => any::<usize>().prop_map(HeaderValue::Session),
        1 => Just(HeaderValue::Text(format!("{}.{}", "f".repeat(32), "0".repeat(32)))),
        1 => Just(HeaderValue::Text(format!("{OWNER}.{}", "0".repeat(32)))),
        1 => nasty_text().prop_map(HeaderValue::Text),
    ];
    let mut versions = VERSIONS.to_vec();
    versions.extend(["2024-01-01", "", " 2025-06-18 ", "2025-06-18, 2025-06-18", "2025-06-18, 2025-03-26"]);
    prop_oneof![
        3 => (case_variants("MCP-Protocol-Version"), text(versions)),
        3 => (case_variants("Mcp-Session-Id"), session.boxed()),
        2 => (case_variants("Mcp-Method"), text(METHODS.to_vec())),
        2 => (case_variants("Mcp-Name"), mcp_name.boxed()),
        1 => (case_variants("Accept"), text(vec!["application/json, text/event-stream", "*/*", "text/html", "", "application/*;q=0.1", "text/event-stream"])),
        1 => (case_variants("Content-Type"), text(vec!["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", ""])),
        1 => (case_variants("Origin"), text(vec!["https://claude.ai", "https://evil.test", "null", ""])),
        1 => (case_variants("Content-Length"), text(vec!["0", "1048576", "1048577", "-1", "99999999999999999999999"])),
        1 => (nasty_text(), nasty_text().prop_map(HeaderValue::Text)),
    ].boxed()
}

fn http_method() -> BoxedStrategy<Method> {
    prop_oneof![
        12 => Just(Method::Post),
        2 => Just(Method::Delete),
        1 => Just(Method::Get),
        1 => Just(Method::Options),
        1 => Just(Method::Head),
        1 => Just(Method::Other),
    ]
    .boxed()
}

/// How a well-behaved client would address a request.
#[derive(Debug, Clone, Copy)]
enum Addressing {
    /// 2026-07-28: the revision header, `_meta`, `Mcp-Method` and `Mcp-Name`.
    Stateless,
    /// A session the run knows, with its own revision (or none) in the header.
    Session(usize, bool),
    /// No session: an older revision in the header, or none.
    Sessionless(Option<&'static str>),
}

fn addressing() -> BoxedStrategy<Addressing> {
    prop_oneof![
        3 => Just(Addressing::Stateless),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(i, v)| Addressing::Session(i, v)),
        2 => prop::option::of(prop::sample::select(VERSIONS[..4].to_vec())).prop_map(Addressing::Sessionless),
    ]
    .boxed()
}

/// Headers that agree with the body, as a well-behaved client sends them — sometimes with a
/// random header on top.
fn coherent() -> BoxedStrategy<(Vec<(String, HeaderValue)>, Bytes)> {
    let method = prop_oneof![
        6 => Just("tools/call"),
        2 => prop::sample::select(vec!["prompts/get", "resources/read", "completion/complete", "initialize"]),
        3 => prop::sample::select(METHODS.to_vec()),
    ];
    (
        method,
        addressing(),
        any::<bool>(),
        prop::bool::weighted(0.9),
        prop::collection::vec(header(), 0..2),
        prop::bool::weighted(0.2),
        0i64..50,
    )
        .prop_flat_map(|(method, addressing, base64, routing_headers, extra, use_extra, id)| {
            (params_for(method), Just((method, addressing, base64, routing_headers, extra, use_extra, id)))
        })
        .prop_map(|(mut params, (method, addressing, base64, routing_headers, extra, use_extra, id))| {
            let stateless = matches!(addressing, Addressing::Stateless);
            if let (true, Value::Object(p)) = (stateless && routing_headers, &mut params) {
                p.insert(
                    "_meta".into(),
                    json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}),
                );
            }
            let mut msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
            if !method.starts_with("notifications/") {
                msg["id"] = json!(id);
            }
            let mut headers = vec![("Content-Type".to_owned(), HeaderValue::Text("application/json".into()))];
            let text = |v: &str| HeaderValue::Text(v.to_owned());
            match addressing {
                Addressing::Stateless => headers.push(("MCP-Protocol-Version".into(), text("2026-07-28"))),
                Addressing::Session(i, with_version) => {
                    headers.push((SESSION_HEADER.into(), HeaderValue::Session(i)));
                    if with_version {
                        headers.push(("MCP-Protocol-Version".into(), HeaderValue::VersionOf(i)));
                    }
                }
                Addressing::Sessionless(Some(v)) => headers.push(("MCP-Protocol-Version".into(), text(v))),
                Addressing::Sessionless(None) => {}
            }
            if stateless || routing_headers {
                headers.push(("Mcp-Method".into(), text(method)));
                let name = msg["params"].get("name").or_else(|| msg["params"].get("uri")).and_then(Value::as_str);
                if let Some(name) = name {
                    let value = if base64 { base64_wrapped(name) } else { name.to_owned() };
                    headers.push(("Mcp-Name".into(), HeaderValue::Text(value)));
                }
            }
            if use_extra {
                headers.extend(extra);
            }
            (headers, Bytes(serde_json::to_vec(&msg).unwrap()))
        })
        .boxed()
}

fn step() -> BoxedStrategy<Step> {
    let request = prop_oneof![
        2 => (prop::collection::vec(header(), 0..6), body()),
        4 => coherent(),
        1 => (prop::collection::vec(header(), 0..3), message().prop_map(|m| Bytes(serde_json::to_vec(&m).unwrap()))),
        1 => (prop::collection::vec(header(), 0..3), arbitrary_json().prop_map(|v| Bytes(serde_json::to_vec(&v).unwrap()))),
    ];
    (
        http_method(),
        request,
        prop_oneof![6 => Just(0i64), 2 => 0i64..7_200_000, 1 => Just(DEFAULT_IDLE_TTL_MS), 1 => 0i64..=DEFAULT_IDLE_TTL_MS * 2],
        prop::bool::weighted(0.08),
    )
        .prop_map(|(method, (headers, body), advance_ms, store_fails)| Step { method, headers, body, advance_ms, store_fails }).boxed()
}

// ---------------------------------------------------------------------------
// The run.

/// One machine: its dispatcher, its store, and the session ids it handed out so far, with
/// their revisions.
struct Server<B> {
    dispatcher: Dispatcher<Porygon<B>>,
    store: FlakyStore,
    sessions: Vec<(String, String)>,
}

impl<B: StrategyBackend> Server<B> {
    fn new(backend: B, now_ms: i64) -> Self {
        let mut server = Server {
            dispatcher: Dispatcher::new(Porygon::with_backend(backend)),
            store: FlakyStore::default(),
            sessions: Vec::new(),
        };
        // A session of every revision that has them, to name in Mcp-Session-Id.
        for v in &VERSIONS[..4] {
            let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": v, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}});
            let r = server.handle(
                now_ms,
                &HttpRequest { method: Method::Post, headers: Headers::new(), body: init.to_string().into() },
            );
            server
                .sessions
                .push((r.headers.get(SESSION_HEADER).expect("a session").to_owned(), (*v).to_owned()));
        }
        server
    }

    fn handle(&self, now_ms: i64, req: &HttpRequest) -> HttpResponse {
        crate::common::handle(&self.dispatcher, &self.store, now_ms, req)
    }

    /// The step's headers, naming this server's sessions.
    fn headers(&self, step: &Step) -> Headers {
        step.headers
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    HeaderValue::Text(t) => t.clone(),
                    HeaderValue::Session(i) => self.sessions[i % self.sessions.len()].0.clone(),
                    HeaderValue::VersionOf(i) => self.sessions[i % self.sessions.len()].1.clone(),
                };
                (k.clone(), v)
            })
            .collect()
    }

    fn remember(&mut self, r: &HttpResponse) {
        if let Some(id) = r.headers.get(SESSION_HEADER) {
            let version =
                r.body_json().and_then(|b| b["result"]["protocolVersion"].as_str().map(str::to_owned));
            self.sessions.push((id.to_owned(), version.unwrap_or_default()));
        }
    }
}

/// The server under test, and a twin that sees only `MACHINE_HEADERS` (what the router
/// forwards to a client object): the twin must answer every step exactly as the server does.
struct World<B> {
    server: Server<B>,
    twin: Server<B>,
    now_ms: i64,
    gate: GateConfig,
}

impl<B: StrategyBackend> World<B> {
    fn new(backend: impl Fn() -> B) -> Self {
        let now_ms = 1_700_000_000_000;
        World {
            server: Server::new(backend(), now_ms),
            twin: Server::new(backend(), now_ms),
            now_ms,
            gate: GateConfig::from_list("https://claude.ai"),
        }
    }

    fn run(&mut self, step: &Step) -> Result<(), TestCaseError> {
        self.now_ms += step.advance_ms;
        let req = HttpRequest {
            method: step.method,
            headers: self.server.headers(step),
            body: step.body.0.clone(),
        };

        // The router's gate first, as the Worker runs it.
        if let Verdict::Respond(r) = gate::check(req.method, &req.headers, &self.gate) {
            check_gate(&req, &r)?;
        }
        // The machine must hold whatever reaches it: run it regardless of the gate's verdict.
        self.server.store.failing.set(step.store_fails);
        let r = self.server.handle(self.now_ms, &req);
        self.server.store.failing.set(false);
        check_machine(&req, &r, step.store_fails)?;

        let mut forwarded = self.twin.headers(step);
        forwarded.retain(|k| MACHINE_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)));
        self.twin.store.failing.set(step.store_fails);
        let twin = self.twin.handle(
            self.now_ms,
            &HttpRequest { method: req.method, headers: forwarded, body: req.body.clone() },
        );
        self.twin.store.failing.set(false);
        self.server.remember(&r);
        self.twin.remember(&twin);
        prop_assert_eq!(
            self.same_ids(&twin),
            self.same_ids(&r),
            "the twin, with MACHINE_HEADERS only, answered otherwise"
        );
        Ok(())
    }

    /// An answer with the twin's session ids spelt as the server's (the only part that differs
    /// by design: ids carry 128 random bits).
    fn same_ids(&self, r: &HttpResponse) -> (u16, Vec<(String, String)>, String) {
        let mut text = String::from_utf8_lossy(&r.body).into_owned();
        let mut headers: Vec<(String, String)> =
            r.headers.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        for ((twin_id, _), (id, _)) in self.twin.sessions.iter().zip(&self.server.sessions) {
            text = text.replace(twin_id, id);
            for (_, v) in &mut headers {
                *v = v.replace(twin_id, id);
            }
        }
        (r.status, headers, text)
    }
}

/// A JSON-RPC 2.0 response object, as sent.
fn check_envelope(reply: &Value) -> Result<(), TestCaseError> {
    let obj =
        reply.as_object().ok_or_else(|| TestCaseError::fail(format!("reply is not an object: {reply}")))?;
    prop_assert_eq!(obj.get("jsonrpc"), Some(&json!("2.0")), "{}", reply);
    let id = obj.get("id").ok_or_else(|| TestCaseError::fail(format!("reply without id: {reply}")))?;
    prop_assert!(id.is_null() || id.is_string() || id.is_i64() || id.is_u64(), "id {}", id);
    prop_assert!(obj.contains_key("result") != obj.contains_key("error"), "result xor error: {}", reply);
    if let Some(error) = obj.get("error") {
        prop_assert!(error["code"].is_i64(), "{}", reply);
        let message = error["message"].as_str().unwrap_or_default();
        prop_assert!(error["message"].is_string(), "{}", reply);
        // Errors quote the client sparingly: it must not get its megabyte back.
        prop_assert!(
            message.chars().count() <= MAX_ERROR_MESSAGE_CHARS,
            "{}-char message",
            message.chars().count()
        );
        let data = error.get("data").map_or(0, |d| d.to_string().len());
        prop_assert!(data <= MAX_ERROR_DATA_BYTES, "{} bytes of error data", data);
    } else {
        prop_assert!(!id.is_null(), "a result answers a request, which has an id: {}", reply);
    }
    Ok(())
}

fn json_body(r: &HttpResponse) -> Result<Value, TestCaseError> {
    prop_assert_eq!(r.headers.get("Content-Type"), Some("application/json"), "status {}", r.status);
    serde_json::from_slice(&r.body).map_err(|e| {
        TestCaseError::fail(format!("body is not JSON ({e}): {:?}", String::from_utf8_lossy(&r.body)))
    })
}

fn check_gate(req: &HttpRequest, r: &HttpResponse) -> Result<(), TestCaseError> {
    prop_assert!(GATE_STATUSES.contains(&r.status), "gate answered {}", r.status);
    if r.status == 204 {
        prop_assert_eq!(req.method, Method::Options);
        prop_assert!(r.body.is_empty());
        return Ok(());
    }
    let reply = json_body(r)?;
    check_envelope(&reply)?;
    // The gate never reads the body: no id to echo.
    prop_assert_eq!(&reply["id"], &Value::Null);
    Ok(())
}

fn check_machine(req: &HttpRequest, r: &HttpResponse, store_fails: bool) -> Result<(), TestCaseError> {
    prop_assert!(MACHINE_STATUSES.contains(&r.status), "machine answered {} to {:?}", r.status, req);
    if r.status == 503 {
        prop_assert!(store_fails, "503 without a storage failure");
        prop_assert_eq!(r.headers.get("Retry-After"), Some("1"));
    }
    if r.status == 405 {
        prop_assert!(r.headers.get("Allow").is_some_and(|a| a.contains("POST")));
    }
    if matches!(r.status, 202 | 204) {
        prop_assert!(r.body.is_empty(), "{} with a body", r.status);
        return Ok(());
    }
    let reply = json_body(r)?;
    if let (false, Some(code)) = (reply.is_array(), reply.pointer("/error/code").and_then(Value::as_i64)) {
        // A lone malformed message is a client error at the HTTP level too.
        if code == i64::from(ErrorCode::INVALID_REQUEST.0) {
            prop_assert!(r.status == 400 || r.status == 405, "-32600 with status {}", r.status);
        }
    }
    let replies: Vec<&Value> = match &reply {
        Value::Array(items) => {
            prop_assert_eq!(r.status, 200, "a batch reply is a 200");
            items.iter().collect()
        }
        one => vec![one],
    };
    for one in &replies {
        check_envelope(one)?;
    }
    if let Some(id) = r.headers.get(SESSION_HEADER) {
        prop_assert_eq!(r.status, 200);
        let parsed = test_session_keys()
            .parse(id)
            .ok_or_else(|| TestCaseError::fail(format!("bad session id {id}")))?;
        prop_assert_eq!(parsed.owner, OWNER);
        prop_assert_eq!(replies[0]["result"]["protocolVersion"].is_string(), true);
    }
    if req.method != Method::Post {
        // Other methods' bodies are never read.
        prop_assert!(replies.iter().all(|r| r["id"].is_null()), "{}", reply);
        return Ok(());
    }
    for one in &replies {
        // Internal errors only come from storage (the 503 above), never from a request.
        let code = one.pointer("/error/code").and_then(Value::as_i64);
        prop_assert!(code != Some(i64::from(ErrorCode::INTERNAL_ERROR.0)) || r.status == 503, "{}", one);
    }
    // Ids: echoed when readable, never invented.
    let expected = expected_body(&req.body);
    if let (Ok((false, kinds)), 200) = (&expected, r.status) {
        if let Kind::Request { method, params, .. } = &kinds[0] {
            if method == "tools/call" && well_formed_call(params.as_ref()) {
                // Bad arguments are the tool's own `isError` result, never a protocol error.
                prop_assert!(reply.get("result").is_some(), "tools/call answered {}", reply);
                prop_assert!(
                    reply["result"]["content"].as_array().is_some_and(|c| !c.is_empty()),
                    "{}",
                    reply
                );
                prop_assert!(reply["result"]["isError"].is_boolean(), "{}", reply);
            }
        }
    }
    match expected {
        Err(_) => prop_assert_eq!(&reply["id"], &Value::Null, "whole-body refusal"),
        Ok((false, kinds)) => {
            let want = kinds[0].readable_id().unwrap_or(Value::Null);
            prop_assert!(!reply.is_array());
            prop_assert_eq!(&reply["id"], &want, "single message {}", String::from_utf8_lossy(&req.body));
        }
        Ok((true, kinds)) => {
            let expected: Vec<Value> = kinds.iter().filter_map(Kind::reply_id).collect();
            match &reply {
                Value::Array(items) => {
                    let got: Vec<&Value> = items.iter().map(|r| &r["id"]).collect();
                    prop_assert_eq!(got, expected.iter().collect::<Vec<_>>(), "batch replies, in order");
                }
                one => {
                    // Refused as a whole: the first readable id, or null.
                    let first = expected.iter().find(|id| !id.is_null());
                    prop_assert!(
                        one["id"].is_null() || Some(&one["id"]) == first,
                        "batch refusal id {}",
                        one["id"]
                    );
                }
            }
        }
    }
    Ok(())
}

/// A `tools/call` naming a real tool, with arguments (if any) as an object: whatever those
/// arguments say, the answer is a tool result.
fn well_formed_call(params: Option<&serde_json::Map<String, Value>>) -> bool {
    let Some(p) = params else { return false };
    p.keys().all(|k| ["name", "arguments", "_meta"].contains(&k.as_str()))
        && p.get("name").and_then(Value::as_str).is_some_and(|n| TOOLS.contains(&n))
        && p.get("arguments").is_none_or(|a| a.is_object() || a.is_null())
        && p.get("_meta").is_none_or(Value::is_object)
}

fn run_all<B: StrategyBackend>(backend: impl Fn() -> B, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut world = World::new(backend);
    for step in steps {
        world.run(step)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn the_machine_answers_everything_in_json_rpc(steps in prop::collection::vec(step(), 1..6), corpus in any::<bool>()) {
        if corpus {
            run_all(MemoryCorpus::new, &steps)?;
        } else {
            run_all(|| NoCorpus, &steps)?;
        }
    }
}
