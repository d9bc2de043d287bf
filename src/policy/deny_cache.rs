//! The router's per-isolate memory of keys that are over quota, so a flood of rejected requests
//! is answered without a Durable Object round trip.
//!
//! It only ever repeats the object's own verdict: an entry holds the exact instant the object
//! said the key unblocks, and a full key cannot unblock earlier (nothing is admitted meanwhile).

use std::collections::HashMap;

use super::limiter::Policy;

/// Entries kept at most; a flood of distinct keys degrades to "ask the object", never to OOM.
const CAPACITY: usize = 10_000;

#[derive(Debug, Clone)]
pub(crate) struct Denial {
    pub until_ms: i64,
    pub policy: Policy,
    /// The quota that blocks (for the `RateLimit` header).
    pub quota: &'static str,
}

#[derive(Debug, Default)]
pub(crate) struct DenyCache {
    entries: HashMap<String, Denial>,
}

impl DenyCache {
    /// The denial in force for `owner` at `now_ms`, if any.
    pub(crate) fn check(&mut self, owner: &str, now_ms: i64) -> Option<Denial> {
        match self.entries.get(owner) {
            Some(d) if now_ms < d.until_ms => Some(d.clone()),
            Some(_) => {
                self.entries.remove(owner);
                None
            }
            None => None,
        }
    }

    pub(crate) fn record(&mut self, owner: &str, denial: Denial, now_ms: i64) {
        if denial.until_ms <= now_ms {
            return;
        }
        if self.entries.len() >= CAPACITY {
            self.entries.retain(|_, d| d.until_ms > now_ms);
            if self.entries.len() >= CAPACITY {
                return;
            }
        }
        self.entries.insert(owner.to_owned(), denial);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denial(until_ms: i64) -> Denial {
        Denial { until_ms, policy: Policy::per_minute_and_hour(1, 1), quota: "minute" }
    }

    #[test]
    fn denies_until_exactly_the_unblock_instant() {
        let mut c = DenyCache::default();
        c.record("a", denial(1_000), 0);
        assert!(c.check("a", 999).is_some());
        assert!(c.check("a", 1_000).is_none(), "from the unblock instant on, the object decides");
        assert!(c.is_empty());
        assert!(c.check("b", 0).is_none());
    }

    #[test]
    fn bounded() {
        let mut c = DenyCache::default();
        for i in 0..(CAPACITY + 50) {
            c.record(&i.to_string(), denial(10), 0);
        }
        assert_eq!(c.len(), CAPACITY);
        c.record("late", denial(100), 20);
        assert_eq!(c.len(), 1, "expired entries make room");
    }
}
