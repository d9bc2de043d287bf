//! Semantic side of ingestion: embed changed documents in batches and keep the vector index in
//! step (upserts and deletes), behind two traits so the logic runs natively against fakes.
//!
//! The cloud implementations are Workers AI (`@cf/baai/bge-base-en-v1.5`, 768 dimensions) and
//! Vectorize (`edge`); neither runs outside Cloudflare, so the fakes here enforce their
//! documented contracts instead: at most 100 texts per embedding call, ids ≤ 64 bytes,
//! metadata ≤ 10 KiB per vector, string metadata indexes cover only its first 64 bytes.

use serde::{Deserialize, Serialize};

use crate::primitives::digest::sha256;
use crate::primitives::hex::hex;

pub(crate) const EMBEDDING_MODEL: &str = "@cf/baai/bge-base-en-v1.5";
pub(crate) const DIMENSIONS: usize = 768;
/// Texts per Workers AI embedding call.
pub(crate) const MAX_EMBED_BATCH: usize = 100;
/// Vectors per Vectorize upsert call.
pub(crate) const MAX_UPSERT_BATCH: usize = 500;
const MAX_METADATA_BYTES: usize = 10 * 1024;
const MAX_ID_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum VectorError {
    #[error("embedding failed: {0}")]
    Embed(String),
    #[error("vector index failed: {0}")]
    Index(String),
}

/// What gets embedded for one document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VectorDoc {
    pub key: String,
    pub text: String,
    pub pokemon_id: String,
    pub format: String,
    pub section: String,
}

/// Metadata stored with each vector; `pokemon`, `format` and `section` have metadata indexes
/// (created by the commands in RUNBOOK.md) so queries can filter before topK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VectorMetadata {
    pub key: String,
    pub pokemon: String,
    pub format: String,
    pub section: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct VectorRecord {
    pub id: String,
    pub values: Vec<f32>,
    pub metadata: VectorMetadata,
}

#[allow(async_fn_in_trait)]
pub(crate) trait Embedder {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError>;
}

/// What a query keeps: the format, and optionally one Pokémon and one section (the metadata
/// indexes of [`VectorMetadata`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct MetadataFilter {
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pokemon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

/// One query match: similarity and the vector's metadata.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct VectorMatch {
    pub score: f64,
    pub metadata: VectorMetadata,
}

#[allow(async_fn_in_trait)]
pub(crate) trait VectorIndex {
    async fn upsert(&self, records: Vec<VectorRecord>) -> Result<(), VectorError>;
    async fn delete(&self, ids: Vec<String>) -> Result<(), VectorError>;
    /// The `top_k` vectors nearest to `vector` that pass `filter`, best first.
    async fn query(
        &self,
        vector: &[f32],
        top_k: u32,
        filter: &MetadataFilter,
    ) -> Result<Vec<VectorMatch>, VectorError>;
}

/// Vectorize ids are at most 64 bytes; document keys can be longer, so ids are key hashes.
pub(crate) fn vector_id(key: &str) -> String {
    hex(&sha256(key.as_bytes())[..16])
}

/// Embeds `upserts` (batched) and writes them, then deletes `deleted_keys`. Returns the number
/// of embeddings generated.
pub(crate) async fn sync(
    embedder: &impl Embedder,
    index: &impl VectorIndex,
    upserts: &[VectorDoc],
    deleted_keys: &[String],
) -> Result<u32, VectorError> {
    let mut generated = 0u32;
    let mut pending: Vec<VectorRecord> = Vec::new();
    for batch in upserts.chunks(MAX_EMBED_BATCH) {
        let texts: Vec<String> = batch.iter().map(embedding_text).collect();
        let vectors = embedder.embed(&texts).await?;
        if vectors.len() != batch.len() {
            return Err(VectorError::Embed(format!("{} vectors for {} texts", vectors.len(), batch.len())));
        }
        generated += vectors.len() as u32;
        pending.extend(batch.iter().zip(vectors).map(|(d, values)| VectorRecord {
            id: vector_id(&d.key),
            values,
            metadata: VectorMetadata {
                key: d.key.clone(),
                pokemon: d.pokemon_id.clone(),
                format: d.format.clone(),
                section: d.section.clone(),
            },
        }));
    }
    for chunk in pending.chunks(MAX_UPSERT_BATCH) {
        index.upsert(chunk.to_vec()).await?;
    }
    if !deleted_keys.is_empty() {
        index.delete(deleted_keys.iter().map(|k| vector_id(k)).collect()).await?;
    }
    Ok(generated)
}

/// The embedded text names its subject, so "Kingambit counters" lands near Kingambit's documents
/// even when a passage only says "it".
fn embedding_text(d: &VectorDoc) -> String {
    let text: String = d.text.chars().take(2_000).collect();
    format!("{} ({}, {}): {}", d.pokemon_id, d.format, d.section, text)
}

/// Contract fake of Workers AI embeddings: deterministic vectors, Workers AI's batch limit.
#[derive(Default)]
pub(crate) struct FakeWorkersAi {
    pub calls: std::cell::RefCell<Vec<usize>>,
    /// An outage: every call fails.
    pub down: std::cell::Cell<bool>,
}

impl Embedder for FakeWorkersAi {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError> {
        if self.down.get() {
            return Err(VectorError::Embed("Workers AI is down (fake outage)".into()));
        }
        if texts.is_empty() || texts.len() > MAX_EMBED_BATCH {
            return Err(VectorError::Embed(format!(
                "batch of {} (must be 1..={MAX_EMBED_BATCH})",
                texts.len()
            )));
        }
        if texts.iter().any(|t| t.trim().is_empty()) {
            return Err(VectorError::Embed("empty text".into()));
        }
        self.calls.borrow_mut().push(texts.len());
        Ok(texts.iter().map(|t| fake_vector(t)).collect())
    }
}

fn fake_vector(text: &str) -> Vec<f32> {
    let seed = sha256(text.as_bytes());
    (0..DIMENSIONS).map(|i| f32::from(seed[i % 32]) / 255.0 - 0.5).collect()
}

/// Contract fake of Vectorize: an in-memory index that refuses what Vectorize refuses.
#[derive(Default)]
pub(crate) struct FakeVectorize {
    pub vectors: std::cell::RefCell<std::collections::BTreeMap<String, VectorRecord>>,
    pub upsert_calls: std::cell::RefCell<usize>,
}

impl VectorIndex for FakeVectorize {
    async fn upsert(&self, records: Vec<VectorRecord>) -> Result<(), VectorError> {
        if records.len() > MAX_UPSERT_BATCH {
            return Err(VectorError::Index(format!("{} vectors in one upsert", records.len())));
        }
        for r in &records {
            let metadata = serde_json::to_vec(&r.metadata).map_err(|e| VectorError::Index(e.to_string()))?;
            if r.id.len() > MAX_ID_BYTES
                || metadata.len() > MAX_METADATA_BYTES
                || r.values.len() != DIMENSIONS
            {
                return Err(VectorError::Index(format!("vector {} violates Vectorize limits", r.id)));
            }
        }
        *self.upsert_calls.borrow_mut() += 1;
        let mut vectors = self.vectors.borrow_mut();
        records.into_iter().for_each(|r| {
            vectors.insert(r.id.clone(), r);
        });
        Ok(())
    }

    async fn delete(&self, ids: Vec<String>) -> Result<(), VectorError> {
        let mut vectors = self.vectors.borrow_mut();
        ids.iter().for_each(|id| {
            vectors.remove(id);
        });
        Ok(())
    }

    /// Cosine similarity, like an index created with `--metric=cosine`; topK with metadata is
    /// capped at 20 by Vectorize.
    async fn query(
        &self,
        vector: &[f32],
        top_k: u32,
        filter: &MetadataFilter,
    ) -> Result<Vec<VectorMatch>, VectorError> {
        if !(1..=20).contains(&top_k) || vector.len() != DIMENSIONS {
            return Err(VectorError::Index(format!("topK {top_k} or {} dimensions refused", vector.len())));
        }
        let cosine = |a: &[f32], b: &[f32]| {
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::EPSILON);
            f64::from(dot / (norm(a) * norm(b)))
        };
        let mut matches: Vec<VectorMatch> = self
            .vectors
            .borrow()
            .values()
            .filter(|r| r.metadata.format == filter.format)
            .filter(|r| filter.pokemon.as_ref().is_none_or(|p| *p == r.metadata.pokemon))
            .filter(|r| filter.section.as_ref().is_none_or(|s| *s == r.metadata.section))
            .map(|r| VectorMatch { score: cosine(vector, &r.values), metadata: r.metadata.clone() })
            .collect();
        matches.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.metadata.key.cmp(&b.metadata.key)));
        matches.truncate(top_k as usize);
        Ok(matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn doc(i: usize) -> VectorDoc {
        VectorDoc {
            key: format!(
                "doc:v1:gen9ou:pokemon{i}:usage:with-a-rather-long-key-that-exceeds-sixty-four-bytes"
            ),
            text: format!("text {i}"),
            pokemon_id: format!("pokemon{i}"),
            format: "gen9ou".into(),
            section: "usage".into(),
        }
    }

    #[test]
    fn batches_embeddings_and_keeps_metadata() {
        let (ai, vz) = (FakeWorkersAi::default(), FakeVectorize::default());
        let docs: Vec<VectorDoc> = (0..250).map(doc).collect();
        let generated = block_on(sync(&ai, &vz, &docs, &[])).unwrap();
        assert_eq!(generated, 250);
        assert_eq!(*ai.calls.borrow(), [100, 100, 50]);
        let vectors = vz.vectors.borrow();
        assert_eq!(vectors.len(), 250);
        let v = &vectors[&vector_id(&docs[7].key)];
        assert_eq!(
            v.metadata,
            VectorMetadata {
                key: docs[7].key.clone(),
                pokemon: "pokemon7".into(),
                format: "gen9ou".into(),
                section: "usage".into()
            }
        );
        assert!(v.id.len() <= 64);
    }

    #[test]
    fn deletes_remove_vectors_and_unchanged_documents_cost_nothing() {
        let (ai, vz) = (FakeWorkersAi::default(), FakeVectorize::default());
        let docs: Vec<VectorDoc> = (0..3).map(doc).collect();
        block_on(sync(&ai, &vz, &docs, &[])).unwrap();
        let generated = block_on(sync(&ai, &vz, &[], &[docs[1].key.clone()])).unwrap();
        assert_eq!(generated, 0);
        assert_eq!(ai.calls.borrow().len(), 1, "no embedding call without upserts");
        assert!(!vz.vectors.borrow().contains_key(&vector_id(&docs[1].key)));
        assert_eq!(vz.vectors.borrow().len(), 2);
    }

    #[test]
    fn fakes_enforce_the_contracts() {
        let ai = FakeWorkersAi::default();
        assert!(block_on(ai.embed(&vec!["x".to_owned(); 101])).is_err());
        assert!(block_on(ai.embed(&["  ".to_owned()])).is_err());
        let vz = FakeVectorize::default();
        let bad = VectorRecord {
            id: "x".repeat(65),
            values: vec![0.0; DIMENSIONS],
            metadata: VectorMetadata {
                key: "k".into(),
                pokemon: "p".into(),
                format: "f".into(),
                section: "s".into(),
            },
        };
        assert!(block_on(vz.upsert(vec![bad])).is_err());
    }
}
