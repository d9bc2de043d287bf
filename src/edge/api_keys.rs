//! API-key lookup in KV (`API_KEYS`), remembered per isolate for a minute — revocation takes
//! effect within that minute (RUNBOOK.md).

use std::cell::RefCell;
use std::collections::HashMap;

use worker::Env;

use crate::policy::api_keys::{storage_key, ApiKeyRecord};

const BINDING: &str = "API_KEYS";
const CACHE_MS: i64 = 60_000;
const CACHE_CAPACITY: usize = 10_000;

thread_local! {
    static CACHE: RefCell<HashMap<String, (i64, Option<ApiKeyRecord>)>> = RefCell::new(HashMap::new());
}

/// The record for `token`: `Ok(None)` if unknown or revoked. A KV failure is an `Err` (not cached),
/// which the router answers with 503 + `Retry-After`: during a KV outage key holders are told to
/// retry — never that their key is invalid, and never let through unlimited.
pub async fn lookup(env: &Env, token: &str, now_ms: i64) -> Result<Option<ApiKeyRecord>, String> {
    let key = storage_key(token);
    if let Some(hit) =
        CACHE.with(|c| c.borrow().get(&key).filter(|(t, _)| now_ms < *t).map(|(_, r)| r.clone()))
    {
        return Ok(hit);
    }
    if super::faults::current().kv_error {
        return Err("injected fault: KV read failed".into());
    }
    let kv = env.kv(BINDING).map_err(|e| format!("API_KEYS binding: {e}"))?;
    let record = kv.get(&key).json::<ApiKeyRecord>().await.map_err(|e| format!("API key lookup: {e}"))?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAPACITY {
            c.retain(|_, (t, _)| now_ms < *t);
        }
        if c.len() < CACHE_CAPACITY {
            c.insert(key, (now_ms + CACHE_MS, record.clone()));
        }
    });
    Ok(record)
}
