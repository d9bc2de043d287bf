//! What operators see: per-request records (logs and Analytics Engine points), error reports as
//! Sentry envelopes, and the error-rate alarm. Pure: the edge supplies clocks, randomness and
//! I/O, and sends what these build.

pub mod error_rate;
pub mod fleet;
pub mod request;
pub mod scrub;
pub mod sentry;

pub use error_rate::{ErrorRateAlert, ErrorRateMonitor};
pub use request::{DataPoint, RequestLog, RequestRecord, RpcSummary};
pub use sentry::{ErrorReport, OutgoingEnvelope, ReportKind, SentryConfig};
