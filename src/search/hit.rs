//! What a lexical search returns, shared by the index object and the tools.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub key: String,
    pub pokemon_id: String,
    pub pokemon_name: String,
    pub format: String,
    pub section: String,
    pub set_name: Option<String>,
    pub source_url: String,
    pub data_month: Option<String>,
    /// BM25 relevance, higher is better (SQLite's bm25() negated).
    pub score: f64,
    pub text: String,
}

/// The most Pokémon one request may filter on (the SQL holds one bound parameter each).
pub(crate) const MAX_POKEMON_IDS: usize = 20;

/// A search request to one format's index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// Raw user text; sanitised by the index (see `fts_query`).
    pub query: String,
    pub limit: u32,
    pub pokemon_id: Option<String>,
    /// Only documents about one of these Pokémon (ids; at most [`MAX_POKEMON_IDS`] are used).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pokemon_ids: Vec<String>,
    pub section: Option<String>,
    /// Search the words as one phrase instead of any of them.
    #[serde(default)]
    pub phrase: bool,
}
