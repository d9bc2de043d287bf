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

/// The record for `token`, `None` if unknown or revoked. KV failures count as unknown (and are
/// not cached), so a KV outage degrades key holders to a 401, never to unlimited access.
pub async fn lookup(env: &Env, token: &str, now_ms: i64) -> Option<ApiKeyRecord> {
    let key = storage_key(token);
    if let Some(hit) =
        CACHE.with(|c| c.borrow().get(&key).filter(|(t, _)| now_ms < *t).map(|(_, r)| r.clone()))
    {
        return hit;
    }
    let kv = match env.kv(BINDING) {
        Ok(kv) => kv,
        Err(e) => {
            tracing::error!(error = %e, "API_KEYS binding missing");
            return None;
        }
    };
    let record = match kv.get(&key).json::<ApiKeyRecord>().await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "API key lookup failed");
            return None;
        }
    };
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAPACITY {
            c.retain(|_, (t, _)| now_ms < *t);
        }
        if c.len() < CACHE_CAPACITY {
            c.insert(key, (now_ms + CACHE_MS, record.clone()));
        }
    });
    record
}
