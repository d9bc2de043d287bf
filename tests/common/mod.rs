//! What the native test crates share (`tests/transport.rs`, `tests/hostile_transport.rs`,
//! `tests/fuzz/`): one way to drive the Streamable HTTP machine as a client object would.
#![allow(dead_code)] // each test crate uses its own part

use futures::executor::block_on;
use porygon::{
    Dispatcher, HttpRequest, HttpResponse, McpHandler, SessionKeys, SessionStore, Streamable,
    DEFAULT_IDLE_TTL_MS,
};

/// The client object's name in these tests.
pub(crate) const OWNER: &str = "0123456789abcdef0123456789abcdef";

/// The server's session-id key in these tests (production reads `SESSION_ID_KEY`).
pub(crate) fn test_session_keys() -> SessionKeys {
    SessionKeys::new(Some("native-test-session-key-0001"), None).expect("long enough")
}

/// One request through the machine, as [`OWNER`]'s object at `now_ms` with the default idle TTL.
pub(crate) fn handle<H: McpHandler, S: SessionStore>(
    dispatcher: &Dispatcher<H>,
    store: &S,
    now_ms: i64,
    req: &HttpRequest,
) -> HttpResponse {
    let keys = test_session_keys();
    let machine = Streamable {
        dispatcher,
        store,
        owner: OWNER,
        session_keys: Some(&keys),
        now_ms,
        idle_ttl_ms: DEFAULT_IDLE_TTL_MS,
    };
    block_on(machine.handle(req))
}
