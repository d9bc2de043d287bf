//! Retrieval for `query_strategy`: what the question asks ([`understand`]), who does an asked
//! job in a format ([`roles`]), safe FTS5 queries ([`fts_query`]), fusion and reranking
//! ([`rank`]) and the evaluation of all of it against labelled questions ([`golden`]).

pub mod fts_query;
pub mod golden;
pub mod hit;
pub mod mentions;
pub mod rank;
pub mod roles;
pub mod semantic;
pub mod understand;
