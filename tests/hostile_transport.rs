//! Hostile input against the Streamable HTTP machine, natively (issue #7): what the integration
//! corpus (tests/integration/hostile.test.mjs) found, pinned where it is decided.

use porygon::{
    Dispatcher, HttpRequest, HttpResponse, MemorySessionStore, Method, Porygon, SessionStore,
    MAX_STORED_CAPABILITIES_BYTES, SESSION_HEADER,
};
use serde_json::{json, Value};

mod common;

use common::OWNER;

fn send(store: &MemorySessionStore, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let req =
        HttpRequest { method: Method::Post, headers: headers.iter().copied().collect(), body: body.into() };
    common::handle(&Dispatcher::new(Porygon::new()), store, 1_000_000, &req)
}

fn init_body(capabilities: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": capabilities,
        "clientInfo": {"name": "hostile", "version": "1"}}})
    .to_string()
}

fn ping(id: i64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "ping"}).to_string()
}

#[test]
fn a_session_keeps_at_most_a_few_kib_of_declared_capabilities() {
    let store = MemorySessionStore::default();
    let small = json!({"roots": {"listChanged": true}, "experimental": {"x": {"y": 1}}});
    let r = send(&store, &[], &init_body(small.clone()));
    let id = r.headers.get(SESSION_HEADER).expect("session").to_owned();
    let kept: Value = serde_json::from_str(&store.load(&id).unwrap().unwrap().client_capabilities).unwrap();
    assert_eq!(kept, small, "small capabilities are kept verbatim");

    let junk = "j".repeat(600_000);
    let huge = json!({"roots": {}, "experimental": {"junk": {"a": junk}}, "extensions": {"e": {"b": junk}}});
    let r = send(&store, &[], &init_body(huge));
    assert_eq!(r.status, 200, "still a valid initialize");
    let id = r.headers.get(SESSION_HEADER).expect("session").to_owned();
    let session = store.load(&id).unwrap().unwrap();
    assert!(session.client_capabilities.len() <= MAX_STORED_CAPABILITIES_BYTES);
    assert!(session.to_bytes().len() < 2 * MAX_STORED_CAPABILITIES_BYTES, "{}", session.to_bytes().len());
    let kept: Value = serde_json::from_str(&session.client_capabilities).unwrap();
    assert_eq!(kept, json!({"truncated": true, "declared": ["experimental", "extensions", "roots"]}));
}

#[test]
fn repeated_session_and_version_headers_joined_by_the_platform() {
    let store = MemorySessionStore::default();
    let r = send(&store, &[], &init_body(json!({})));
    let id = r.headers.get(SESSION_HEADER).unwrap().to_owned();
    let other = format!("{OWNER}.{}", "f".repeat(32));

    let same = format!("{id}, {id}");
    assert_eq!(send(&store, &[(SESSION_HEADER, &same)], &ping(2)).status, 200, "identical copies are one id");
    let differing = format!("{id}, {other}");
    let r = send(&store, &[(SESSION_HEADER, &differing)], &ping(3));
    let body = r.body_json().unwrap();
    assert_eq!((r.status, body["error"]["code"].clone(), body["id"].clone()), (400, json!(-32600), json!(3)));
    assert!(body["error"]["message"].as_str().unwrap().contains("repeated"));

    let r = send(&store, &[("MCP-Protocol-Version", "2025-06-18, 2025-11-25")], &ping(4));
    assert_eq!((r.status, r.body_json().unwrap()["error"]["code"].clone()), (400, json!(-32600)));
    assert_eq!(send(&store, &[("MCP-Protocol-Version", "2025-06-18, 2025-06-18")], &ping(5)).status, 200);
    assert_eq!(store.len(), 1, "nothing but the one initialize was stored");
}

#[test]
fn too_deep_messages_and_huge_invalid_params_answer_briefly_under_their_id() {
    let store = MemorySessionStore::default();
    let nested = format!("{}{}", "[".repeat(80), "]".repeat(80));
    let deep = format!(r#"{{"jsonrpc":"2.0","id":"d","method":"ping","params":{{"x":{nested}}}}}"#);
    let r = send(&store, &[], &deep);
    let body = r.body_json().unwrap();
    assert_eq!(
        (r.status, body["error"]["code"].clone(), body["id"].clone()),
        (400, json!(-32600), json!("d"))
    );
    let very_deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = send(&store, &[], &very_deep);
    assert_eq!((r.status, r.body_json().unwrap()["error"]["code"].clone()), (400, json!(-32600)));

    let huge = json!({"jsonrpc": "2.0", "id": 7, "method": "logging/setLevel", "params": {"level": "Z".repeat(500_000)}});
    let r = send(&store, &[], &huge.to_string());
    assert!(r.body.len() < 1_000, "{} bytes", r.body.len());
    assert_eq!(r.body_json().unwrap()["error"]["code"], -32602);
    assert!(store.is_empty());
}
