//! Error reports as Sentry envelopes, built with sentry-core's protocol types but none of its
//! client machinery: the Workers runtime has no threads, no `SystemTime::now` (sentry's
//! `Event::default()` and `Dsn::to_auth()` would panic on wasm) and no blocking transport. The
//! edge supplies the time and the random event id, then POSTs the bytes inside `wait_until`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use sentry_core::protocol::{ClientSdkInfo, DebugMeta, Event, Exception, Level, Mechanism, Values};
use sentry_core::types::{Dsn, Uuid};
use sentry_core::Envelope;

use super::scrub::scrub_ips;

/// Longest message we send (Sentry truncates anyway; this keeps envelopes small).
const MAX_MESSAGE_CHARS: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SentryConfigError {
    #[error("SENTRY_DSN is not a valid DSN: {0}")]
    Dsn(String),
}

/// Where and how reports go: from the SENTRY_DSN secret and the SENTRY_SAMPLE_RATE var.
#[derive(Debug, Clone)]
pub(crate) struct SentryConfig {
    dsn: Dsn,
    pub environment: String,
    pub release: String,
    /// Share of errors sent (0.0 – 1.0); panics are always sent.
    pub sample_rate: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportKind {
    /// A failure we handled (a 5xx answer, a failed ingestion step).
    Error,
    /// A Rust panic: the wasm instance is being torn down.
    Panic,
}

/// One failure, described without personal data: no addresses, no request bodies.
#[derive(Debug, Clone)]
pub(crate) struct ErrorReport {
    pub kind: ReportKind,
    /// A stable name for the failure, used as the exception type (and for grouping).
    pub error_type: String,
    pub message: String,
    /// "/mcp", "/health", "ClientObject", "cron", …
    pub route: String,
    pub tool: Option<String>,
    pub request_id: Option<String>,
    pub colo: Option<String>,
}

/// An envelope ready to POST.
#[derive(Debug, Clone)]
pub(crate) struct OutgoingEnvelope {
    pub url: String,
    /// Value of the `X-Sentry-Auth` header.
    pub auth: String,
    pub body: Vec<u8>,
}

pub(crate) const ENVELOPE_CONTENT_TYPE: &str = "application/x-sentry-envelope";

impl SentryConfig {
    /// `None` when no DSN is configured (reporting off), an error when it is malformed.
    pub(crate) fn from_vars(
        dsn: Option<&str>,
        environment: &str,
        sample_rate: Option<&str>,
    ) -> Option<Result<Self, SentryConfigError>> {
        let dsn = dsn.map(str::trim).filter(|d| !d.is_empty())?;
        let sample_rate = sample_rate
            .and_then(|r| r.trim().parse::<f64>().ok())
            .filter(|r| r.is_finite())
            .map_or(1.0, |r| r.clamp(0.0, 1.0));
        Some(
            dsn.parse::<Dsn>()
                .map(|dsn| Self {
                    dsn,
                    environment: environment.to_owned(),
                    release: format!("porygon@{}", env!("CARGO_PKG_VERSION")),
                    sample_rate,
                })
                .map_err(|e| SentryConfigError::Dsn(e.to_string())),
        )
    }

    /// Whether to send a report, given a uniform random `roll` in [0, 1).
    pub(crate) fn sampled(&self, kind: ReportKind, roll: f64) -> bool {
        kind == ReportKind::Panic || roll < self.sample_rate
    }

    /// The envelope for `report` at `now_ms` (epoch ms), with `event_id` from 16 random bytes.
    pub(crate) fn envelope(&self, report: &ErrorReport, now_ms: i64, event_id: [u8; 16]) -> OutgoingEnvelope {
        let event = self.event(report, now_ms, event_id);
        let mut body = Vec::with_capacity(1024);
        // Writing to a Vec cannot fail; serde_json cannot fail on these plain types.
        let _ = Envelope::from(event).to_writer(&mut body);
        OutgoingEnvelope { url: self.dsn.envelope_api_url().to_string(), auth: self.auth_header(), body }
    }

    fn auth_header(&self) -> String {
        // Dsn::to_auth would stamp the time with SystemTime::now (unavailable on wasm); the
        // timestamp is optional in the protocol, so it is left out.
        format!(
            "Sentry sentry_key={}, sentry_version=7, sentry_client=porygon/{}",
            self.dsn.public_key(),
            env!("CARGO_PKG_VERSION")
        )
    }

    fn event(&self, report: &ErrorReport, now_ms: i64, event_id: [u8; 16]) -> Event<'static> {
        let message: String = scrub_ips(&report.message).chars().take(MAX_MESSAGE_CHARS).collect();
        let panic = report.kind == ReportKind::Panic;
        let mut tags = BTreeMap::new();
        tags.insert("route".to_owned(), report.route.clone());
        for (name, value) in
            [("tool", &report.tool), ("request_id", &report.request_id), ("colo", &report.colo)]
        {
            if let Some(v) = value {
                tags.insert(name.to_owned(), v.clone());
            }
        }
        let exception = Exception {
            ty: report.error_type.clone(),
            value: Some(message.clone()),
            module: None,
            stacktrace: None,
            raw_stacktrace: None,
            thread_id: None,
            mechanism: Some(Mechanism {
                ty: if panic { "panic" } else { "porygon" }.to_owned(),
                handled: Some(!panic),
                ..Default::default()
            }),
        };
        Event {
            event_id: uuid_v4(event_id),
            level: if panic { Level::Fatal } else { Level::Error },
            fingerprint: Cow::Owned(vec![
                Cow::Owned(report.error_type.clone()),
                Cow::Owned(report.route.clone()),
            ]),
            culprit: None,
            transaction: Some(report.route.clone()),
            message: Some(message),
            logentry: None,
            logger: Some("porygon".to_owned()),
            modules: BTreeMap::new(),
            platform: Cow::Borrowed("native"),
            timestamp: SystemTime::UNIX_EPOCH + Duration::from_millis(now_ms.max(0) as u64),
            server_name: None,
            release: Some(Cow::Owned(self.release.clone())),
            dist: None,
            environment: Some(Cow::Owned(self.environment.clone())),
            user: None,
            request: None,
            contexts: BTreeMap::new(),
            breadcrumbs: Values::new(),
            exception: Values { values: vec![exception] },
            stacktrace: None,
            template: None,
            threads: Values::new(),
            tags,
            extra: BTreeMap::new(),
            debug_meta: Cow::Owned(DebugMeta::default()),
            sdk: Some(Cow::Owned(ClientSdkInfo {
                name: "porygon.sentry-core".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                integrations: Vec::new(),
                packages: Vec::new(),
            })),
        }
    }
}

/// A version-4 UUID from caller-supplied random bytes.
fn uuid_v4(mut bytes: [u8; 16]) -> Uuid {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn config(rate: Option<&str>) -> SentryConfig {
        SentryConfig::from_vars(Some("https://abc123@o1.ingest.example.com/42"), "staging", rate)
            .unwrap()
            .unwrap()
    }

    fn report(kind: ReportKind) -> ErrorReport {
        ErrorReport {
            kind,
            error_type: "ForwardFailed".into(),
            message: "client object unreachable from 203.0.113.9 (2001:db8::7)".into(),
            route: "/mcp".into(),
            tool: Some("query_strategy".into()),
            request_id: Some("8c1f0e2a9b7d6c5e".into()),
            colo: Some("AMS".into()),
        }
    }

    /// Splits an envelope into its header and (item header, payload) pairs, as Sentry reads it.
    fn parse(body: &[u8]) -> (Value, Vec<(Value, Value)>) {
        let text = std::str::from_utf8(body).unwrap();
        let mut lines = text.lines();
        let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        let mut items = Vec::new();
        while let Some(item) = lines.next() {
            items.push((
                serde_json::from_str(item).unwrap(),
                serde_json::from_str(lines.next().unwrap()).unwrap(),
            ));
        }
        (header, items)
    }

    #[test]
    fn envelope_carries_context_but_no_addresses() {
        let out = config(None).envelope(&report(ReportKind::Error), 1_764_000_000_123, [7; 16]);
        assert_eq!(out.url, "https://o1.ingest.example.com/api/42/envelope/");
        assert_eq!(
            out.auth,
            format!(
                "Sentry sentry_key=abc123, sentry_version=7, sentry_client=porygon/{}",
                env!("CARGO_PKG_VERSION")
            )
        );
        let (header, items) = parse(&out.body);
        assert_eq!(header["event_id"], "07070707-0707-4707-8707-070707070707");
        assert_eq!(items.len(), 1);
        let (item, event) = &items[0];
        assert_eq!(item["type"], "event");
        assert!(event.get("level").is_none_or(|l| l == "error"), "error is Sentry's default level");
        assert_eq!(event["environment"], "staging");
        assert_eq!(event["release"], format!("porygon@{}", env!("CARGO_PKG_VERSION")));
        assert_eq!(event["tags"]["route"], "/mcp");
        assert_eq!(event["tags"]["tool"], "query_strategy");
        assert_eq!(event["tags"]["request_id"], "8c1f0e2a9b7d6c5e");
        assert_eq!(event["tags"]["colo"], "AMS");
        assert_eq!(event["exception"]["values"][0]["type"], "ForwardFailed");
        assert_eq!(event["exception"]["values"][0]["mechanism"]["handled"], true);
        assert_eq!(event["timestamp"].as_f64().unwrap(), 1_764_000_000.123);
        let text = String::from_utf8(out.body).unwrap();
        assert!(!text.contains("203.0.113.9") && !text.contains("2001:db8"), "{text}");
        assert!(text.contains("unreachable from [ip] ([ip])"));
        assert!(event.get("user").is_none() && event.get("server_name").is_none());
    }

    #[test]
    fn panics_are_fatal_unhandled_and_always_sampled() {
        let c = config(Some("0"));
        assert!(!c.sampled(ReportKind::Error, 0.0));
        assert!(c.sampled(ReportKind::Panic, 0.99));
        let (_, items) = parse(&c.envelope(&report(ReportKind::Panic), 0, [0; 16]).body);
        assert_eq!(items[0].1["level"], "fatal");
        assert_eq!(items[0].1["exception"]["values"][0]["mechanism"]["type"], "panic");
        assert_eq!(items[0].1["exception"]["values"][0]["mechanism"]["handled"], false);
    }

    #[test]
    fn sample_rate_is_parsed_and_clamped() {
        assert_eq!(config(None).sample_rate, 1.0);
        assert_eq!(config(Some("0.25")).sample_rate, 0.25);
        assert_eq!(config(Some("7")).sample_rate, 1.0);
        assert_eq!(config(Some("nan")).sample_rate, 1.0);
        let c = config(Some("0.25"));
        assert!(c.sampled(ReportKind::Error, 0.2) && !c.sampled(ReportKind::Error, 0.3));
    }

    #[test]
    fn missing_or_bad_dsn() {
        assert!(SentryConfig::from_vars(None, "local", None).is_none());
        assert!(SentryConfig::from_vars(Some("  "), "local", None).is_none());
        assert!(matches!(SentryConfig::from_vars(Some("not a dsn"), "local", None), Some(Err(_))));
    }
}
