//! Workers AI embeddings and Vectorize, when bound (staging and production). Locally neither
//! exists — wrangler cannot simulate them — and ingestion simply skips the semantic index.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use worker::Env;

use crate::corpus::Document;
use crate::ingest::vectors::{
    self, Embedder, VectorDoc, VectorError, VectorIndex, VectorRecord, EMBEDDING_MODEL,
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
pub fn vectorize(env: &Env) -> Option<VectorizeBinding> {
    let value = js_sys::Reflect::get(env.as_ref(), &"VECTORIZE".into()).ok()?;
    (!value.is_undefined() && !value.is_null()).then(|| value.unchecked_into())
}

struct WorkersAi(worker::Ai);

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

struct Vectorize(VectorizeBinding);

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
}

/// Embeds and upserts `upserts`, deletes `deletes`; `Ok(0)` where AI/Vectorize are not bound.
pub async fn sync_if_bound(env: &Env, upserts: &[Document], deletes: &[String]) -> Result<u32, VectorError> {
    let (Ok(ai), Some(index)) = (env.ai("AI"), vectorize(env)) else { return Ok(0) };
    let docs: Vec<VectorDoc> = upserts
        .iter()
        .map(|d| VectorDoc {
            key: d.key.clone(),
            text: d.text.clone(),
            pokemon_id: d.pokemon_id.clone(),
            format: d.format.clone(),
            section: d.section.as_str().to_owned(),
        })
        .collect();
    vectors::sync(&WorkersAi(ai), &Vectorize(index), &docs, deletes).await
}
