//! Workers AI embeddings and Vectorize, when bound (staging and production). Locally neither
//! exists — wrangler cannot simulate them — and ingestion simply skips the semantic index. The
//! logic that uses them (`ingest::step`, `ingest::vectors`) is pure and tested against fakes.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use worker::Env;

use crate::ingest::vectors::{
    Embedder, MetadataFilter, VectorError, VectorIndex, VectorMatch, VectorRecord, EMBEDDING_MODEL,
};

#[wasm_bindgen]
extern "C" {
    /// The Vectorize binding (no typed binding in workers-rs).
    #[wasm_bindgen(js_name = VectorizeIndex)]
    pub type VectorizeBinding;

    #[wasm_bindgen(method, catch)]
    fn upsert(this: &VectorizeBinding, vectors: JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(method, js_name = deleteByIds, catch)]
    fn delete_by_ids(this: &VectorizeBinding, ids: JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn query(
        this: &VectorizeBinding,
        vector: JsValue,
        options: JsValue,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// The VECTORIZE binding, if this environment has one.
pub(super) fn vectorize(env: &Env) -> Option<VectorizeBinding> {
    let value = js_sys::Reflect::get(env.as_ref(), &"VECTORIZE".into()).ok()?;
    (!value.is_undefined() && !value.is_null()).then(|| value.unchecked_into())
}

/// Workers AI and Vectorize, when both are bound here.
pub(super) fn bindings(env: &Env) -> Option<(WorkersAi, Vectorize)> {
    Some((WorkersAi(env.ai("AI").ok()?), Vectorize(vectorize(env)?)))
}

pub(super) struct WorkersAi(worker::Ai);

#[derive(Serialize)]
struct EmbedIn<'a> {
    text: &'a [String],
}

#[derive(Deserialize)]
struct EmbedOut {
    data: Vec<Vec<f32>>,
}

impl Embedder for WorkersAi {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError> {
        let out: EmbedOut = self
            .0
            .run(EMBEDDING_MODEL, EmbedIn { text: texts })
            .await
            .map_err(|e| VectorError::Embed(e.to_string()))?;
        Ok(out.data)
    }
}

pub(super) struct Vectorize(VectorizeBinding);

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, VectorError> {
    // Plain objects, not Maps: Vectorize ignores Map entries.
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| VectorError::Index(e.to_string()))
}

async fn settle(promise: Result<js_sys::Promise, JsValue>) -> Result<(), VectorError> {
    let promise = promise.map_err(|e| VectorError::Index(format!("{e:?}")))?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| VectorError::Index(format!("{e:?}")))
}

impl VectorIndex for Vectorize {
    async fn upsert(&self, records: Vec<VectorRecord>) -> Result<(), VectorError> {
        settle(self.0.upsert(to_js(&records)?)).await
    }

    async fn delete(&self, ids: Vec<String>) -> Result<(), VectorError> {
        settle(self.0.delete_by_ids(to_js(&ids)?)).await
    }

    async fn query(
        &self,
        vector: &[f32],
        top_k: u32,
        filter: &MetadataFilter,
    ) -> Result<Vec<VectorMatch>, VectorError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Options<'a> {
            top_k: u32,
            return_metadata: &'static str,
            filter: &'a MetadataFilter,
        }
        #[derive(Deserialize)]
        struct Matches {
            matches: Vec<RawMatch>,
        }
        #[derive(Deserialize)]
        struct RawMatch {
            score: f64,
            metadata: Option<crate::ingest::vectors::VectorMetadata>,
        }
        // "all": the document key is stored metadata but not a metadata index, and "indexed"
        // returns only indexed fields (topK with all metadata is capped at 20, our maximum).
        let options = Options { top_k, return_metadata: "all", filter };
        let promise = self
            .0
            .query(to_js(&vector)?, to_js(&options)?)
            .map_err(|e| VectorError::Index(format!("{e:?}")))?;
        let result = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| VectorError::Index(format!("{e:?}")))?;
        let matches: Matches =
            serde_wasm_bindgen::from_value(result).map_err(|e| VectorError::Index(e.to_string()))?;
        // A match without metadata cannot be resolved to a document: skipped.
        Ok(matches
            .matches
            .into_iter()
            .filter_map(|m| Some(VectorMatch { score: m.score, metadata: m.metadata? }))
            .collect())
    }
}
