//! Rate-limit decisions as HTTP: the IETF draft headers on every `/mcp` response and the 429.

use rmcp::model::{ErrorCode, ErrorData};

use super::http::HttpResponse;
use crate::mcp::jsonrpc;
use crate::policy::limiter::{Decision, Policy};

pub(crate) const POLICY_HEADER: &str = "RateLimit-Policy";
pub(crate) const STATE_HEADER: &str = "RateLimit";

/// JSON-RPC code for "over quota" (implementation-defined server-error range).
pub(crate) const RATE_LIMITED: ErrorCode = ErrorCode(-32000);

/// Adds `RateLimit-Policy` and `RateLimit` to a response.
pub(crate) fn annotate(resp: &mut HttpResponse, policy: &Policy, decision: &Decision) {
    resp.headers.insert(POLICY_HEADER, policy.header());
    resp.headers.insert(STATE_HEADER, decision.header());
}

/// The 429 for a rejected request, echoing its JSON-RPC id when the body has one.
/// `state` is the `RateLimit` header value (see [`Decision::header`]).
pub(crate) fn too_many_requests(
    body: &[u8],
    policy: &Policy,
    state: &str,
    retry_after_secs: u32,
) -> HttpResponse {
    let id = jsonrpc::echo_id(body);
    let limits: Vec<String> = policy.quotas.iter().map(|q| format!("{} per {}", q.limit, q.name)).collect();
    let error = ErrorData::new(
        RATE_LIMITED,
        format!(
            "Rate limit exceeded ({}); retry in {retry_after_secs} s. Contact the operators for an API key with higher limits.",
            limits.join(", ")
        ),
        Some(serde_json::json!({ "retryAfterSeconds": retry_after_secs })),
    );
    HttpResponse::rpc_error(429, id.as_ref(), &error)
        .with_header("Retry-After", retry_after_secs.to_string())
        .with_header(POLICY_HEADER, policy.header())
        .with_header(STATE_HEADER, state)
}

/// A batch with more messages than the caller's quota could ever admit: refused outright, not
/// told to retry (it never would fit).
pub(crate) fn batch_over_quota(body: &[u8], units: u32, max_units: u32) -> HttpResponse {
    let error = ErrorData::invalid_request(
        format!(
            "Invalid Request: a batch of {units} messages exceeds your quota of {max_units} per window; \
             send smaller batches (each message counts as one request)"
        ),
        None,
    );
    HttpResponse::rpc_error(400, jsonrpc::echo_id(body).as_ref(), &error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::limiter::SlidingLog;

    #[test]
    fn rejection_carries_headers_and_the_request_id() {
        let p = Policy::per_minute_and_hour(1, 10);
        let mut log = SlidingLog::default();
        log.decide(0, &p);
        let Decision::Reject { retry_after_secs, .. } = log.decide(1_500, &p) else { panic!() };
        let d = log.decide(1_500, &p);
        let r = too_many_requests(
            br#"{"jsonrpc":"2.0","id":"q1","method":"tools/list"}"#,
            &p,
            &d.header(),
            retry_after_secs,
        );
        assert_eq!(r.status, 429);
        assert_eq!(r.headers.get("Retry-After"), Some("59"));
        assert_eq!(r.headers.get(POLICY_HEADER), Some("\"minute\";q=1;w=60, \"hour\";q=10;w=3600"));
        assert_eq!(r.headers.get(STATE_HEADER), Some("\"minute\";r=0;t=59"));
        let body = r.body_json().unwrap();
        assert_eq!(body["id"], "q1");
        assert_eq!(body["error"]["code"], -32000);
        let unparsable = too_many_requests(b"{oops", &p, &d.header(), 59);
        assert_eq!(unparsable.body_json().unwrap()["id"], serde_json::Value::Null);
    }
}
