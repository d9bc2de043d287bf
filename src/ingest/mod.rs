//! Corpus ingestion, the pure parts: what changes between runs, one bounded step over abstract
//! stores, what upstream data and deletions a run may accept (`guard`), run reports and signed
//! alerts. The orchestration that fetches raw inputs, keeps
//! progress and binds KV/FTS/Vectorize is in `edge`.

pub(crate) mod alert;
pub(crate) mod diff;
pub(crate) mod guard;
pub(crate) mod manifest;
pub(crate) mod months;
pub(crate) mod replicas;
pub(crate) mod step;
pub(crate) mod vectors;
