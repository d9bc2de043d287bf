//! API-key lookup in KV (`API_KEYS`), remembered per isolate for a minute — revocation takes
//! effect within that minute (RUNBOOK.md). Unknown tokens are remembered too (a bounded LRU, so
//! a flood of made-up tokens can neither grow memory nor, once seen, cost another KV read).

use super::faults::Faults;
use std::cell::RefCell;
use std::num::NonZeroUsize;

use lru::LruCache;

use worker::Env;

use crate::policy::api_keys::{storage_key, ApiKeyRecord};

const BINDING: &str = "API_KEYS";
const CACHE_MS: i64 = 60_000;
const CACHE_CAPACITY: usize = 10_000;

thread_local! {
    static CACHE: RefCell<LruCache<String, (i64, Option<ApiKeyRecord>)>> =
        RefCell::new(LruCache::new(NonZeroUsize::new(CACHE_CAPACITY).expect("non-zero")));
}

/// What this isolate remembers of `token`: `Some(Some(record))` valid, `Some(None)` known
/// invalid or revoked, `None` not seen within the last minute.
pub(super) fn cached(token: &str, now_ms: i64) -> Option<Option<ApiKeyRecord>> {
    let key = storage_key(token);
    CACHE.with(|c| c.borrow_mut().get(&key).filter(|(t, _)| now_ms < *t).map(|(_, r)| r.clone()))
}

/// The record for `token`: `Ok(None)` if unknown or revoked. A KV failure is an `Err` (not cached),
/// which the router answers with 503 + `Retry-After`: during a KV outage key holders are told to
/// retry — never that their key is invalid, and never let through unlimited.
pub(super) async fn lookup(
    env: &Env,
    token: &str,
    now_ms: i64,
    faults: Faults,
) -> Result<Option<ApiKeyRecord>, String> {
    if let Some(hit) = cached(token, now_ms) {
        return Ok(hit);
    }
    let key = storage_key(token);
    if faults.kv_error() {
        return Err("injected fault: KV read failed".into());
    }
    let kv = env.kv(BINDING).map_err(|e| format!("API_KEYS binding: {e}"))?;
    let record = kv.get(&key).json::<ApiKeyRecord>().await.map_err(|e| format!("API key lookup: {e}"))?;
    CACHE.with(|c| c.borrow_mut().put(key, (now_ms + CACHE_MS, record.clone())));
    Ok(record)
}
