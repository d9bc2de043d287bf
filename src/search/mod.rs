//! Retrieval for `query_strategy`: what the question asks ([`understand`]), who does an asked
//! job in a format ([`roles`]), safe FTS5 queries ([`fts_query`]), fusion and reranking
//! ([`rank`]) and the evaluation of all of it against labelled questions ([`golden`]).

pub(crate) mod fts_query;
pub mod golden;
pub(crate) mod hit;
pub(crate) mod isolate_index;
pub(crate) mod mentions;
pub(crate) mod rank;
pub(crate) mod roles;
pub(crate) mod semantic;
pub(crate) mod understand;
