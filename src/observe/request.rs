//! One record per `/mcp` request: the structured log line and the Analytics Engine data point
//! share it, so logs and metrics never disagree. The column layout below is a contract that
//! RUNBOOK.md's SLO queries rely on: append, never reorder.

use hmac::Mac;

use crate::mcp::jsonrpc::{self, Incoming, Message};
use crate::primitives::digest::hmac_sha256;

/// What the router could tell about the JSON-RPC payload before forwarding it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RpcSummary {
    /// The method, "batch" for a batch, "-" when there is none (unparseable body, GET, DELETE).
    pub method: String,
    /// The tool of a `tools/call`, sanitised: it is client-chosen text.
    pub tool: Option<String>,
    /// What the quota counts: every message of a batch is one request; anything else is 1.
    pub units: u32,
}

impl RpcSummary {
    pub(crate) fn of(body: &[u8]) -> Self {
        match jsonrpc::parse(body) {
            Ok(Incoming::Single(Message::Request(r))) => {
                let tool = (r.method == "tools/call")
                    .then(|| r.params.as_ref()?.get("name")?.as_str().map(label))
                    .flatten();
                Self { method: label(&r.method), tool, units: 1 }
            }
            Ok(Incoming::Single(Message::Notification(n))) => {
                Self { method: label(&n.method), tool: None, units: 1 }
            }
            Ok(Incoming::Batch(ms)) => Self {
                method: "batch".into(),
                tool: None,
                units: u32::try_from(ms.len()).unwrap_or(u32::MAX),
            },
            _ => Self { method: "-".into(), tool: None, units: 1 },
        }
    }
}

/// Client text as a log/metric label: at most 48 characters of `[A-Za-z0-9_./-]` (anything else
/// becomes `_`), so labels cannot inject log lines or explode metric cardinality unboundedly.
fn label(text: &str) -> String {
    text.chars()
        .take(48)
        .map(|c| if c.is_ascii_alphanumeric() || "_./-".contains(c) { c } else { '_' })
        .collect()
}

/// A client key (address, /64 prefix, API key id, session owner) as a 16-hex-digit pseudonym:
/// HMAC-SHA256 under a server secret, so logs can follow one client without anyone being able
/// to recover an IPv4 address by hashing all 2³² of them.
pub(crate) fn client_pseudonym(secret: &[u8], client_key: &str) -> String {
    let mut mac = hmac_sha256(secret);
    mac.update(b"porygon-client:");
    mac.update(client_key.as_bytes());
    mac.finalize().into_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The limiter's part in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimiterDecision {
    Admitted,
    /// Rejected by a client object.
    Rejected,
    /// Rejected by the router's deny cache, without asking the object.
    RejectedCached,
    /// Never reached the limiter (refused earlier, e.g. by the gate).
    None,
}

impl LimiterDecision {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Admitted => "admitted",
            Self::Rejected => "rejected",
            Self::RejectedCached => "rejected-cached",
            Self::None => "none",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RequestRecord {
    pub request_id: String,
    /// [`client_pseudonym`] of the quota key, or "-" when the request was refused before identification.
    pub client: String,
    pub environment: String,
    pub rpc: RpcSummary,
    /// The `MCP-Protocol-Version` header as sent ("-" when absent), sanitised.
    pub protocol: String,
    pub status: u16,
    pub latency_ms: f64,
    /// Time the client object spent answering (the query itself: tools, search, storage), when
    /// it answered; the rest of `latency_ms` is routing, identification and limiting.
    pub handler_ms: Option<f64>,
    pub limiter: LimiterDecision,
    /// "hit" | "shared" | "coalesced" | "miss", or "none" when no cached tool ran.
    pub cache: String,
    /// Why the answer was degraded ("" when it was not).
    pub degradation: String,
    pub colo: String,
    /// Workers AI and Vectorize calls the answer made (the per-request cost drivers).
    pub billed: BilledCalls,
}

/// Calls a request made that are billed per call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BilledCalls {
    pub ai_calls: u32,
    pub vector_queries: u32,
}

impl BilledCalls {
    /// Reads the object's `index_ms,storage_ms,ai_calls,vector_queries` note; what is missing or
    /// unreadable counts 0.
    pub(crate) fn from_hops_header(value: &str) -> Self {
        let field = |i: usize| value.split(',').nth(i).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        Self { ai_calls: field(2), vector_queries: field(3) }
    }
}

/// An Analytics Engine point as plain data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataPoint {
    pub index: String,
    pub blobs: Vec<String>,
    pub doubles: Vec<f64>,
}

/// Which request records also become a log line (`REQUEST_LOG`): by default only the ones an
/// operator must read — errors of either side (status 400 and up, which includes every quota
/// refusal), degraded answers and answers slower than [`SLOW_REQUEST_MS`] — or, with "all",
/// every one. Analytics Engine gets every record either way (the SLO queries read it) and
/// Workers Logs already keeps an invocation record of every request, so a line per answer that
/// went well adds no fact: it costs money in Workers Logs, and under `wrangler dev`, where
/// wrangler reads the console through the inspector, a fifth of the calls a worker can answer
/// (bench/REPORT-peer.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestLog {
    All,
    Problems,
}

/// An answer this slow is logged even when it went well: it is what a "porygon is slow" report
/// is about. Well above a cold question's time and below MCP clients' own timeouts.
pub(crate) const SLOW_REQUEST_MS: f64 = 2_000.0;

impl RequestLog {
    /// `REQUEST_LOG`'s value: "all" (any case) logs every request; anything else, unset
    /// included, logs the problems, so a typo can neither silence errors nor flood the logs.
    pub(crate) fn parse(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("all") => Self::All,
            _ => Self::Problems,
        }
    }
}

impl RequestRecord {
    /// Whether this record is written as a log line under `policy`.
    pub(crate) fn logged_under(&self, policy: RequestLog) -> bool {
        policy == RequestLog::All
            || self.status >= 400
            || !self.degradation.is_empty()
            || self.latency_ms >= SLOW_REQUEST_MS
    }

    pub(crate) fn protocol_label(header: Option<&str>) -> String {
        header.map_or_else(|| "-".to_owned(), |v| label(v.trim()))
    }

    pub(crate) fn is_server_error(&self) -> bool {
        self.status >= 500
    }

    /// index1 = client (the sampling key); blob1 "request", blob2 environment, blob3 method,
    /// blob4 tool, blob5 limiter, blob6 cache, blob7 degradation, blob8 colo, blob9 request id,
    /// blob10 protocol; double1 status, double2 latency ms, double3 5xx, double4 429,
    /// double5 degraded, double6 handler ms (0 when the object did not answer), double7 Workers
    /// AI calls, double8 Vectorize queries.
    pub(crate) fn data_point(&self) -> DataPoint {
        DataPoint {
            index: self.client.clone(),
            blobs: vec![
                "request".into(),
                self.environment.clone(),
                self.rpc.method.clone(),
                self.rpc.tool.clone().unwrap_or_default(),
                self.limiter.as_str().into(),
                self.cache.clone(),
                self.degradation.clone(),
                self.colo.clone(),
                self.request_id.clone(),
                self.protocol.clone(),
            ],
            doubles: vec![
                f64::from(self.status),
                self.latency_ms,
                f64::from(u8::from(self.is_server_error())),
                f64::from(u8::from(self.status == 429)),
                f64::from(u8::from(!self.degradation.is_empty())),
                self.handler_ms.unwrap_or(0.0),
                f64::from(self.billed.ai_calls),
                f64::from(self.billed.vector_queries),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_of_requests_notifications_batches_and_garbage() {
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query_strategy","arguments":{}}}"#;
        assert_eq!(
            RpcSummary::of(call),
            RpcSummary { method: "tools/call".into(), tool: Some("query_strategy".into()), units: 1 }
        );
        let note = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        assert_eq!(RpcSummary::of(note).method, "notifications/initialized");
        let batch = br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#;
        assert_eq!(RpcSummary::of(batch).method, "batch");
        let three = br#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"},{"id":2}]"#;
        assert_eq!(RpcSummary::of(three).units, 3, "every message of a batch counts");
        assert_eq!(RpcSummary::of(b"{oops").units, 1);
        assert_eq!(RpcSummary::of(b"{nope").method, "-");
        assert_eq!(RpcSummary::of(b"").method, "-");
    }

    #[test]
    fn client_text_cannot_inject_or_grow_labels() {
        let evil = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x\"\n{{evil}} {}"}}}}"#,
            "a".repeat(500)
        );
        let s = RpcSummary::of(evil.as_bytes());
        let tool = s.tool.unwrap();
        assert_eq!(tool.len(), 48);
        assert!(tool.starts_with("x___evil__a"), "{tool}");
        assert_eq!(RequestRecord::protocol_label(Some(" 2025-06-18 ")), "2025-06-18");
        assert_eq!(RequestRecord::protocol_label(None), "-");
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_short() {
        let a = client_pseudonym(b"secret-1", "ip:203.0.113.7");
        assert_eq!(a.len(), 16);
        assert_eq!(a, client_pseudonym(b"secret-1", "ip:203.0.113.7"));
        assert_ne!(a, client_pseudonym(b"secret-2", "ip:203.0.113.7"), "depends on the secret");
        assert_ne!(a, client_pseudonym(b"secret-1", "ip:203.0.113.8"));
    }

    #[test]
    fn request_log_problems_keeps_errors_refusals_degraded_and_slow_answers() {
        let record = |status: u16, degradation: &str, latency_ms: f64| RequestRecord {
            request_id: "r".into(),
            client: "c".into(),
            environment: "local".into(),
            rpc: RpcSummary { method: "tools/call".into(), tool: None, units: 1 },
            protocol: "-".into(),
            status,
            latency_ms,
            handler_ms: None,
            limiter: LimiterDecision::Admitted,
            cache: "none".into(),
            degradation: degradation.into(),
            colo: String::new(),
            billed: BilledCalls::default(),
        };
        // The default, and anything but "all", logs the problems only.
        for value in [None, Some("problems"), Some("Problems"), Some("none"), Some(""), Some("al")] {
            let problems = RequestLog::parse(value);
            assert_eq!(problems, RequestLog::Problems, "{value:?}");
            assert!(!record(200, "", 1.0).logged_under(problems));
            assert!(!record(202, "", 1.0).logged_under(problems));
            assert!(!record(200, "", SLOW_REQUEST_MS - 1.0).logged_under(problems));
            for logged in [
                record(400, "", 1.0),
                record(404, "", 1.0),
                record(429, "", 1.0),
                record(503, "", 1.0),
                record(200, "semantic-failed", 1.0),
                record(200, "", SLOW_REQUEST_MS),
            ] {
                assert!(logged.logged_under(problems), "{} {}", logged.status, logged.latency_ms);
            }
        }
        for value in [Some("all"), Some(" ALL ")] {
            assert_eq!(RequestLog::parse(value), RequestLog::All, "{value:?}");
            assert!(record(200, "", 1.0).logged_under(RequestLog::parse(value)));
        }
    }

    #[test]
    fn data_point_columns_follow_the_documented_layout() {
        let record = RequestRecord {
            request_id: "r1".into(),
            client: "00aa".into(),
            environment: "production".into(),
            rpc: RpcSummary { method: "tools/call".into(), tool: Some("query_strategy".into()), units: 1 },
            protocol: "2025-06-18".into(),
            status: 200,
            latency_ms: 12.5,
            handler_ms: Some(9.0),
            limiter: LimiterDecision::Admitted,
            cache: "hit".into(),
            degradation: "semantic-failed".into(),
            colo: "AMS".into(),
            billed: BilledCalls::from_hops_header("5,1,1,1"),
        };
        let p = record.data_point();
        assert_eq!(p.index, "00aa");
        assert_eq!(
            p.blobs,
            [
                "request",
                "production",
                "tools/call",
                "query_strategy",
                "admitted",
                "hit",
                "semantic-failed",
                "AMS",
                "r1",
                "2025-06-18"
            ]
        );
        assert_eq!(p.doubles, [200.0, 12.5, 0.0, 0.0, 1.0, 9.0, 1.0, 1.0]);
        let failed = RequestRecord { status: 503, degradation: String::new(), ..record.clone() };
        assert_eq!(failed.data_point().doubles, [503.0, 12.5, 1.0, 0.0, 0.0, 9.0, 1.0, 1.0]);
        assert_eq!(BilledCalls::from_hops_header("3,0"), BilledCalls::default(), "an older note");
        assert_eq!(BilledCalls::from_hops_header("x,y,2,z"), BilledCalls { ai_calls: 2, vector_queries: 0 });
        let limited = RequestRecord { status: 429, limiter: LimiterDecision::RejectedCached, ..record };
        assert_eq!(limited.data_point().doubles[3], 1.0);
        assert_eq!(limited.data_point().blobs[4], "rejected-cached");
    }
}
