//! Signing in, as HTTP: the MCP authorization challenge (RFC 9728 `resource_metadata`, RFC 6750
//! `WWW-Authenticate: Bearer`) that makes a client such as Claude.ai offer "Connect".
//!
//! Sign-in is lazy: anonymous use is never challenged until the pool an anonymous caller shares
//! with its network (the sessionless group or the network's ceiling) is used up. Then the
//! refusal is the challenge instead of a bare 429: the same `Retry-After` and `RateLimit`
//! headers, status 401, so a person can continue with a quota of their own. A session's own
//! quota, an address's and an API key's keep their 429: signing in would not change whose
//! quota they spent.

use rmcp::model::{ErrorCode, ErrorData, RequestId};
use serde::Deserialize;

use super::http::HttpResponse;
use crate::policy::quotas::{Identity, Role};

/// The one scope porygon grants: use of its MCP endpoint.
pub(crate) const SCOPE: &str = "mcp";

/// Where clients find out how to sign in: this deployment's public origin (`PUBLIC_URL`). Absent
/// where OAuth is not configured, and then nothing is ever challenged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignIn {
    resource_metadata: String,
}

impl SignIn {
    /// From `PUBLIC_URL` (`https://mcp.example.org`): an http(s) origin, no path, query or
    /// credentials; anything else is not a usable issuer and disables the challenge.
    pub(crate) fn from_public_url(url: Option<&str>) -> Option<Self> {
        let url = url?.trim().trim_end_matches('/');
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
        let clean = !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        clean.then(|| Self { resource_metadata: format!("{url}/.well-known/oauth-protected-resource/mcp") })
    }

    /// Whether a refusal by a limit of `role` is answered with the challenge.
    pub(crate) fn offered_for(role: Role) -> bool {
        matches!(role, Role::Sessionless | Role::Network)
    }

    /// The `WWW-Authenticate` value of the challenge (no `error`: the request carried no
    /// credentials, RFC 6750 §3.1).
    pub(crate) fn challenge_header(&self) -> String {
        format!("Bearer resource_metadata=\"{}\", scope=\"{SCOPE}\"", self.resource_metadata)
    }

    /// A shared pool's 429 turned into the challenge: 401, the same id, `Retry-After` and
    /// `RateLimit` headers, and a message that says what signing in gives.
    pub(crate) fn challenge(&self, refused: HttpResponse) -> HttpResponse {
        let id: Option<RequestId> =
            refused.body_json().and_then(|b| serde_json::from_value(b.get("id")?.clone()).ok());
        let retry = refused.headers.get("Retry-After").map(str::to_owned);
        let error = ErrorData::new(
            ErrorCode(-32001),
            "The quota this network shares is used up. Sign in (OAuth) for a quota of your own, \
             or retry later.",
            retry
                .as_ref()
                .and_then(|r| r.parse::<u32>().ok())
                .map(|s| serde_json::json!({"retryAfterSeconds": s})),
        );
        let mut answer = HttpResponse::rpc_error(401, id.as_ref(), &error);
        for (name, value) in refused.headers.iter() {
            if name.eq_ignore_ascii_case("Content-Type") {
                continue;
            }
            answer.headers.insert(name, value);
        }
        answer.with_header("WWW-Authenticate", self.challenge_header())
    }
}

/// What the OAuth front door (`src/entry.mjs`, which holds the authorization server) found when
/// it checked a request's bearer token, handed over in the invocation's props — never in a
/// header, so no client can forge it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum TokenCheck {
    /// A valid access token for this resource: the account it was issued to and its scopes.
    Valid { user: String, scopes: Vec<String> },
    /// Expired, revoked, for another resource, or not ours at all.
    Invalid { invalid: String },
}

/// Why a checked token does not identify the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenRefusal {
    #[error("the access token is not valid here ({0})")]
    InvalidToken(String),
    #[error("the access token lacks the \"mcp\" scope")]
    InsufficientScope,
}

impl TokenCheck {
    /// The signed-in account, or why not. An account id is the identity provider's
    /// (`github-123`): short, and only letters, digits, `.`, `_` and `-`, or it is refused.
    pub(crate) fn identity(self) -> Result<Identity, TokenRefusal> {
        match self {
            TokenCheck::Invalid { invalid } => Err(TokenRefusal::InvalidToken(
                invalid.chars().filter(char::is_ascii_graphic).take(60).collect(),
            )),
            TokenCheck::Valid { user, scopes } => {
                let plausible = (1..=100).contains(&user.len())
                    && user.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
                if !plausible {
                    return Err(TokenRefusal::InvalidToken("unusable account id".into()));
                }
                if !scopes.iter().any(|s| s == SCOPE) {
                    return Err(TokenRefusal::InsufficientScope);
                }
                Ok(Identity::User { id: user })
            }
        }
    }
}

impl TokenRefusal {
    /// 401 `invalid_token` (the client refreshes or signs in again) or 403 `insufficient_scope`,
    /// as RFC 6750 §3.1 writes them, with where to sign in when that is configured.
    pub(crate) fn answer(&self, sign_in: Option<&SignIn>) -> HttpResponse {
        let metadata =
            sign_in.map(|s| format!(", resource_metadata=\"{}\"", s.resource_metadata)).unwrap_or_default();
        let (status, challenge) = match self {
            TokenRefusal::InvalidToken(_) => {
                (401, format!("Bearer error=\"invalid_token\"{metadata}, scope=\"{SCOPE}\""))
            }
            TokenRefusal::InsufficientScope => {
                (403, format!("Bearer error=\"insufficient_scope\"{metadata}, scope=\"{SCOPE}\""))
            }
        };
        HttpResponse::rpc_error(
            status,
            None,
            &ErrorData::invalid_request(format!("Unauthorized: {self}"), None),
        )
        .with_header("WWW-Authenticate", challenge)
    }
}

#[cfg(test)]
mod tests;
