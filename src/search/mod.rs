//! Retrieval helpers shared by ingestion (index writes) and tools (queries).

pub mod fts_query;
pub mod golden;
pub mod hit;
pub mod rank;
