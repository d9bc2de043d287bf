//! The client object's side of admission: the limit the router asks it to count (read from the
//! internal headers), decided and recorded over its [`AdmissionStore`] before anything else, a
//! refusal as the 429 (with the [`Blocked`] note for the router's deny cache), and the
//! `RateLimit-*` headers on what it serves.

use rmcp::model::ErrorData;

use super::Blocked;
use crate::mcp::session::StoreError;
use crate::policy::admissions::{self, AdmissionError, AdmissionStore};
use crate::policy::limiter::{Decision, Policy};
use crate::policy::quotas::{decode_policy, Role};
use crate::transport::internal::{
    BLOCKED_UNTIL_HEADER, ERROR_REPORT_HEADER, LIMIT_HEADER, LIMIT_ROLE_HEADER, LIMIT_UNITS_HEADER,
};
use crate::transport::ratelimit;
use crate::transport::{Headers, HttpResponse};

/// A limit the router asked this object to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asked {
    pub policy: Policy,
    pub role: Role,
    pub units: u32,
}

/// The limit a request asks this object to count: `Ok(None)` when it asks none; `Err` with the
/// answer when it is unreadable (the router always sends policy and role, valid: anything else
/// is refused, not guessed).
pub(crate) fn asked(headers: &Headers) -> Result<Option<Asked>, HttpResponse> {
    let Some(raw) = headers.get(LIMIT_HEADER) else { return Ok(None) };
    let role = headers.get(LIMIT_ROLE_HEADER).and_then(Role::parse);
    let units = headers.get(LIMIT_UNITS_HEADER).and_then(|u| u.parse::<u32>().ok()).unwrap_or(1);
    match (decode_policy(raw), role) {
        (Some(policy), Some(role)) => Ok(Some(Asked { policy, role, units })),
        _ => Err(wrong_limit(&format!("unreadable limit {raw:.60}"))),
    }
}

/// What counting admitted: nothing asked, or the decision under a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Counted {
    Unlimited,
    Admitted { policy: Policy, decision: Decision },
}

impl Counted {
    /// Whether an admission was stored (for the object's alarm to clean up).
    pub(crate) fn stored(&self) -> bool {
        matches!(self, Counted::Admitted { .. })
    }

    /// `RateLimit-Policy` and `RateLimit` on what is served.
    pub(crate) fn annotate(&self, resp: &mut HttpResponse) {
        if let Counted::Admitted { policy, decision } = self {
            ratelimit::annotate(resp, policy, decision);
        }
    }
}

/// Decides and records `asked` at `now_ms`, with nothing awaited in between. `Err` is the answer
/// instead of serving: the 429 (`body` gives its JSON-RPC id), a 503 when storage failed, a 409
/// when the limit is another role's.
pub(crate) fn count(
    store: &impl AdmissionStore,
    asked: Option<&Asked>,
    now_ms: i64,
    body: &[u8],
) -> Result<Counted, HttpResponse> {
    let Some(Asked { policy, role, units }) = asked else { return Ok(Counted::Unlimited) };
    let decision = match admissions::decide(store, now_ms, policy, *role, *units) {
        Ok(d) => d,
        Err(AdmissionError::Store(e)) => return Err(storage_failed(&e)),
        Err(e @ AdmissionError::WrongRole { .. }) => return Err(wrong_limit(&e.to_string())),
    };
    if let Decision::Reject { retry_after_secs, unblock_at_ms, .. } = &decision {
        let mut resp = ratelimit::too_many_requests(body, policy, &decision.header(), *retry_after_secs);
        if let Some(until_ms) = unblock_at_ms {
            let quota = decision.tightest().map_or("", |s| s.name).to_owned();
            let blocked = Blocked { until_ms: *until_ms, quota };
            resp = resp.with_header(BLOCKED_UNTIL_HEADER, blocked.header());
        }
        return Err(resp);
    }
    Ok(Counted::Admitted { policy: policy.clone(), decision })
}

/// The rate-limit storage failed: 503, the client may retry.
pub(crate) fn storage_failed(e: &StoreError) -> HttpResponse {
    tracing::error!(error = %e, "rate-limit storage failed");
    temporarily_unavailable(format!("rate-limit storage: {e}"))
}

/// 503 + `Retry-After` for a failure of ours the client can retry; `report` reaches the router
/// (the request record, Sentry), never the client.
pub(crate) fn temporarily_unavailable(report: String) -> HttpResponse {
    HttpResponse::rpc_error(
        503,
        None,
        &ErrorData::internal_error("Temporarily unavailable; retry shortly", None),
    )
    .with_header("Retry-After", "1")
    .with_header(ERROR_REPORT_HEADER, report)
}

/// A limit this object will not count (another role's, or unreadable): nothing is read or
/// written. Only a bug can send one (the router verifies every id that picks an object), so it
/// is the router's to report; the client sees a 503.
fn wrong_limit(detail: &str) -> HttpResponse {
    tracing::error!(detail, "client object refused a limit");
    HttpResponse::rpc_error(
        409,
        None,
        &ErrorData::internal_error("Temporarily unavailable; retry shortly", None),
    )
    .with_header(ERROR_REPORT_HEADER, format!("refused limit: {detail}"))
}
