//! The client object's SQLite schema: its sessions (`sql_sessions`) and its admission log
//! (`sql_admissions`), created together by the object's first write, in one `exec`.
//!
//! Never by a read or by the constructor: a well-formed but forged session id can name any
//! object at all, and a request that only reads must leave no database behind in the object it
//! reaches. A new client's first request used to check for each table, then create each table and
//! index in its own statement, and read back the empty log it had just created: ten `exec`
//! calls where six do (bench/REPORT-load.md, new users).

use std::cell::Cell;

use worker::{SqlStorage, SqlStorageValue};

use crate::mcp::session::StoreError;

/// Every table and index, idempotent. Objects written by older versions may hold only some of
/// them (each store used to create its own), so it runs whenever any is missing.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        state BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
    CREATE TABLE IF NOT EXISTS admission_log (k INTEGER PRIMARY KEY);
    CREATE TABLE IF NOT EXISTS admission_role (role TEXT NOT NULL)";
const TABLES: i64 = 3;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Not looked at yet by this instance.
    Unknown,
    /// No table: nothing was ever stored here.
    Absent,
    /// Present and complete.
    Present,
    /// Created by this instance: everything stored here, this instance stored.
    Created,
}

pub(super) struct ClientSchema {
    sql: SqlStorage,
    known: Cell<Known>,
}

impl ClientSchema {
    pub(super) fn new(sql: SqlStorage) -> Self {
        Self { sql, known: Cell::new(Known::Unknown) }
    }

    pub(super) fn sql(&self) -> &SqlStorage {
        &self.sql
    }

    /// Whether the tables exist, without creating them (one read of `sqlite_master` per
    /// instance; an object with some of them is completed, as it has a database already).
    pub(super) fn present(&self) -> Result<bool, StoreError> {
        if self.known.get() == Known::Unknown {
            let cursor = self
                .sql
                .exec(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'
                       AND name IN ('sessions', 'admission_log', 'admission_role')",
                    None,
                )
                .map_err(store_error)?;
            let rows = cursor.raw().collect::<Result<Vec<_>, _>>().map_err(store_error)?;
            let found = match rows.first().and_then(|row| row.first()) {
                Some(SqlStorageValue::Integer(n)) => *n,
                _ => 0,
            };
            match found {
                0 => self.known.set(Known::Absent),
                TABLES => self.known.set(Known::Present),
                _ => self.create(Known::Present)?,
            }
        }
        Ok(matches!(self.known.get(), Known::Present | Known::Created))
    }

    /// Before a write: creates whatever is missing.
    pub(super) fn ensure(&self) -> Result<(), StoreError> {
        if !self.present()? {
            self.create(Known::Created)?;
        }
        Ok(())
    }

    /// Whether this instance created the tables, so storage holds only what it wrote itself.
    pub(super) fn created_here(&self) -> bool {
        self.known.get() == Known::Created
    }

    fn create(&self, then: Known) -> Result<(), StoreError> {
        // One string, several statements: `exec` runs them all (drained, to be sure).
        let cursor = self.sql.exec(SCHEMA, None).map_err(store_error)?;
        let _ = cursor.raw().count();
        self.known.set(then);
        Ok(())
    }
}

pub(super) fn store_error(e: worker::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}
