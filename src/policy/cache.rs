//! The client object's result cache: LRU with a TTL, plus request coalescing — concurrent
//! identical requests share one computation instead of each hitting the backends.
//!
//! Coalescing needs no `'static` futures: the first caller (the leader) computes; callers that
//! arrive meanwhile register a oneshot channel and wait; the leader fills the cache and answers
//! them all. If the leader is dropped mid-way, its waiters see the channel close and compute
//! for themselves (no request is ever left waiting on a computation that will not finish).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroUsize;

use futures::channel::oneshot;
use lru::LruCache;

/// How a value was obtained, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Hit,
    Coalesced,
    Miss,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Coalesced => "coalesced",
            Outcome::Miss => "miss",
        }
    }
}

pub(crate) struct CoalescingCache<V> {
    ttl_ms: i64,
    entries: RefCell<LruCache<String, (i64, V)>>,
    waiting: RefCell<HashMap<String, Vec<oneshot::Sender<V>>>>,
}

impl<V: Clone> CoalescingCache<V> {
    pub(crate) fn new(capacity: usize, ttl_ms: i64) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("capacity ≥ 1");
        Self { ttl_ms, entries: RefCell::new(LruCache::new(capacity)), waiting: RefCell::new(HashMap::new()) }
    }

    /// The cached value for `key`, or `compute`'s — run at most once for concurrent callers.
    /// `cacheable` decides whether a computed value may be kept (e.g. not errors).
    pub(crate) async fn get_or_compute<F, Fut>(
        &self,
        key: &str,
        now_ms: i64,
        cacheable: impl Fn(&V) -> bool,
        compute: F,
    ) -> (V, Outcome)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        if let Some(v) = self.fresh(key, now_ms) {
            return (v, Outcome::Hit);
        }
        let follower = {
            let mut waiting = self.waiting.borrow_mut();
            match waiting.get_mut(key) {
                Some(list) => {
                    let (tx, rx) = oneshot::channel();
                    list.push(tx);
                    Some(rx)
                }
                None => {
                    waiting.insert(key.to_owned(), Vec::new());
                    None
                }
            }
        };
        if let Some(rx) = follower {
            if let Ok(v) = rx.await {
                return (v, Outcome::Coalesced);
            }
            // The leader went away without an answer: compute ourselves (uncoalesced).
            return (compute().await, Outcome::Miss);
        }
        let leader = LeaderGuard { cache: self, key };
        let value = compute().await;
        if cacheable(&value) {
            self.entries.borrow_mut().put(key.to_owned(), (now_ms + self.ttl_ms, value.clone()));
        }
        let followers = leader.finish();
        for tx in followers {
            let _ = tx.send(value.clone());
        }
        (value, Outcome::Miss)
    }

    fn fresh(&self, key: &str, now_ms: i64) -> Option<V> {
        let mut entries = self.entries.borrow_mut();
        match entries.get(key) {
            Some((expires, v)) if now_ms < *expires => Some(v.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Removes the leader's waiting list however the leader ends (also when its future is dropped),
/// so followers are never stranded.
struct LeaderGuard<'a, V> {
    cache: &'a CoalescingCache<V>,
    key: &'a str,
}

impl<V> LeaderGuard<'_, V> {
    fn finish(self) -> Vec<oneshot::Sender<V>> {
        let senders = self.cache.waiting.borrow_mut().remove(self.key).unwrap_or_default();
        std::mem::forget(self);
        senders
    }
}

impl<V> Drop for LeaderGuard<'_, V> {
    fn drop(&mut self) {
        // Dropping the senders closes the followers' channels.
        self.cache.waiting.borrow_mut().remove(self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn hundred_concurrent_identical_calls_compute_once() {
        let cache = Rc::new(CoalescingCache::<u32>::new(16, 300_000));
        let computed = Rc::new(Cell::new(0));
        let outcomes = Rc::new(RefCell::new(Vec::new()));
        let (gate_tx, gate_rx) = oneshot::channel::<()>();
        let gate = Rc::new(RefCell::new(Some(gate_rx)));
        let mut pool = LocalPool::new();
        for _ in 0..100 {
            let (cache, computed, outcomes, gate) =
                (cache.clone(), computed.clone(), outcomes.clone(), gate.clone());
            pool.spawner()
                .spawn_local(async move {
                    let (v, o) = cache
                        .get_or_compute(
                            "q",
                            0,
                            |_| true,
                            || async {
                                computed.set(computed.get() + 1);
                                // The backend answers only once every caller has arrived.
                                let rx = gate.borrow_mut().take().expect("computed once");
                                let _ = rx.await;
                                42
                            },
                        )
                        .await;
                    outcomes.borrow_mut().push((v, o));
                })
                .unwrap();
        }
        pool.run_until_stalled();
        gate_tx.send(()).unwrap();
        pool.run();
        assert_eq!(computed.get(), 1);
        let outcomes = outcomes.borrow();
        assert_eq!(outcomes.len(), 100);
        assert!(outcomes.iter().all(|(v, _)| *v == 42));
        assert_eq!(outcomes.iter().filter(|(_, o)| *o == Outcome::Miss).count(), 1);
        assert_eq!(outcomes.iter().filter(|(_, o)| *o == Outcome::Coalesced).count(), 99);
    }

    #[test]
    fn ttl_and_cacheability() {
        let cache = CoalescingCache::<i32>::new(4, 1_000);
        let run = |now, v: i32| {
            futures::executor::block_on(cache.get_or_compute("k", now, |v| *v >= 0, || async move { v }))
        };
        assert_eq!(run(0, 1), (1, Outcome::Miss));
        assert_eq!(run(999, 2), (1, Outcome::Hit));
        assert_eq!(run(1_000, 3), (3, Outcome::Miss), "expired at the TTL");
        let other = futures::executor::block_on(cache.get_or_compute("e", 0, |v| *v >= 0, || async { -1 }));
        assert_eq!(other, (-1, Outcome::Miss));
        let again = futures::executor::block_on(cache.get_or_compute("e", 1, |v| *v >= 0, || async { -2 }));
        assert_eq!(again, (-2, Outcome::Miss), "uncacheable values are recomputed");
    }

    #[test]
    fn lru_capacity_is_bounded() {
        let cache = CoalescingCache::<usize>::new(3, 1_000);
        for i in 0..10 {
            futures::executor::block_on(cache.get_or_compute(
                &i.to_string(),
                0,
                |_| true,
                || async move { i },
            ));
        }
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn followers_of_a_dropped_leader_compute_for_themselves() {
        let cache = Rc::new(CoalescingCache::<u32>::new(4, 1_000));
        let mut pool = LocalPool::new();
        let (never_tx, never_rx) = oneshot::channel::<()>();
        let leader = {
            let cache = cache.clone();
            async move {
                cache
                    .get_or_compute(
                        "k",
                        0,
                        |_| true,
                        || async move {
                            let _ = never_rx.await;
                            1
                        },
                    )
                    .await
            }
        };
        let handle = pool.spawner().spawn_local_with_handle(leader).unwrap();
        pool.run_until_stalled();
        let result = Rc::new(Cell::new(None));
        {
            let (cache, result) = (cache.clone(), result.clone());
            pool.spawner()
                .spawn_local(async move {
                    result.set(Some(cache.get_or_compute("k", 0, |_| true, || async { 7 }).await));
                })
                .unwrap();
        }
        pool.run_until_stalled();
        drop(handle); // the leader is cancelled
        drop(never_tx);
        pool.run();
        assert_eq!(result.get(), Some((7, Outcome::Miss)));
    }
}
