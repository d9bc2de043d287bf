//! What the strategy tools read, behind a trait: the platform edge implements it with the
//! per-format FTS5 index objects, Workers AI + Vectorize and KV; tests use in-memory backends.

use std::rc::Rc;

use crate::battle::calc::DamageCalculator;
pub use crate::corpus::FormatUsage;
use crate::corpus::SetsFile;
use crate::search::hit::{SearchHit, SearchRequest};

/// What a tool reads through the backend, as messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    LexicalSearch,
    SemanticSearch,
    /// The vector index itself (semantic search's second half).
    Vectorize,
    UsageStatistics,
    SmogonSets,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LexicalSearch => "lexical search",
            Self::SemanticSearch => "semantic search",
            Self::Vectorize => "Vectorize",
            Self::UsageStatistics => "usage statistics",
            Self::SmogonSets => "Smogon sets",
        })
    }
}

/// A backend that could not answer. Never the caller's fault, always worth a later retry: a
/// tool degrades (lexical only, statistics missing) or says "unavailable right now".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("{0} is unavailable: {1}")]
    Unavailable(Source, String),
    #[error("{0} did not answer in time")]
    Timeout(Source),
}

#[allow(async_fn_in_trait)]
pub trait StrategyBackend {
    /// BM25 search in one format's index.
    async fn lexical(&self, format: &str, request: &SearchRequest) -> Result<Vec<SearchHit>, BackendError>;

    /// Several BM25 searches in one format's index, answered together (one round trip on the
    /// edge); results in request order.
    async fn lexical_many(
        &self,
        format: &str,
        requests: &[SearchRequest],
    ) -> Vec<Result<Vec<SearchHit>, BackendError>> {
        futures::future::join_all(requests.iter().map(|r| self.lexical(format, r))).await
    }

    /// Semantic search (embedding + vector index) filtered to `format`; `None` where it is not
    /// configured (local development: wrangler cannot run Workers AI or Vectorize).
    async fn semantic(
        &self,
        format: &str,
        request: &SearchRequest,
    ) -> Option<Result<Vec<SearchHit>, BackendError>>;

    /// The newest usage statistics of `format`, `None` if there are none.
    async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError>;

    /// Statistics of `format` for a given month and/or rating cutoff (newest matching).
    async fn usage_at(
        &self,
        format: &str,
        month: Option<&str>,
        cutoff: Option<u32>,
    ) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        let newest = self.usage(format).await?;
        Ok(newest.filter(|u| month.is_none_or(|m| m == u.month) && cutoff.is_none_or(|c| c == u.cutoff)))
    }

    /// The Smogon sets of `format`, `None` if there are none.
    async fn sets(&self, format: &str) -> Result<Option<Rc<SetsFile>>, BackendError>;

    /// Changes whenever an ingestion run changed the corpus; cache keys include it.
    async fn dataset_version(&self) -> String {
        String::new()
    }

    /// Whether a search of `format` is answered here without a remote or billed call (an
    /// in-isolate copy of the index and no semantic search). Such answers skip the shared
    /// cache: its round trip costs more than they do (bench/REPORT-strategy.md).
    async fn searches_locally(&self, _format: &str) -> bool {
        false
    }

    /// A result cached for every client (`None`: not cached, or no shared cache here).
    async fn shared_get(&self, _key: &str) -> Option<String> {
        None
    }

    async fn shared_put(&self, _key: &str, _value: &str, _ttl_secs: u32) {}

    /// The damage calculator (`@smogon/calc` on the edge); `None` where there is none.
    fn damage_calculator(&self) -> Option<&dyn DamageCalculator> {
        None
    }
}

/// A backend with no corpus at all (dex-only deployments and protocol tests).
pub struct NoCorpus;

impl StrategyBackend for NoCorpus {
    async fn lexical(&self, _format: &str, _request: &SearchRequest) -> Result<Vec<SearchHit>, BackendError> {
        Err(BackendError::Unavailable(Source::LexicalSearch, "no strategy corpus is configured".into()))
    }

    async fn semantic(
        &self,
        _format: &str,
        _request: &SearchRequest,
    ) -> Option<Result<Vec<SearchHit>, BackendError>> {
        None
    }

    async fn usage(&self, _format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        Ok(None)
    }

    async fn sets(&self, _format: &str) -> Result<Option<Rc<SetsFile>>, BackendError> {
        Ok(None)
    }
}
