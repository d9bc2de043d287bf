//! porygon: a remote MCP server for competitive Pokémon strategy, on Cloudflare Workers.
//!
//! Layers (see ARCHITECTURE.md): `mcp` (protocol) ↔ `transport` (HTTP semantics) ↔ `policy`
//! (quotas, caching) ↔ `tools` (what the server knows) and the rest of the core are pure and
//! tested natively; `edge` is the thin Workers platform layer and exists only on wasm32.

// Natively there is no Worker (src/edge is wasm32-only), so much of the core has no caller here;
// whether an item is used is judged on wasm32 (`make lint`). Unused imports are reported on both.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod backup;
mod battle;
mod corpus;
mod dex;
mod ingest;
mod mcp;
mod observe;
mod policy;
mod primitives;
mod search;
mod tools;
mod transport;

// The public surface: the pure core as the native harnesses drive it (tests/transport.rs,
// tests/hostile_transport.rs, tests/fuzz/, bench/golden.rs) — and nothing else. Every module is
// private, so an item nothing in the Worker or these harnesses uses is a compiler warning
// (`dead_code`, `unreachable_pub`; [lints] in Cargo.toml).
pub use corpus::format::Format;
pub use corpus::sets::{parse_sets, PasteStyle, SetsFile, Stat};
pub use corpus::stats::parse_chaos;
pub use dex::dex;
pub use mcp::dispatch::Dispatcher;
pub use mcp::handler::McpHandler;
pub use mcp::jsonrpc::{parse as parse_jsonrpc, Incoming, Message, MAX_BATCH};
pub use mcp::session::{
    MemorySessionStore, Session, SessionKeys, SessionStore, StoreError, DEFAULT_IDLE_TTL_MS,
};
pub use observe::scrub::scrub_ips;
pub use search::fts_query::{any_terms, phrase};
pub use search::golden;
pub use search::hit::{SearchHit, SearchRequest};
pub use tools::backend::{BackendError, FormatUsage, NoCorpus, Source, StrategyBackend};
pub use tools::team::{
    parse_paste, Gender, PasteError, PasteSet, StatSpread, Team, MAX_LINE_CHARS, MAX_MOVES, MAX_PASTE_CHARS,
    MAX_TEAM_SIZE,
};
pub use tools::Porygon;
pub use transport::gate::{self, GateConfig, Verdict};
pub use transport::streamable::{
    Streamable, MACHINE_HEADERS, MAX_SESSIONS_PER_CLIENT, MAX_STORED_CAPABILITIES_BYTES, SESSION_HEADER,
};
pub use transport::{Headers, HttpRequest, HttpResponse, Method};

#[cfg(target_arch = "wasm32")]
mod edge;
