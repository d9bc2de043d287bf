//! API keys: opaque bearer tokens, stored only as their SHA-256 (KV `API_KEYS`, key
//! `key:<hex>`), each with its own quotas. Created and revoked by `scripts/apikey.mjs`.

use serde::{Deserialize, Serialize};

use super::limiter::{Policy, MAX_LIMIT};
use crate::primitives::digest::sha256_hex;

/// Tokens look like `pgn_<43 base62 chars>`; anything else is refused before any lookup.
pub(crate) const TOKEN_PREFIX: &str = "pgn_";

/// What the KV record holds for one key (no secret material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiKeyRecord {
    /// Public id, used in logs and to revoke.
    pub id: String,
    pub name: String,
    pub per_minute: Option<u32>,
    pub per_hour: Option<u32>,
    pub created_at: String,
}

impl ApiKeyRecord {
    /// The key's own figures where they are valid (1..=`MAX_LIMIT`), else the default's: a
    /// record with a zero or absurd figure neither locks its holder out nor reaches the limiter.
    pub(crate) fn policy(&self, default: &Policy) -> Policy {
        let pick = |name: &str, own: Option<u32>| {
            let fallback = default.quotas.iter().find(|q| q.name == name).map_or(1, |q| q.limit);
            own.filter(|n| (1..=MAX_LIMIT).contains(n)).unwrap_or(fallback)
        };
        Policy::per_minute_and_hour(pick("minute", self.per_minute), pick("hour", self.per_hour))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("Authorization header must be `Bearer <api key>`")]
    Malformed,
    #[error("invalid or revoked API key")]
    Invalid,
}

/// The bearer token of an `Authorization` header, if any. `Ok(None)`: anonymous.
pub(crate) fn bearer_token(header: Option<&str>) -> Result<Option<&str>, AuthError> {
    let Some(value) = header.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed);
    }
    let token = token.trim();
    let well_formed = token.starts_with(TOKEN_PREFIX)
        && token.len() <= 100
        && token[TOKEN_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric())
        && token.len() > TOKEN_PREFIX.len() + 16;
    if well_formed {
        Ok(Some(token))
    } else {
        Err(AuthError::Invalid)
    }
}

/// KV key under which a token's record is stored.
pub(crate) fn storage_key(token: &str) -> String {
    format!("key:{}", sha256_hex(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        let token = "pgn_abcdefghijklmnopqrstuvwxyz012345";
        assert_eq!(bearer_token(None), Ok(None));
        assert_eq!(bearer_token(Some("")), Ok(None));
        assert_eq!(bearer_token(Some(&format!("Bearer {token}"))), Ok(Some(token)));
        assert_eq!(bearer_token(Some(&format!("bearer  {token} "))), Ok(Some(token)));
        assert_eq!(bearer_token(Some("Basic dXNlcjpwYXNz")), Err(AuthError::Malformed));
        assert_eq!(bearer_token(Some("Bearer")), Err(AuthError::Malformed));
        assert_eq!(bearer_token(Some("Bearer pgn_short")), Err(AuthError::Invalid));
        assert_eq!(bearer_token(Some("Bearer pgn_abcdefghijklmnopqrstuv-xyz")), Err(AuthError::Invalid));
    }

    #[test]
    fn storage_key_is_the_hash_not_the_token() {
        let k = storage_key("pgn_abcdefghijklmnopqrstuvwxyz012345");
        assert!(k.starts_with("key:") && k.len() == 4 + 64);
        assert!(!k.contains("abcdefghij"));
    }

    #[test]
    fn record_policy_falls_back_to_defaults() {
        let default = Policy::per_minute_and_hour(1000, 20_000);
        let r = ApiKeyRecord {
            id: "k1".into(),
            name: "n".into(),
            per_minute: Some(5000),
            per_hour: None,
            created_at: "t".into(),
        };
        assert_eq!(r.policy(&default), Policy::per_minute_and_hour(5000, 20_000));
        let zero = ApiKeyRecord { per_minute: Some(0), per_hour: Some(MAX_LIMIT + 1), ..r.clone() };
        assert_eq!(zero.policy(&default), default, "invalid figures fall back to the default");
        let parsed: ApiKeyRecord =
            serde_json::from_str(r#"{"id":"k2","name":"x","createdAt":"2026-01-01"}"#).unwrap();
        assert_eq!(parsed.policy(&default), default);
    }
}
