//! porygon: a remote MCP server for competitive Pokémon strategy, on Cloudflare Workers.
//!
//! Layers (see ARCHITECTURE.md): `mcp` (protocol) ↔ `transport` (HTTP semantics) ↔ `tools`
//! (what the server knows) are pure and tested natively; `edge` is the thin Workers platform
//! layer and exists only on wasm32.

pub mod backup;
pub mod battle;
pub mod corpus;
pub mod dex;
pub mod ingest;
pub mod mcp;
pub mod observe;
pub mod policy;
pub mod primitives;
pub mod search;
pub mod tools;
pub mod transport;

#[cfg(target_arch = "wasm32")]
mod edge;
