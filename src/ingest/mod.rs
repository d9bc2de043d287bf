//! Corpus ingestion, the pure parts: what changes between runs, run reports and signed alerts.
//! The orchestration that fetches, writes KV/FTS/Vectorize and keeps progress is in `edge`.

pub mod alert;
pub mod diff;
pub mod vectors;
