use super::*;
use crate::policy::limiter::Policy;
use crate::transport::ratelimit;

fn sign_in() -> SignIn {
    SignIn::from_public_url(Some("https://mcp.example.org/")).unwrap()
}

#[test]
fn only_a_plain_http_origin_configures_sign_in() {
    assert_eq!(
        sign_in().challenge_header(),
        "Bearer resource_metadata=\"https://mcp.example.org/.well-known/oauth-protected-resource/mcp\", scope=\"mcp\""
    );
    let local = SignIn::from_public_url(Some(" http://127.0.0.1:8799 ")).unwrap();
    assert!(local
        .challenge_header()
        .contains("\"http://127.0.0.1:8799/.well-known/oauth-protected-resource/mcp\""));
    for bad in [
        None,
        Some(""),
        Some("mcp.example.org"),
        Some("ftp://mcp.example.org"),
        Some("https://"),
        Some("https://mcp.example.org/mcp"),
        Some("https://user@mcp.example.org"),
        Some("https://mcp.example.org?x=1"),
        Some("https://mcp.example.org\", scope=\"admin"),
    ] {
        assert_eq!(SignIn::from_public_url(bad), None, "{bad:?}");
    }
}

#[test]
fn only_shared_pools_offer_sign_in() {
    assert!(SignIn::offered_for(Role::Sessionless) && SignIn::offered_for(Role::Network));
    for role in [Role::Address, Role::ApiKey, Role::User, Role::Session, Role::Health, Role::OAuth] {
        assert!(!SignIn::offered_for(role), "{role:?}");
    }
}

/// The challenge keeps everything the 429 told the client (id, when to retry, where it stands)
/// and adds how to sign in.
#[test]
fn a_shared_pool_refusal_becomes_the_challenge() {
    let policy = Policy::per_minute_and_hour(250, 20_000);
    let refused = ratelimit::too_many_requests(
        br#"{"jsonrpc":"2.0","id":"call-7","method":"tools/list"}"#,
        &policy,
        "\"minute\";r=0;t=41",
        41,
    );
    let answer = sign_in().challenge(refused.clone());
    assert_eq!(answer.status, 401);
    assert_eq!(answer.headers.get("WWW-Authenticate"), Some(sign_in().challenge_header().as_str()));
    for header in ["Retry-After", "RateLimit", "RateLimit-Policy", "Content-Type"] {
        assert_eq!(answer.headers.get(header), refused.headers.get(header), "{header}");
    }
    let body = answer.body_json().unwrap();
    assert_eq!(body["id"], "call-7");
    assert_eq!(body["error"]["data"]["retryAfterSeconds"], 41);
    assert!(body["error"]["message"].as_str().unwrap().contains("Sign in"), "{body}");
}

#[test]
fn a_refusal_without_an_id_keeps_none() {
    let refused =
        ratelimit::too_many_requests(b"not json", &Policy::per_minute_and_hour(1, 1), "\"hour\";r=0;t=5", 5);
    let body = sign_in().challenge(refused).body_json().unwrap();
    assert!(body["id"].is_null(), "{body}");
}

#[test]
fn an_invalid_token_names_the_error_and_where_to_sign_in() {
    let refusal = TokenRefusal::InvalidToken("expired".into());
    let answer = refusal.answer(Some(&sign_in()));
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.headers.get("WWW-Authenticate"),
        Some("Bearer error=\"invalid_token\", resource_metadata=\"https://mcp.example.org/.well-known/oauth-protected-resource/mcp\", scope=\"mcp\"")
    );
    assert_eq!(
        refusal.answer(None).headers.get("WWW-Authenticate"),
        Some("Bearer error=\"invalid_token\", scope=\"mcp\"")
    );
    let scope = TokenRefusal::InsufficientScope.answer(Some(&sign_in()));
    assert_eq!(scope.status, 403);
    assert!(scope
        .headers
        .get("WWW-Authenticate")
        .unwrap()
        .starts_with("Bearer error=\"insufficient_scope\""));
}

/// The front door's verdict, as the props carry it, becomes an identity only for a plausible
/// account id with the `mcp` scope.
#[test]
fn only_a_valid_token_with_the_scope_identifies_an_account() {
    let check = |json: serde_json::Value| serde_json::from_value::<TokenCheck>(json).unwrap().identity();
    assert_eq!(
        check(serde_json::json!({"user": "github-123", "scopes": ["mcp"]})),
        Ok(Identity::User { id: "github-123".into() })
    );
    assert_eq!(
        check(serde_json::json!({"user": "github-123", "scopes": []})),
        Err(TokenRefusal::InsufficientScope)
    );
    assert_eq!(
        check(serde_json::json!({"invalid": "revoked"})),
        Err(TokenRefusal::InvalidToken("revoked".into()))
    );
    for user in ["", "a:b", "user name", "x\u{0}y", &"a".repeat(101), "ümlaut"] {
        assert!(
            matches!(
                check(serde_json::json!({"user": user, "scopes": ["mcp"]})),
                Err(TokenRefusal::InvalidToken(_))
            ),
            "{user:?}"
        );
    }
    assert!(serde_json::from_value::<TokenCheck>(serde_json::json!({"user": 5})).is_err());
}
