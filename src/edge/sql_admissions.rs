//! The object's rate-limit log in SQLite: one row per admission, newest `depth` kept in memory.
//! A rejection writes nothing; old rows are pruned as new ones arrive and by the alarm.
//!
//! Each row is just its primary key, `ts * 1024 + n` (n: admissions already at that millisecond),
//! so the table is one B-tree of 8-byte keys with no separate index.
//!
//! The log also remembers its [`Role`] (one row, written with the first admission) and refuses
//! a limit of any other role: see `policy::quotas::Role` and `policy::admissions::decide`, which
//! judges that over this [`AdmissionStore`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use worker::{SqlStorage, SqlStorageValue};

use super::client_schema::{store_error, ClientSchema};
use crate::mcp::session::StoreError;
use crate::policy::admissions::AdmissionStore;
use crate::policy::limiter::{Decision, Policy, SlidingLog};
use crate::policy::quotas::Role;

/// Row keys per millisecond; ms epoch × 1024 stays below 2^53 (exact in JS) until the 2250s.
const SLOTS_PER_MS: i64 = 1024;
/// Prune once per this many admissions (a DELETE per request would double the writes).
const PRUNE_EVERY: u64 = 32;

pub(super) struct SqlAdmissions {
    /// The tables are created by the object's first write (`client_schema`).
    schema: Rc<ClientSchema>,
    /// Loaded lazily; `loaded_depth` says how many rows it was loaded with.
    log: RefCell<Option<(SlidingLog, usize)>>,
    since_prune: RefCell<u64>,
    /// The role this log counts, once known (read from, or written to, `admission_role`).
    role: Cell<Option<Role>>,
    /// No admission row was written by this instance (with `ClientSchema::created_here`: the log
    /// is empty, and loading it reads nothing).
    unwritten: Cell<bool>,
}

impl SqlAdmissions {
    pub(super) fn new(schema: Rc<ClientSchema>) -> Self {
        Self {
            schema,
            log: RefCell::new(None),
            since_prune: RefCell::new(0),
            role: Cell::new(None),
            unwritten: Cell::new(true),
        }
    }

    fn sql(&self) -> &SqlStorage {
        self.schema.sql()
    }

    /// Whether the table exists, without creating it.
    pub(super) fn exists(&self) -> Result<bool, StoreError> {
        self.schema.present()
    }

    /// How many admissions are stored (for the test build's state probe).
    #[cfg(feature = "faults")]
    pub(super) fn count(&self) -> Result<i64, StoreError> {
        if !self.exists()? {
            return Ok(0);
        }
        Ok(first_int(self.query("SELECT COUNT(*) FROM admission_log", vec![])?).unwrap_or(0))
    }
}

impl AdmissionStore for SqlAdmissions {
    fn role(&self) -> Result<Option<Role>, StoreError> {
        if self.role.get().is_none() && self.exists()? {
            let rows = self.query("SELECT role FROM admission_role LIMIT 1", vec![])?;
            let held = rows.into_iter().next().and_then(|r| r.into_iter().next()).and_then(|v| match v {
                SqlStorageValue::String(s) => Role::parse(&s),
                _ => None,
            });
            self.role.set(held);
        }
        Ok(self.role.get())
    }

    fn claim(&self, role: Role) -> Result<(), StoreError> {
        self.schema.ensure()?;
        self.exec("INSERT INTO admission_role (role) VALUES (?)", vec![role.as_str().into()])?;
        self.role.set(Some(role));
        Ok(())
    }

    /// The newest `depth` rows are kept in memory; admitted units become rows at once, and old
    /// rows are pruned every [`PRUNE_EVERY`] admissions.
    fn decide_units(&self, now_ms: i64, policy: &Policy, units: u32) -> Result<Decision, StoreError> {
        let mut slot = self.log.borrow_mut();
        if slot.as_ref().is_none_or(|(_, depth)| *depth < policy.depth()) {
            *slot = Some((self.load(policy)?, policy.depth()));
        }
        let (log, _) = slot.as_mut().expect("loaded above");
        let decision = log.decide_units(now_ms, policy, units);
        if decision.admitted() {
            let newest = log.timestamps().next_back().unwrap_or(now_ms);
            // Admissions at this millisecond, counted from the newest end (the log is sorted).
            let at_newest = log.timestamps().rev().take_while(|&t| t == newest).count() as i64;
            let rows: Vec<SqlStorageValue> = (at_newest - i64::from(units.max(1))..at_newest)
                .map(|n| (newest * SLOTS_PER_MS + n.clamp(0, SLOTS_PER_MS - 1)).into())
                .collect();
            let placeholders = vec!["(?)"; rows.len()].join(",");
            let insert = format!("INSERT OR REPLACE INTO admission_log (k) VALUES {placeholders}");
            self.unwritten.set(false);
            if let Err(e) = self.exec(&insert, rows) {
                // Not persisted means not admitted: forget it so memory matches storage.
                *slot = None;
                return Err(e);
            }
            let mut since = self.since_prune.borrow_mut();
            *since += u64::from(units);
            if *since >= PRUNE_EVERY {
                *since = 0;
                let oldest_needed = log.timestamps().next().unwrap_or(now_ms);
                self.exec(
                    "DELETE FROM admission_log WHERE k < ?",
                    vec![(oldest_needed * SLOTS_PER_MS).into()],
                )?;
            }
        }
        Ok(decision)
    }

    fn expire(&self, now_ms: i64, horizon_ms: i64) -> Result<Option<i64>, StoreError> {
        if !self.exists()? {
            return Ok(None);
        }
        self.exec(
            "DELETE FROM admission_log WHERE k < ?",
            vec![((now_ms - horizon_ms + 1) * SLOTS_PER_MS).into()],
        )?;
        *self.log.borrow_mut() = None;
        let rows = self.query("SELECT MAX(k) FROM admission_log", vec![])?;
        Ok(first_int(rows).map(|k| k / SLOTS_PER_MS))
    }
}

impl SqlAdmissions {
    fn load(&self, policy: &Policy) -> Result<SlidingLog, StoreError> {
        if self.schema.created_here() && self.unwritten.get() {
            // The table was created moments ago and nothing was admitted since: no rows to read.
            return Ok(SlidingLog::from_timestamps(Vec::new(), policy));
        }
        let rows = self.query(
            "SELECT k FROM admission_log ORDER BY k DESC LIMIT ?",
            vec![(policy.depth() as i64).into()],
        )?;
        let ts =
            rows.into_iter().filter_map(|r| int(r.into_iter().next()?)).map(|k| k / SLOTS_PER_MS).collect();
        Ok(SlidingLog::from_timestamps(ts, policy))
    }

    fn exec(&self, q: &str, binds: Vec<SqlStorageValue>) -> Result<(), StoreError> {
        let cursor = self.sql().exec(q, binds).map_err(store_error)?;
        let _ = cursor.raw().count();
        Ok(())
    }

    fn query(&self, q: &str, binds: Vec<SqlStorageValue>) -> Result<Vec<Vec<SqlStorageValue>>, StoreError> {
        let cursor = self.sql().exec(q, binds).map_err(store_error)?;
        cursor.raw().collect::<Result<Vec<_>, _>>().map_err(store_error)
    }
}

fn int(v: SqlStorageValue) -> Option<i64> {
    match v {
        SqlStorageValue::Integer(i) => Some(i),
        SqlStorageValue::Float(f) => Some(f as i64),
        _ => None,
    }
}

fn first_int(rows: Vec<Vec<SqlStorageValue>>) -> Option<i64> {
    rows.into_iter().next().and_then(|r| r.into_iter().next()).and_then(int)
}
