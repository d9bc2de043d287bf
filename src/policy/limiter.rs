//! Exact sliding-window rate limiting.
//!
//! For every quota (limit L per window W) a request is admitted iff fewer than L requests were
//! admitted in the last W — equivalently, iff the L-th newest admission is at least W old. Keeping
//! the newest `max L` admission timestamps is therefore enough to decide every quota exactly,
//! with no approximation at window edges (unlike fixed windows, sliding-window counters or GCRA,
//! which can admit up to twice the limit across a boundary).
//!
//! Pure and synchronous: the caller decides and records with no await in between, so concurrent
//! requests can never both take the last slot.

use std::collections::VecDeque;

/// `limit` admissions per `window_secs`, named for the `RateLimit-Policy` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quota {
    pub name: &'static str,
    pub limit: u32,
    pub window_secs: u32,
}

impl Quota {
    fn window_ms(&self) -> i64 {
        i64::from(self.window_secs) * 1000
    }
}

/// The longest window any policy may use; admissions older than this are never needed.
pub(crate) const MAX_WINDOW_SECS: u32 = 3600;
/// The largest limit a quota may have: a log keeps `limit` timestamps (8 bytes in memory and
/// one row in storage each), so this bounds what one object holds.
pub(crate) const MAX_LIMIT: u32 = 100_000;

impl Quota {
    /// A limit of 1..=[`MAX_LIMIT`] over a window of 1..=[`MAX_WINDOW_SECS`] seconds. Anything
    /// else (a zero quota, a typo'd million) is refused where configuration is parsed.
    pub(crate) fn is_valid(&self) -> bool {
        (1..=MAX_LIMIT).contains(&self.limit) && (1..=MAX_WINDOW_SECS).contains(&self.window_secs)
    }
}

/// The quotas applying to one client key, all enforced together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    pub quotas: Vec<Quota>,
}

impl Policy {
    pub(crate) fn per_minute_and_hour(per_minute: u32, per_hour: u32) -> Self {
        Self {
            quotas: vec![
                Quota { name: "minute", limit: per_minute, window_secs: 60 },
                Quota { name: "hour", limit: per_hour, window_secs: 3600 },
            ],
        }
    }

    /// Every quota valid (see [`Quota::is_valid`]), and at least one.
    pub(crate) fn is_valid(&self) -> bool {
        !self.quotas.is_empty() && self.quotas.iter().all(Quota::is_valid)
    }

    /// The most units one request may ask for: more could never be admitted.
    pub(crate) fn max_units(&self) -> u32 {
        self.quotas.iter().map(|q| q.limit).min().unwrap_or(0)
    }

    /// How many timestamps a log must keep to decide every quota.
    pub(crate) fn depth(&self) -> usize {
        self.quotas.iter().map(|q| q.limit as usize).max().unwrap_or(0)
    }

    /// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers).
    pub(crate) fn header(&self) -> String {
        self.quotas
            .iter()
            .map(|q| format!("\"{}\";q={};w={}", q.name, q.limit, q.window_secs))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where a key stands against one quota after a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Standing {
    pub name: &'static str,
    pub remaining: u32,
    /// Seconds until one more unit of this quota frees up (0 when some remain).
    pub reset_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Admit {
        standings: Vec<Standing>,
    },
    Reject {
        standings: Vec<Standing>,
        /// Seconds until the request as sent (all of its units) could be admitted.
        retry_after_secs: u32,
        /// When the key is full (some quota has nothing left): the exact instant (epoch ms) from
        /// which a single unit is admissible again — nothing can be admitted before it. `None`
        /// when units remain and only this request was too large for them: then the key is not
        /// blocked for anyone else's smaller request.
        unblock_at_ms: Option<i64>,
    },
}

impl Decision {
    pub(crate) fn admitted(&self) -> bool {
        matches!(self, Decision::Admit { .. })
    }

    pub(crate) fn standings(&self) -> &[Standing] {
        match self {
            Decision::Admit { standings } | Decision::Reject { standings, .. } => standings,
        }
    }

    /// The most constraining quota's standing (fewest remaining, then the longest reset).
    pub(crate) fn tightest(&self) -> Option<&Standing> {
        self.standings().iter().min_by_key(|s| (s.remaining, std::cmp::Reverse(s.reset_secs)))
    }

    /// `RateLimit` header: the most constraining quota (see [`Decision::tightest`]).
    pub(crate) fn header(&self) -> String {
        self.tightest()
            .map_or_else(String::new, |s| format!("\"{}\";r={};t={}", s.name, s.remaining, s.reset_secs))
    }
}

/// The newest admissions of one key, oldest first, at most `policy.depth()` of them. Sorted
/// (a decision never records a time earlier than the newest), so every question a decision asks
/// is an index or a binary search: O(log n) even for a network ceiling's 60,000-entry log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SlidingLog {
    admitted_ms: VecDeque<i64>,
}

impl SlidingLog {
    /// From persisted timestamps (any order; only the newest `depth` are kept).
    pub(crate) fn from_timestamps(mut ts: Vec<i64>, policy: &Policy) -> Self {
        ts.sort_unstable();
        let keep = ts.len().saturating_sub(policy.depth());
        Self { admitted_ms: ts.into_iter().skip(keep).collect() }
    }

    pub(crate) fn timestamps(&self) -> impl DoubleEndedIterator<Item = i64> + '_ {
        self.admitted_ms.iter().copied()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.admitted_ms.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.admitted_ms.is_empty()
    }

    /// Decides one unit at `now_ms`; on admission records it. A rejection changes nothing.
    #[cfg(test)]
    pub(crate) fn decide(&mut self, now_ms: i64, policy: &Policy) -> Decision {
        self.decide_units(now_ms, policy, 1)
    }

    /// Decides `units` admissions at once (a JSON-RPC batch counts each of its messages): all of
    /// them are admitted and recorded at `now_ms`, or none. `units` of 0 counts as 1.
    pub(crate) fn decide_units(&mut self, now_ms: i64, policy: &Policy, units: u32) -> Decision {
        let units = units.max(1);
        // A clock that went backwards (another isolate's skew after a restart) must not let a
        // request in early: treat "now" as no earlier than the newest admission.
        let now_ms = self.admitted_ms.back().map_or(now_ms, |&newest| now_ms.max(newest));
        // Waiting time for `n` more units under every quota; `None` when they fit now.
        let wait_for =
            |n: u32| -> Option<i64> { policy.quotas.iter().filter_map(|q| self.wait_ms(now_ms, q, n)).max() };
        if let Some(wait_ms) = wait_for(units) {
            let standings = self.standings(now_ms, policy);
            let full = standings.iter().any(|s| s.remaining == 0);
            let unblock_at_ms = full.then(|| wait_for(1).map_or(now_ms, |w| now_ms.saturating_add(w)));
            return Decision::Reject { standings, retry_after_secs: ceil_secs(wait_ms), unblock_at_ms };
        }
        for _ in 0..units {
            self.admitted_ms.push_back(now_ms);
        }
        while self.admitted_ms.len() > policy.depth() {
            self.admitted_ms.pop_front();
        }
        Decision::Admit { standings: self.standings(now_ms, policy) }
    }

    /// How long until `n` more admissions fit quota `q` (`None`: they fit now). They fit once
    /// the `(limit - n + 1)`-th newest admission has left the window. `n` above the limit never
    /// fits; the answer is then a full window (callers refuse such requests before asking).
    fn wait_ms(&self, now_ms: i64, q: &Quota, n: u32) -> Option<i64> {
        let Some(k) = q.limit.checked_sub(n).map(|spare| spare as usize + 1) else {
            return Some(q.window_ms());
        };
        let i = self.admitted_ms.len().checked_sub(k)?;
        let t = self.admitted_ms[i];
        (t > now_ms - q.window_ms()).then(|| t + q.window_ms() - now_ms)
    }

    /// Index of the first admission inside the window ending at `now_ms` (binary search).
    fn window_start(&self, now_ms: i64, q: &Quota) -> usize {
        let since = now_ms - q.window_ms();
        self.admitted_ms.partition_point(|&t| t <= since)
    }

    fn standings(&self, now_ms: i64, policy: &Policy) -> Vec<Standing> {
        policy
            .quotas
            .iter()
            .map(|q| {
                let first = self.window_start(now_ms, q);
                let in_window = self.admitted_ms.len() - first;
                let used = u32::try_from(in_window).unwrap_or(u32::MAX).min(q.limit);
                let remaining = q.limit - used;
                // One unit frees when the oldest admission still in the window leaves it.
                let reset_secs = match (remaining, self.admitted_ms.get(first)) {
                    (0, Some(&oldest)) => ceil_secs(oldest + q.window_ms() - now_ms),
                    _ => 0,
                };
                Standing { name: q.name, remaining, reset_secs }
            })
            .collect()
    }
}

fn ceil_secs(ms: i64) -> u32 {
    u32::try_from((ms.max(0) + 999) / 1000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::per_minute_and_hour(100, 1000)
    }

    #[test]
    fn admits_exactly_the_limit_within_a_window() {
        let p = policy();
        let mut log = SlidingLog::default();
        let admitted = (0..300).filter(|i| log.decide(1_000 + i, &p).admitted()).count();
        assert_eq!(admitted, 100);
    }

    #[test]
    fn window_edge_is_exact_to_the_millisecond() {
        let p = Policy { quotas: vec![Quota { name: "minute", limit: 2, window_secs: 60 }] };
        let mut log = SlidingLog::default();
        assert!(log.decide(0, &p).admitted());
        assert!(log.decide(10_000, &p).admitted());
        let Decision::Reject { retry_after_secs, unblock_at_ms, .. } = log.decide(59_999, &p) else {
            panic!("full")
        };
        assert_eq!(retry_after_secs, 1, "first admission leaves the window at 60.000s");
        assert_eq!(unblock_at_ms, Some(60_000));
        assert!(log.decide(60_000, &p).admitted(), "exactly W after the oldest: it has left");
        assert!(!log.decide(69_999, &p).admitted());
        assert!(log.decide(70_000, &p).admitted());
    }

    #[test]
    fn no_window_of_w_ever_holds_more_than_l() {
        // Bursty arrivals over three hours; check every admitted timestamp's trailing window.
        let p = policy();
        let mut log = SlidingLog::default();
        let mut admitted = Vec::new();
        let mut t = 0i64;
        for i in 0..20_000i64 {
            t += if i % 97 == 0 { 7_000 } else { (i * 7919) % 450 };
            if log.decide(t, &p).admitted() {
                admitted.push(t);
            }
        }
        for (i, &end) in admitted.iter().enumerate() {
            let in_minute = admitted[..=i].iter().filter(|&&x| x > end - 60_000).count();
            let in_hour = admitted[..=i].iter().filter(|&&x| x > end - 3_600_000).count();
            assert!(in_minute <= 100 && in_hour <= 1000, "at {end}: {in_minute}/min {in_hour}/h");
        }
        assert!(admitted.len() > 1000, "the limiter still admits at the allowed rate: {}", admitted.len());
    }

    #[test]
    fn hourly_limit_binds_with_exact_retry_after() {
        let p = policy();
        let mut log = SlidingLog::default();
        // 100 per minute for 10 minutes fills the hour.
        for minute in 0..10i64 {
            for i in 0..100i64 {
                assert!(log.decide(minute * 60_000 + i * 10, &p).admitted());
            }
        }
        let now = 11 * 60_000 + 500;
        let Decision::Reject { retry_after_secs, standings, .. } = log.decide(now, &p) else {
            panic!("hour full")
        };
        // The oldest admission (t=0) leaves the hour at 3600s.
        assert_eq!(retry_after_secs, ((3_600_000 - now) as u32).div_ceil(1000));
        let hour = standings.iter().find(|s| s.name == "hour").unwrap();
        assert_eq!(hour.remaining, 0);
        let minute = standings.iter().find(|s| s.name == "minute").unwrap();
        assert_eq!(minute.remaining, 100, "the minute window itself is empty");
    }

    #[test]
    fn rejection_records_nothing_and_headers_are_drafted() {
        let p = Policy::per_minute_and_hour(1, 10);
        let mut log = SlidingLog::default();
        let first = log.decide(5_000, &p);
        assert_eq!(first.header(), "\"minute\";r=0;t=60");
        let before = log.clone();
        let second = log.decide(6_000, &p);
        assert!(!second.admitted());
        assert_eq!(log, before);
        assert_eq!(p.header(), "\"minute\";q=1;w=60, \"hour\";q=10;w=3600");
    }

    #[test]
    fn persistence_round_trip_keeps_decisions_identical() {
        let p = policy();
        let mut a = SlidingLog::default();
        for i in 0..150 {
            a.decide(i * 100, &p);
        }
        let mut shuffled: Vec<i64> = a.timestamps().collect();
        shuffled.reverse();
        let mut b = SlidingLog::from_timestamps(shuffled, &p);
        assert_eq!(a, b);
        for t in [20_000, 59_000, 60_050, 61_000] {
            assert_eq!(a.decide(t, &p), b.decide(t, &p));
        }
    }

    #[test]
    fn a_clock_going_backwards_does_not_open_the_gate() {
        let p = Policy { quotas: vec![Quota { name: "minute", limit: 1, window_secs: 60 }] };
        let mut log = SlidingLog::default();
        assert!(log.decide(100_000, &p).admitted());
        assert!(!log.decide(30_000, &p).admitted());
    }

    #[test]
    fn a_batch_is_admitted_whole_or_not_at_all() {
        let p = Policy { quotas: vec![Quota { name: "minute", limit: 10, window_secs: 60 }] };
        let mut log = SlidingLog::default();
        assert!(log.decide_units(0, &p, 8).admitted());
        assert_eq!(log.len(), 8, "each message of the batch is one admission");
        let Decision::Reject { unblock_at_ms, retry_after_secs, standings } = log.decide_units(1_000, &p, 3)
        else {
            panic!("8 + 3 > 10")
        };
        assert_eq!(log.len(), 8, "a rejected batch records nothing");
        assert_eq!(standings[0].remaining, 2);
        assert_eq!(unblock_at_ms, None, "2 units remain: the key is not blocked for smaller requests");
        assert_eq!(retry_after_secs, 59, "the batch fits once the first 8 leave, at 60 s");
        assert!(log.decide_units(1_000, &p, 2).admitted(), "the last two fit");
        let Decision::Reject { unblock_at_ms, .. } = log.decide(2_000, &p) else { panic!("full") };
        assert_eq!(unblock_at_ms, Some(60_000), "full: blocked until the oldest leaves");
        let Decision::Reject { retry_after_secs, .. } = log.decide_units(2_000, &p, 11) else { panic!() };
        assert_eq!(retry_after_secs, 60, "more than the limit never fits; callers refuse it first");
        assert_eq!(p.max_units(), 10);
    }

    #[test]
    fn decisions_match_a_naive_count_of_the_window() {
        // The binary searches against the definition: count admissions in (now - W, now].
        let p = Policy::per_minute_and_hour(7, 40);
        let mut log = SlidingLog::default();
        let mut all: Vec<i64> = Vec::new();
        let mut t = 0i64;
        for i in 0..5_000i64 {
            t += (i * 7_919) % 9_000;
            let units = (i % 4) as u32 + 1;
            let fits = p.quotas.iter().all(|q| {
                let since = t - i64::from(q.window_secs) * 1000;
                all.iter().filter(|&&x| x > since).count() + units as usize <= q.limit as usize
            });
            let d = log.decide_units(t, &p, units);
            assert_eq!(d.admitted(), fits, "at {t} with {units} units");
            if fits {
                all.extend(std::iter::repeat_n(t, units as usize));
            }
            for (q, s) in p.quotas.iter().zip(d.standings()) {
                let since = t - i64::from(q.window_secs) * 1000;
                let used = all.iter().filter(|&&x| x > since).count() as u32;
                assert_eq!(s.remaining, q.limit - used.min(q.limit));
            }
        }
    }

    #[test]
    fn invalid_quotas_are_recognised() {
        assert!(Policy::per_minute_and_hour(100, 1000).is_valid());
        assert!(!Policy::per_minute_and_hour(0, 1000).is_valid());
        assert!(!Policy::per_minute_and_hour(100, MAX_LIMIT + 1).is_valid());
        assert!(!Policy { quotas: vec![] }.is_valid());
        assert!(!Policy { quotas: vec![Quota { name: "day", limit: 5, window_secs: 86_400 }] }.is_valid());
    }

    #[test]
    fn a_zero_quota_rejects_without_overflow() {
        // Refused at parse everywhere; should one arrive anyway, it admits nothing and panics not.
        let p = Policy { quotas: vec![Quota { name: "minute", limit: 0, window_secs: 60 }] };
        let mut log = SlidingLog::default();
        assert!(!log.decide(i64::MAX - 1, &p).admitted());
        assert!(!log.decide(0, &p).admitted());
    }

    #[test]
    fn depth_is_bounded() {
        let p = policy();
        let mut log = SlidingLog::default();
        for i in 0..5_000 {
            log.decide(i * 4_000, &p);
        }
        assert!(log.len() <= p.depth());
    }
}
