//! What operators see: per-request records (logs and Analytics Engine points), error reports as
//! Sentry envelopes, and the error-rate alarm. Pure: the edge supplies clocks, randomness and
//! I/O, and sends what these build.

pub(crate) mod error_rate;
pub(crate) mod fleet;
pub(crate) mod request;
pub(crate) mod scrub;
pub(crate) mod sentry;
