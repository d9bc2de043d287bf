//! Server secrets that key what the router and objects compute, read once per isolate (a new
//! deploy or `wrangler secret put` starts new isolates, so nothing here goes stale).
//!
//! - `SESSION_ID_KEY` (and `SESSION_ID_KEY_PREVIOUS` during a rotation): signs session ids, so a
//!   session id can only route to an object the server itself named. Missing: no sessions
//!   (fail closed; `/health` says so), stateless requests are still served.
//! - `PSEUDONYM_KEY`: keys the client pseudonyms in logs and metrics. Missing: no pseudonym is
//!   written at all (an unkeyed hash of an IPv4 address is reversible by brute force).

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use crate::mcp::session::SessionKeys;

thread_local! {
    static SESSION_KEYS: OnceCell<Option<SessionKeys>> = const { OnceCell::new() };
    static PSEUDONYM_KEY: OnceCell<Option<Rc<[u8]>>> = const { OnceCell::new() };
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|s| s.to_string()).filter(|s| !s.trim().is_empty())
}

pub(super) fn session_keys(env: &Env) -> Option<SessionKeys> {
    SESSION_KEYS.with(|cell| {
        cell.get_or_init(|| {
            let keys = SessionKeys::new(
                secret(env, "SESSION_ID_KEY").as_deref(),
                secret(env, "SESSION_ID_KEY_PREVIOUS").as_deref(),
            );
            if keys.is_none() {
                tracing::error!("SESSION_ID_KEY is missing or shorter than 16 characters: sessions are off");
            }
            keys
        })
        .clone()
    })
}

pub(super) fn pseudonym_key(env: &Env) -> Option<Rc<[u8]>> {
    PSEUDONYM_KEY.with(|cell| {
        cell.get_or_init(|| {
            let key = secret(env, "PSEUDONYM_KEY").filter(|k| k.len() >= 16).map(|k| Rc::from(k.as_bytes()));
            if key.is_none() {
                tracing::warn!(
                    "PSEUDONYM_KEY is missing or short: logs and metrics carry no client pseudonym"
                );
            }
            key
        })
        .clone()
    })
}
