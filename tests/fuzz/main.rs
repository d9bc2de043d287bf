//! Property-based fuzzing (issue #7): the parsers and the protocol machine that read untrusted
//! input, driven by proptest.
//!
//! - `jsonrpc`: `mcp::jsonrpc::parse` on any bytes and any JSON, against the spec.
//! - `transport`: request sequences through the router's gate and the Streamable HTTP machine.
//! - `fts`: the FTS5 query sanitiser, judged by SQLite's own FTS5 (rusqlite, bundled).
//! - `paste`: the Showdown paste parser: invariants, render → parse round trips.
//! - `scrub`: the IP scrubber: addresses written every way never survive, other text is kept.
//!
//! `cargo test` runs a bounded number of cases per property (seconds in all); `make fuzz` runs
//! many more (`PROPTEST_CASES`). Seeds of failures are kept in tests/proptest-regressions/ and
//! replayed first. cargo-fuzz is not used: it needs a nightly toolchain.
//!
//! The big generators return `BoxedStrategy`: unboxed, proptest's nested value trees are built
//! on the test thread's stack, and these overflow its 2 MiB.

#[path = "../common/mod.rs"]
mod common;
mod fts;
mod jsonrpc;
mod paste;
mod scrub;
mod support;
mod transport;
