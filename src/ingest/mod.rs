//! Corpus ingestion, the pure parts: what changes between runs, one bounded step over abstract
//! stores, what upstream data and deletions a run may accept (`guard`), run reports and signed
//! alerts. The orchestration that fetches raw inputs, keeps
//! progress and binds KV/FTS/Vectorize is in `edge`.

pub mod alert;
pub mod diff;
pub mod guard;
pub mod manifest;
pub mod months;
pub mod replicas;
pub mod step;
pub mod vectors;
