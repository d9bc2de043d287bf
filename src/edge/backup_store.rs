//! What backups read and write: KV namespaces through their JS API, and the `BACKUPS` R2 bucket.
//!
//! KV goes through the binding's own methods rather than workers-rs' typed `KvStore`: that one
//! turns metadata into a `serde_json::Value`, which sorts object keys — a restore would then
//! write back different metadata JSON. Here metadata stays the text `JSON.stringify` gives and
//! is handed back to `put` as `JSON.parse` of it; values are read and written as bytes.

use futures::{stream, StreamExt};
use js_sys::{Object, Promise, Reflect, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::{Bucket, Env, HttpMetadata, Result};

use crate::backup::manifest::Manifest;
use crate::backup::part::Record;
use crate::backup::retention::Listed;
use crate::backup::{job::Current, manifest_key, prefix, BackupError, ROOT};

#[wasm_bindgen]
extern "C" {
    /// A KV namespace binding (`KVNamespace`).
    pub type KvNamespace;

    #[wasm_bindgen(method, catch, js_name = list)]
    fn js_list(this: &KvNamespace, options: &JsValue) -> std::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = get)]
    fn js_get(this: &KvNamespace, key: &str, options: &JsValue) -> std::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = put)]
    fn js_put(
        this: &KvNamespace,
        key: &str,
        value: &Uint8Array,
        options: &JsValue,
    ) -> std::result::Result<Promise, JsValue>;
}

/// One key of a KV list page.
pub(super) struct ListedKey {
    pub name: String,
    pub expiration: Option<u64>,
    pub metadata: Option<String>,
}

pub(super) struct Page {
    pub keys: Vec<ListedKey>,
    pub list_complete: bool,
    pub cursor: Option<String>,
}

pub(super) struct Kv(KvNamespace);

async fn settle(promise: std::result::Result<Promise, JsValue>) -> Result<JsValue> {
    Ok(JsFuture::from(promise?).await?)
}

fn object(entries: &[(&str, JsValue)]) -> Result<JsValue> {
    let o = Object::new();
    for (k, v) in entries {
        Reflect::set(&o, &(*k).into(), v)?;
    }
    Ok(o.into())
}

fn field(value: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(value, &name.into()).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

impl Kv {
    pub(super) fn bind(env: &Env, binding: &str) -> Result<Self> {
        let value = Reflect::get(env.as_ref(), &binding.into())?;
        if value.is_undefined() || value.is_null() {
            return Err(worker::Error::BindingError(binding.into()));
        }
        Ok(Self(value.unchecked_into()))
    }

    /// One page of keys (with expiration and metadata), in key order.
    pub(super) async fn list(&self, cursor: Option<&str>, prefix: Option<&str>, limit: u32) -> Result<Page> {
        let mut options = vec![("limit", JsValue::from(limit))];
        if let Some(c) = cursor {
            options.push(("cursor", c.into()));
        }
        if let Some(p) = prefix {
            options.push(("prefix", p.into()));
        }
        let result = settle(self.0.js_list(&object(&options)?)).await?;
        let list = field(&result, "keys").map(|k| js_sys::Array::from(&k)).unwrap_or_default();
        let mut keys = Vec::with_capacity(list.length() as usize);
        for entry in list.iter() {
            let name = field(&entry, "name")
                .and_then(|n| n.as_string())
                .ok_or_else(|| worker::Error::RustError("KV list entry without a name".into()))?;
            let expiration = field(&entry, "expiration").and_then(|e| e.as_f64()).map(|e| e as u64);
            let metadata = match field(&entry, "metadata") {
                Some(m) => JSON::stringify(&m)?.as_string(),
                None => None,
            };
            keys.push(ListedKey { name, expiration, metadata });
        }
        Ok(Page {
            keys,
            list_complete: field(&result, "list_complete").and_then(|c| c.as_bool()).unwrap_or(true),
            cursor: field(&result, "cursor").and_then(|c| c.as_string()).filter(|c| !c.is_empty()),
        })
    }

    /// A value's bytes.
    pub(super) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let value = settle(self.0.js_get(key, &object(&[("type", "arrayBuffer".into())])?)).await?;
        if value.is_null() || value.is_undefined() {
            return Ok(None);
        }
        Ok(Some(Uint8Array::new(&value).to_vec()))
    }

    /// Writes a record back: the same bytes, absolute expiration and metadata JSON.
    pub(super) async fn put(&self, record: &Record) -> Result<()> {
        let mut options = Vec::new();
        if let Some(e) = record.expiration {
            options.push(("expiration", JsValue::from_f64(e as f64)));
        }
        if let Some(m) = &record.metadata {
            options.push(("metadata", JSON::parse(m)?));
        }
        let value = Uint8Array::new_with_length(record.value.len() as u32);
        value.copy_from(&record.value);
        settle(self.0.js_put(&record.key, &value, &object(&options)?)).await.map(|_| ())
    }

    /// A key as it is now: its value, and its expiration and metadata (from a one-key list,
    /// the only read that returns the expiration).
    pub(super) async fn current(&self, key: &str) -> Result<Option<Current>> {
        let (listed, value) = futures::join!(self.list(None, Some(key), 1), self.get(key));
        let Some(value) = value? else { return Ok(None) };
        let listed = listed?.keys.into_iter().find(|k| k.name == key);
        Ok(Some(Current {
            value,
            expiration: listed.as_ref().and_then(|k| k.expiration),
            metadata: listed.and_then(|k| k.metadata),
        }))
    }
}

/// A backup found in the bucket, with its manifest when it has a readable one.
pub(super) struct Found {
    pub id: String,
    pub manifest: Option<std::result::Result<Manifest, BackupError>>,
}

impl Found {
    pub(super) fn listed(&self) -> Listed {
        // A manifest that does not parse still marks the backup complete: retention may then
        // delete it like any complete backup, never keep it forever as "incomplete, recent".
        Listed { id: self.id.clone(), complete: self.manifest.is_some() }
    }
}

pub(super) struct Store(Bucket);

impl Store {
    pub(super) fn new(env: &Env) -> Result<Self> {
        Ok(Self(env.bucket("BACKUPS")?))
    }

    pub(super) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.0.get(key).execute().await? {
            Some(object) => match object.body() {
                Some(body) => body.bytes().await.map(Some),
                None => Ok(Some(Vec::new())),
            },
            None => Ok(None),
        }
    }

    /// Stores an object; R2 checks the upload against `sha256`.
    pub(super) async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        sha256: Vec<u8>,
        content_type: &str,
    ) -> Result<()> {
        let metadata = HttpMetadata { content_type: Some(content_type.into()), ..Default::default() };
        self.0.put(key, bytes).http_metadata(metadata).sha256(sha256).execute().await.map(|_| ())
    }

    /// Whether anything is stored under the backup's prefix.
    pub(super) async fn exists(&self, backup_id: &str) -> Result<bool> {
        let listed = self.0.list().prefix(prefix(backup_id)).limit(1).execute().await?;
        Ok(!listed.objects().is_empty())
    }

    pub(super) async fn manifest(
        &self,
        backup_id: &str,
    ) -> Result<Option<std::result::Result<Manifest, BackupError>>> {
        Ok(self.get(&manifest_key(backup_id)).await?.map(|bytes| Manifest::parse(&bytes, backup_id)))
    }

    /// Every backup in the bucket (any prefix under `kv/`), oldest first, with its manifest.
    pub(super) async fn list(&self) -> Result<Vec<Found>> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request = self.0.list().prefix(ROOT).delimiter("/");
            if let Some(c) = cursor.take() {
                request = request.cursor(c);
            }
            let page = request.execute().await?;
            ids.extend(page.delimited_prefixes().into_iter().filter_map(|p| {
                let id = p.strip_prefix(ROOT)?.strip_suffix('/')?;
                (!id.is_empty()).then(|| id.to_owned())
            }));
            cursor = page.cursor().filter(|_| page.truncated());
            if cursor.is_none() {
                break;
            }
        }
        ids.sort();
        let found: Vec<Result<Found>> = stream::iter(ids)
            .map(|id| async move {
                let manifest = self.manifest(&id).await?;
                Ok(Found { id, manifest })
            })
            .buffered(8)
            .collect()
            .await;
        found.into_iter().collect()
    }

    /// Deletes up to 1,000 objects of a backup; returns how many, and whether none are left.
    pub(super) async fn delete_batch(&self, backup_id: &str) -> Result<(u64, bool)> {
        let page = self.0.list().prefix(prefix(backup_id)).limit(1000).execute().await?;
        let keys: Vec<String> = page.objects().iter().map(worker::Object::key).collect();
        if !keys.is_empty() {
            self.0.delete_multiple(keys.clone()).await?;
        }
        Ok((keys.len() as u64, !page.truncated()))
    }
}

/// The raw SHA-256 of an object, for `Store::put`.
pub(super) fn digest(bytes: &[u8]) -> Vec<u8> {
    crate::primitives::digest::sha256(bytes).to_vec()
}
