//! Where a limited object's admission log lives, behind [`AdmissionStore`] (shaped like
//! `mcp::session::SessionStore`: synchronous, because Durable Object SQLite is, so a decision and
//! its record have no await in between). The rule every store obeys — a log counts one
//! [`Role`] for life and refuses a limit of any other — is [`decide`], written once here.

#[cfg(test)]
use std::cell::{Cell, RefCell};

use super::limiter::{Decision, Policy};
#[cfg(test)]
use super::limiter::{Quota, SlidingLog};
use super::quotas::Role;
use crate::mcp::session::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AdmissionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The router asked this object to count a limit its log does not hold.
    #[error("this log counts {held:?}, refused a limit for {asked:?}")]
    WrongRole { held: Role, asked: Role },
}

/// One object's admission log.
pub(crate) trait AdmissionStore {
    /// The role this log counts, if it has counted anything.
    fn role(&self) -> Result<Option<Role>, StoreError>;
    /// Makes `role` the log's role for life (before its first admission).
    fn claim(&self, role: Role) -> Result<(), StoreError>;
    /// Decides `units` admissions (all or none) against the log and, when admitting, records
    /// them — synchronously. A rejection records nothing.
    fn decide_units(&self, now_ms: i64, policy: &Policy, units: u32) -> Result<Decision, StoreError>;
    /// Drops admissions older than `horizon_ms` (alarm housekeeping); returns the newest kept.
    fn expire(&self, now_ms: i64, horizon_ms: i64) -> Result<Option<i64>, StoreError>;
}

/// Decides `units` admissions of `role` under `policy`. A limit of another role than the one the
/// log holds is refused before anything is read or written; the first admission claims the role.
pub(crate) fn decide(
    store: &impl AdmissionStore,
    now_ms: i64,
    policy: &Policy,
    role: Role,
    units: u32,
) -> Result<Decision, AdmissionError> {
    match store.role()? {
        Some(held) if held != role => return Err(AdmissionError::WrongRole { held, asked: role }),
        Some(_) => {}
        None => store.claim(role)?,
    }
    Ok(store.decide_units(now_ms, policy, units)?)
}

/// An in-memory log for native tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct MemoryAdmissions {
    role: Cell<Option<Role>>,
    log: RefCell<SlidingLog>,
    /// When set, every call fails with it (a storage outage).
    pub failing: RefCell<Option<StoreError>>,
}

#[cfg(test)]
impl MemoryAdmissions {
    fn check(&self) -> Result<(), StoreError> {
        self.failing.borrow().clone().map_or(Ok(()), Err)
    }

    /// How many admissions the log holds.
    pub(crate) fn len(&self) -> usize {
        self.log.borrow().len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
impl AdmissionStore for MemoryAdmissions {
    fn role(&self) -> Result<Option<Role>, StoreError> {
        self.check()?;
        Ok(self.role.get())
    }

    fn claim(&self, role: Role) -> Result<(), StoreError> {
        self.check()?;
        self.role.set(Some(role));
        Ok(())
    }

    fn decide_units(&self, now_ms: i64, policy: &Policy, units: u32) -> Result<Decision, StoreError> {
        self.check()?;
        Ok(self.log.borrow_mut().decide_units(now_ms, policy, units))
    }

    fn expire(&self, now_ms: i64, horizon_ms: i64) -> Result<Option<i64>, StoreError> {
        self.check()?;
        let mut log = self.log.borrow_mut();
        let kept: Vec<i64> = log.timestamps().filter(|&t| t > now_ms - horizon_ms).collect();
        let newest = kept.last().copied();
        let all = Policy { quotas: vec![Quota { name: "all", limit: kept.len() as u32, window_secs: 1 }] };
        *log = SlidingLog::from_timestamps(kept, &all);
        Ok(newest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_admission_claims_the_role_and_another_role_is_refused_untouched() {
        let store = MemoryAdmissions::default();
        let p = Policy::per_minute_and_hour(2, 10);
        assert!(decide(&store, 0, &p, Role::Address, 1).unwrap().admitted());
        assert_eq!(store.role().unwrap(), Some(Role::Address));
        assert_eq!(
            decide(&store, 1, &p, Role::Network, 1),
            Err(AdmissionError::WrongRole { held: Role::Address, asked: Role::Network })
        );
        assert_eq!(store.len(), 1, "a refused limit writes nothing");
        assert!(decide(&store, 2, &p, Role::Address, 1).unwrap().admitted());
        assert!(!decide(&store, 3, &p, Role::Address, 1).unwrap().admitted());
        assert_eq!(store.len(), 2, "a rejection records nothing");
        assert_eq!(store.expire(60_001, 60_000).unwrap(), Some(2));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn storage_failures_are_store_errors() {
        let store = MemoryAdmissions::default();
        *store.failing.borrow_mut() = Some(StoreError::Unavailable("down".into()));
        let p = Policy::per_minute_and_hour(2, 10);
        assert!(matches!(decide(&store, 0, &p, Role::Address, 1), Err(AdmissionError::Store(_))));
        assert_eq!(store.role.get(), None);
    }
}
