//! The Streamable HTTP machine end to end, natively: real dispatcher, real tools, an in-memory
//! session store and a controllable clock. (The same machine runs inside the Durable Object; the
//! integration suite under tests/integration exercises it through workerd.)

use porygon::{
    Dispatcher, Headers, HttpRequest, HttpResponse, MemorySessionStore, Method, Porygon, SessionStore,
    DEFAULT_IDLE_TTL_MS, SESSION_HEADER,
};
use serde_json::{json, Value};

mod common;

struct Harness {
    dispatcher: Dispatcher<Porygon>,
    store: MemorySessionStore,
    now_ms: i64,
}

impl Harness {
    fn new() -> Self {
        Self {
            dispatcher: Dispatcher::new(Porygon::new()),
            store: MemorySessionStore::default(),
            now_ms: 1_000_000,
        }
    }

    fn send(&self, method: Method, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let req = HttpRequest {
            method,
            headers: headers.iter().copied().collect::<Headers>(),
            body: body.as_bytes().to_vec(),
        };
        common::handle(&self.dispatcher, &self.store, self.now_ms, &req)
    }

    fn post(&self, headers: &[(&str, &str)], body: Value) -> HttpResponse {
        self.send(Method::Post, headers, &body.to_string())
    }

    fn initialize(&self, version: &str) -> (String, Value) {
        let r = self.post(&[], init_body(version));
        assert_eq!(r.status, 200);
        let id = r.headers.get(SESSION_HEADER).expect("session id issued").to_owned();
        (id, r.body_json().unwrap())
    }
}

fn init_body(version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
}

fn request(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn stateless_meta() -> Value {
    json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}})
}

#[test]
fn negotiates_every_revision_and_falls_back_to_the_newest() {
    let h = Harness::new();
    for v in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let (id, body) = h.initialize(v);
        assert_eq!(body["result"]["protocolVersion"], v);
        assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        assert!(body["result"]["instructions"].as_str().unwrap().contains("get_pokemon"));
        assert!(body["result"].get("resultType").is_none(), "legacy results have no resultType");
    }
    for unknown in ["1999-01-01", "2026-07-28", "garbage"] {
        let (_, body) = h.initialize(unknown);
        assert_eq!(body["result"]["protocolVersion"], "2025-11-25", "{unknown}");
    }
    assert_eq!(h.store.len(), 7);
}

#[test]
fn session_lifecycle_delete_then_404() {
    let h = Harness::new();
    let (sid, _) = h.initialize("2025-06-18");
    let hdrs = [(SESSION_HEADER, sid.as_str()), ("MCP-Protocol-Version", "2025-06-18")];
    let ok = h.post(&hdrs, request(2, "tools/list", json!({})));
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body_json().unwrap()["result"]["tools"][0]["name"], "get_pokemon");
    assert_eq!(h.send(Method::Delete, &hdrs, "").status, 204);
    let gone = h.post(&hdrs, request(3, "tools/list", json!({})));
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body_json().unwrap()["id"], 3);
    assert_eq!(h.send(Method::Delete, &hdrs, "").status, 404);
    assert_eq!(h.send(Method::Delete, &[], "").status, 400);
}

#[test]
fn initialized_notification_and_log_level_are_persisted() {
    let h = Harness::new();
    let (sid, _) = h.initialize("2025-11-25");
    let hdrs = [(SESSION_HEADER, sid.as_str())];
    let n = h.post(&hdrs, json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert_eq!((n.status, n.body.len()), (202, 0));
    let r = h.post(&hdrs, request(2, "logging/setLevel", json!({"level": "warning"})));
    assert_eq!(r.body_json().unwrap()["result"], json!({}));
    let s = h.store.load(&sid).unwrap().unwrap();
    assert!(s.initialized);
    assert_eq!(serde_json::to_value(s.log_level).unwrap(), "warning");
}

#[test]
fn sessions_idle_out_and_unknown_ids_are_404() {
    let mut h = Harness::new();
    let (sid, _) = h.initialize("2025-06-18");
    h.now_ms += DEFAULT_IDLE_TTL_MS;
    let r = h.post(&[(SESSION_HEADER, &sid)], request(2, "ping", json!({})));
    assert_eq!(r.status, 404);
    assert_eq!(r.body_json().unwrap()["error"]["code"], -32001);
    assert!(h.store.is_empty(), "expired session deleted on sight");
    let foreign = format!("{}.{}", "f".repeat(32), "0".repeat(32));
    for bad in ["abc", foreign.as_str(), "../../x"] {
        assert_eq!(h.post(&[(SESSION_HEADER, bad)], request(1, "ping", json!({}))).status, 404, "{bad}");
    }
}

#[test]
fn activity_slides_expiry_without_a_write_per_request() {
    let mut h = Harness::new();
    let (sid, _) = h.initialize("2025-06-18");
    let before = h.store.load(&sid).unwrap().unwrap().last_seen_ms;
    h.now_ms += 60_000;
    h.post(&[(SESSION_HEADER, &sid)], request(2, "ping", json!({})));
    assert_eq!(h.store.load(&sid).unwrap().unwrap().last_seen_ms, before, "minute-later ping not persisted");
    h.now_ms = before + DEFAULT_IDLE_TTL_MS - 1;
    assert_eq!(h.post(&[(SESSION_HEADER, &sid)], request(3, "ping", json!({}))).status, 200);
    h.now_ms += DEFAULT_IDLE_TTL_MS - 1;
    assert_eq!(
        h.post(&[(SESSION_HEADER, &sid)], request(4, "ping", json!({}))).status,
        200,
        "still alive: expiry slid"
    );
}

#[test]
fn requests_without_session_are_served_statelessly() {
    let h = Harness::new();
    let r = h.post(
        &[],
        request(1, "tools/call", json!({"name": "get_pokemon", "arguments": {"name": "Skarmory"}})),
    );
    assert_eq!(r.status, 200);
    let body = r.body_json().unwrap();
    assert_eq!(body["result"]["isError"], false);
    assert!(body["result"]["structuredContent"]["matchups"]["immunities"]
        .as_array()
        .unwrap()
        .contains(&json!("Ground")));
    assert!(h.store.is_empty());
}

#[test]
fn version_header_rules() {
    let h = Harness::new();
    let (sid, _) = h.initialize("2025-06-18");
    let mismatch = h.post(
        &[(SESSION_HEADER, &sid), ("MCP-Protocol-Version", "2025-03-26")],
        request(2, "ping", json!({})),
    );
    assert_eq!(mismatch.status, 400);
    let unsupported = h.post(&[("MCP-Protocol-Version", "2024-01-01")], request(7, "ping", json!({})));
    assert_eq!(unsupported.status, 400);
    let body = unsupported.body_json().unwrap();
    assert_eq!((body["id"].clone(), body["error"]["code"].clone()), (json!(7), json!(-32022)));
    assert_eq!(body["error"]["data"]["requested"], "2024-01-01");
}

#[test]
fn batches_only_where_the_revision_allows_them() {
    let h = Harness::new();
    let batch = json!([request(1, "ping", json!({})), {"jsonrpc": "2.0", "method": "notifications/initialized"}, request(2, "tools/list", json!({}))]);
    let old = h.post(&[("MCP-Protocol-Version", "2025-03-26")], batch.clone());
    assert_eq!(old.status, 200);
    let replies = old.body_json().unwrap();
    let ids: Vec<_> = replies.as_array().unwrap().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, [json!(1), json!(2)]);
    assert_eq!(h.post(&[], batch.clone()).status, 200, "no header: 2025-03-26 assumed");
    assert_eq!(h.post(&[("MCP-Protocol-Version", "2025-06-18")], batch).status, 400);
    let only_notes = json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}]);
    assert_eq!(h.post(&[("MCP-Protocol-Version", "2025-03-26")], only_notes).status, 202);
    let init_in_batch = json!([init_body("2025-03-26")]);
    assert_eq!(h.post(&[], init_in_batch).status, 400);
    let mixed = json!([request(1, "ping", json!({})), 42]);
    let r = h.post(&[("MCP-Protocol-Version", "2025-03-26")], mixed).body_json().unwrap();
    assert_eq!(r[1]["error"]["code"], -32600);
}

#[test]
fn json_rpc_errors() {
    let h = Harness::new();
    let parse = h.send(Method::Post, &[], "{nope");
    assert_eq!(parse.status, 400);
    assert_eq!(parse.body_json().unwrap()["error"]["code"], -32700);
    let cases = [
        (request(1, "no/such", json!({})), -32601),
        (request(2, "tools/call", json!({})), -32602),
        (request(3, "tools/call", json!({"name": "nope"})), -32602),
        (request(4, "tools/list", json!({"cursor": "bogus"})), -32602),
        (request(5, "resources/read", json!({"uri": "pokemon://dex/..%2F..%2Fetc"})), -32002),
        (request(6, "prompts/get", json!({"name": "pokemon_overview", "arguments": {}})), -32602),
        (request(7, "completion/complete", json!({"ref": {"type": "ref/nope"}})), -32602),
    ];
    for (req, code) in cases {
        let r = h.post(&[], req.clone());
        assert_eq!(r.status, 200, "{req}");
        let body = r.body_json().unwrap();
        assert_eq!(body["error"]["code"], code, "{req}");
        assert_eq!(body["id"], req["id"]);
    }
    let invalid = h.post(&[], json!({"jsonrpc": "1.0", "id": 9, "method": "ping"}));
    assert_eq!((invalid.status, invalid.body_json().unwrap()["id"].clone()), (400, json!(9)));
    assert_eq!(h.send(Method::Get, &[], "").status, 405);
}

#[test]
fn resources_prompts_and_completion() {
    let h = Harness::new();
    let read = h
        .post(&[], request(1, "resources/read", json!({"uri": "pokemon://dex/Mr.%20Mime"})))
        .body_json()
        .unwrap();
    let text = read["result"]["contents"][0]["text"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap()["name"], "Mr. Mime");
    let chart = h
        .post(&[], request(2, "resources/read", json!({"uri": "pokemon://typechart/1"})))
        .body_json()
        .unwrap();
    let chart: Value =
        serde_json::from_str(chart["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(chart["multipliers"]["Ghost"]["Psychic"], 0.0, "gen 1: Ghost does not affect Psychic");
    let prompt = h
        .post(
            &[],
            request(
                3,
                "prompts/get",
                json!({"name": "pokemon_overview", "arguments": {"name": "garchomp", "generation": "4"}}),
            ),
        )
        .body_json()
        .unwrap();
    assert!(prompt["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap()
        .contains("Garchomp (generation 4)"));
    let done = h.post(&[], request(4, "completion/complete", json!({"ref": {"type": "ref/prompt", "name": "pokemon_overview"}, "argument": {"name": "name", "value": "garc"}}))).body_json().unwrap();
    assert_eq!(done["result"]["completion"]["values"][0], "Garchomp");
    let templ = h.post(&[], request(5, "completion/complete", json!({"ref": {"type": "ref/resource", "uri": "pokemon://dex/{name}"}, "argument": {"name": "name", "value": "ninetales"}}))).body_json().unwrap();
    assert_eq!(templ["result"]["completion"]["values"], json!(["Ninetales", "Ninetales-Alola"]));
}

#[test]
fn stateless_revision_2026_07_28() {
    let h = Harness::new();
    let v = ("MCP-Protocol-Version", "2026-07-28");
    let discover = h.post(
        &[v, ("Mcp-Method", "server/discover")],
        request(1, "server/discover", json!({"_meta": stateless_meta()})),
    );
    assert_eq!(discover.status, 200);
    let d = discover.body_json().unwrap()["result"].clone();
    assert!(d["supportedVersions"].as_array().unwrap().contains(&json!("2026-07-28")));
    assert_eq!(d["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "porygon");
    assert!(d["ttlMs"].is_u64() && d["cacheScope"] == "public");

    let list = h
        .post(
            &[v, ("Mcp-Method", "tools/list")],
            request(2, "tools/list", json!({"_meta": stateless_meta()})),
        )
        .body_json()
        .unwrap();
    assert_eq!(list["result"]["resultType"], "complete");
    assert!(list["result"]["ttlMs"].is_u64());

    let call = |name_header: &str| {
        h.post(
            &[v, ("Mcp-Method", "tools/call"), ("Mcp-Name", name_header)],
            request(
                3,
                "tools/call",
                json!({"name": "get_pokemon", "arguments": {"name": "Garchomp"}, "_meta": stateless_meta()}),
            ),
        )
    };
    assert_eq!(call("get_pokemon").status, 200);
    assert_eq!(call("  get_pokemon ").status, 200);
    assert_eq!(call("=?base64?Z2V0X3Bva2Vtb24=?=").status, 200);
    let wrong = call("other");
    assert_eq!((wrong.status, wrong.body_json().unwrap()["error"]["code"].clone()), (400, json!(-32020)));

    let status_code = |headers: &[(&str, &str)], body: Value| {
        let r = h.post(headers, body);
        let b = r.body_json().unwrap();
        (r.status, b["error"]["code"].as_i64().unwrap_or(0), b["id"].clone())
    };
    assert_eq!(
        status_code(&[v, ("Mcp-Method", "tools/list")], request(4, "tools/list", json!({}))),
        (400, -32602, json!(4))
    );
    let other_meta = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2025-06-18", "io.modelcontextprotocol/clientCapabilities": {}}});
    assert_eq!(
        status_code(&[v, ("Mcp-Method", "tools/list")], request(5, "tools/list", other_meta)),
        (400, -32020, json!(5))
    );
    for gone in ["initialize", "ping", "logging/setLevel", "resources/subscribe"] {
        assert_eq!(
            status_code(&[v, ("Mcp-Method", gone)], request(6, gone, json!({"_meta": stateless_meta()}))),
            (404, -32601, json!(6)),
            "{gone}"
        );
    }
    assert_eq!(
        status_code(&[v], request(7, "tools/list", json!({"_meta": stateless_meta()}))).1,
        -32020,
        "Mcp-Method required"
    );
    assert_eq!(
        status_code(
            &[v, ("Mcp-Method", "tools/call")],
            request(8, "tools/list", json!({"_meta": stateless_meta()}))
        )
        .1,
        -32020
    );
    assert_eq!(
        status_code(
            &[("Mcp-Method", "tools/list")],
            request(9, "tools/list", json!({"_meta": stateless_meta()}))
        )
        .1,
        -32020,
        "missing version header"
    );
    let nf = status_code(
        &[v, ("Mcp-Method", "resources/read"), ("Mcp-Name", "pokemon://nope")],
        request(10, "resources/read", json!({"uri": "pokemon://nope", "_meta": stateless_meta()})),
    );
    assert_eq!(nf.1, -32602, "SEP-2164");
    assert_eq!(h.send(Method::Delete, &[v], "").status, 405);
    assert!(h.store.is_empty(), "stateless requests store nothing");
}

#[test]
fn session_count_per_client_is_bounded() {
    let mut h = Harness::new();
    for _ in 0..(porygon::MAX_SESSIONS_PER_CLIENT + 5) {
        h.now_ms += 1;
        h.initialize("2025-06-18");
    }
    assert_eq!(h.store.len(), porygon::MAX_SESSIONS_PER_CLIENT);
}
