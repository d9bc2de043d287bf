//! The error-rate alarm: the share of 5xx answers over a sliding window, compared with a
//! threshold once enough requests were seen, with a cooldown so a storm pages once.
//!
//! It runs per isolate (each Worker instance sees a sample of the traffic): no shared state and
//! no extra I/O on the request path. Fleet-wide SLOs are read from Analytics Engine (RUNBOOK.md).

use std::collections::VecDeque;

/// Requests are counted in buckets of this width: memory stays bounded whatever the traffic.
const BUCKET_MS: i64 = 10_000;

#[derive(Debug, Clone)]
pub(crate) struct ErrorRateMonitor {
    window_ms: i64,
    threshold: f64,
    min_requests: u32,
    cooldown_ms: i64,
    /// (bucket start, requests, errors), oldest first.
    buckets: VecDeque<(i64, u32, u32)>,
    last_alert_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorRateAlert {
    pub requests: u32,
    pub errors: u32,
    pub rate: f64,
    pub threshold: f64,
    pub window_secs: i64,
}

impl ErrorRateMonitor {
    /// Defaults: 5-minute window, alert at ≥ `threshold` (default 5%) over ≥ `min_requests`
    /// (default 20) requests, at most once per 15 minutes.
    pub(crate) fn from_vars(threshold: Option<&str>, min_requests: Option<&str>) -> Self {
        let threshold = threshold
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0 && *t <= 1.0)
            .unwrap_or(0.05);
        let min_requests =
            min_requests.and_then(|v| v.trim().parse::<u32>().ok()).filter(|n| *n > 0).unwrap_or(20);
        Self::new(300_000, threshold, min_requests, 900_000)
    }

    pub(crate) fn new(window_ms: i64, threshold: f64, min_requests: u32, cooldown_ms: i64) -> Self {
        Self {
            window_ms,
            threshold,
            min_requests,
            cooldown_ms,
            buckets: VecDeque::new(),
            last_alert_ms: None,
        }
    }

    /// Counts one answer; returns an alert when the window crosses the threshold (and the
    /// previous alert is older than the cooldown).
    pub(crate) fn record(&mut self, now_ms: i64, server_error: bool) -> Option<ErrorRateAlert> {
        let bucket = now_ms - now_ms.rem_euclid(BUCKET_MS);
        while self.buckets.front().is_some_and(|(start, _, _)| *start <= now_ms - self.window_ms) {
            self.buckets.pop_front();
        }
        match self.buckets.back_mut() {
            Some((start, requests, errors)) if *start == bucket => {
                *requests += 1;
                *errors += u32::from(server_error);
            }
            _ => self.buckets.push_back((bucket, 1, u32::from(server_error))),
        }
        if !server_error || self.last_alert_ms.is_some_and(|t| now_ms - t < self.cooldown_ms) {
            return None;
        }
        let (requests, errors) =
            self.buckets.iter().fold((0, 0), |(r, e), (_, requests, errors)| (r + requests, e + errors));
        let rate = f64::from(errors) / f64::from(requests);
        if requests < self.min_requests || rate < self.threshold {
            return None;
        }
        self.last_alert_ms = Some(now_ms);
        Some(ErrorRateAlert {
            requests,
            errors,
            rate,
            threshold: self.threshold,
            window_secs: self.window_ms / 1000,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_once_past_threshold_with_enough_traffic_then_cools_down() {
        let mut m = ErrorRateMonitor::new(300_000, 0.1, 20, 900_000);
        for i in 0..18 {
            assert_eq!(m.record(i * 100, false), None);
        }
        assert_eq!(m.record(1_900, true), None, "19 requests: below the minimum");
        let alert = m.record(2_000, true).expect("20 requests, 2 errors = 10%");
        assert_eq!((alert.requests, alert.errors, alert.window_secs), (20, 2, 300));
        assert_eq!(m.record(3_000, true), None, "cooldown");
        assert!(m.record(903_000, true).is_none(), "old traffic left the window: 1 request");
        for i in 0..25 {
            m.record(904_000 + i, true);
        }
        assert!(m.last_alert_ms.unwrap() >= 904_000, "alerts again after the cooldown");
    }

    #[test]
    fn healthy_traffic_never_alerts_and_memory_is_bounded() {
        let mut m = ErrorRateMonitor::from_vars(None, None);
        for i in 0..100_000i64 {
            // 1% errors: under the 5% default.
            assert_eq!(m.record(i * 37, i % 100 == 0), None);
        }
        assert!(m.buckets.len() <= 31, "{} buckets", m.buckets.len());
    }

    #[test]
    fn config_is_validated() {
        let m = ErrorRateMonitor::from_vars(Some("2"), Some("0"));
        assert_eq!((m.threshold, m.min_requests), (0.05, 20));
        let m = ErrorRateMonitor::from_vars(Some("0.2"), Some("5"));
        assert_eq!((m.threshold, m.min_requests), (0.2, 5));
    }
}
