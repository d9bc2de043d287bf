//! The Workers platform edge: the routing Worker, the client Durable Object and the storage
//! bindings. Thin by design — every decision is made in the pure layers; this module only
//! converts between `worker` types and `crate::transport` data.

mod admin;
mod api_keys;
mod backup_object; // `#[durable_object]` exports BackupObject.
mod backup_store;
#[cfg(feature = "bench")]
mod bench;
mod calc; // @smogon/calc through wasm-bindgen (calc.mjs).
mod client_object; // `#[durable_object]` exports ClientObject to the runtime.
mod client_schema;
mod clock;
mod convert;
#[cfg(feature = "faults")]
mod copy_check; // the test build's /__test/isolate-index
mod corpus_input;
mod dex_table;
mod faults;
mod health;
mod index_object; // `#[durable_object]` exports IndexObject.
mod ingest_object; // `#[durable_object]` exports IngestObject.
mod logging;
mod monitor_object;
mod object_call; // the router → client object call and its internal headers // `#[durable_object]` exports MonitorObject.
mod raw_source;
mod router;
mod secrets;
mod sql_admissions;
mod sql_sessions;
mod sql_slots;
mod strategy_backend;
mod telemetry;
mod vars;
mod vectors;
