//! Every internal header (`X-Porygon-*`): what the router and the Durable Objects tell each
//! other on a forwarded request and its answer. None is taken from a client: the router drops
//! any `X-Porygon-*` header a client sends before forwarding (the fault switch, honoured only by
//! test builds in the local environment, is the one exception) and strips them all from the
//! answer it returns.

/// Router → object: the object's own name.
pub(crate) const OWNER_HEADER: &str = "X-Porygon-Owner";
/// Router → object: enforce this policy (`100/60,1000/3600`) against your log before serving.
pub(crate) const LIMIT_HEADER: &str = "X-Porygon-Limit";
/// Router → object: the role of that limit (`policy::quotas::Role`); an object counts one role.
pub(crate) const LIMIT_ROLE_HEADER: &str = "X-Porygon-Limit-Role";
/// Router → object: how many admissions the request is (a batch's message count).
pub(crate) const LIMIT_UNITS_HEADER: &str = "X-Porygon-Limit-Units";
/// Router → object: the request id, for the object's own logs and error reports.
pub(crate) const REQUEST_ID_HEADER: &str = "X-Porygon-Request-Id";
/// Client → router → objects, test builds in the local environment only: injected faults.
pub(crate) const FAULT_HEADER: &str = "X-Porygon-Fault";

/// Object → router: the handler's cache outcome (`mcp::handler::CallReport`).
pub(crate) const CACHE_REPORT_HEADER: &str = "X-Porygon-Cache";
/// Object → router: why the answer was degraded.
pub(crate) const DEGRADATION_REPORT_HEADER: &str = "X-Porygon-Degradation";
/// Object → router: milliseconds the client object spent answering.
pub(crate) const HANDLER_MS_HEADER: &str = "X-Porygon-Handler-Ms";
/// Object → router: what went wrong behind a 5xx (for the router's error report).
pub(crate) const ERROR_REPORT_HEADER: &str = "X-Porygon-Error";
/// Object → router, on a 429 that blocks the key: when it can next be admitted, exactly, in
/// epoch ms, and the quota that blocks (`<ms>;<quota>`, `transport::admission::Blocked`). The
/// router's deny cache uses it so that it never denies longer than the object would.
pub(crate) const BLOCKED_UNTIL_HEADER: &str = "X-Porygon-Blocked-Until";
/// Object → router: "index_ms,storage_ms,ai_calls,vector_queries", the handler's waits on the
/// hops behind it and its billed calls.
pub(crate) const HOPS_HEADER: &str = "X-Porygon-Hops";
/// Set by the router on the object's answer: ms it waited on the client object.
pub(crate) const OBJECT_MS_HEADER: &str = "X-Porygon-Object-Ms";

/// Whether `name` is an internal header (case-insensitive).
pub(crate) fn is_internal(name: &str) -> bool {
    name.len() >= 10 && name.as_bytes()[..10].eq_ignore_ascii_case(b"x-porygon-")
}

#[cfg(test)]
mod tests {
    #[test]
    fn internal_names_are_recognised_in_any_case() {
        assert!(super::is_internal("X-Porygon-Owner"));
        assert!(super::is_internal("x-porygon-anything"));
        assert!(!super::is_internal("X-Porygon"));
        assert!(!super::is_internal("Mcp-Session-Id"));
        assert!(!super::is_internal("x-porygoné"));
    }
}
