//! Named slots ("current", "last", …) of rmp-serde state in a Durable Object's SQLite: how the
//! singleton job objects (ingestion, backups) persist a run between alarm steps.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Result, SqlStorage, SqlStorageValue};

/// Slots holding `T`s, in `table`.
pub(super) struct StateSlots<T> {
    sql: SqlStorage,
    table: &'static str,
    state: PhantomData<T>,
}

impl<T: Serialize + DeserializeOwned> StateSlots<T> {
    /// `table` is a constant of ours, never input: it is spliced into the statements.
    pub(super) fn new(sql: SqlStorage, table: &'static str) -> Self {
        Self { sql, table, state: PhantomData }
    }

    pub(super) fn migrate(&self) -> Result<()> {
        let q =
            format!("CREATE TABLE IF NOT EXISTS {} (slot TEXT PRIMARY KEY, state BLOB NOT NULL)", self.table);
        self.sql.exec(&q, None).map(|_| ())
    }

    pub(super) fn load(&self, slot: &str) -> Result<Option<T>> {
        let q = format!("SELECT state FROM {} WHERE slot = ?", self.table);
        let rows: Vec<Vec<SqlStorageValue>> =
            self.sql.exec(&q, vec![slot.into()])?.raw().collect::<Result<_>>()?;
        match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(SqlStorageValue::Blob(b)) => crate::primitives::persist::decode(&b)
                .map(Some)
                .map_err(|e| worker::Error::RustError(e.to_string())),
            _ => Ok(None),
        }
    }

    pub(super) fn save(&self, slot: &str, state: &T) -> Result<()> {
        let bytes =
            crate::primitives::persist::encode(state).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let q = format!(
            "INSERT INTO {} (slot, state) VALUES (?, ?) ON CONFLICT(slot) DO UPDATE SET state = excluded.state",
            self.table
        );
        let _ = self.sql.exec(&q, vec![slot.into(), SqlStorageValue::Blob(bytes)])?.raw().count();
        Ok(())
    }

    pub(super) fn delete(&self, slot: &str) -> Result<()> {
        let q = format!("DELETE FROM {} WHERE slot = ?", self.table);
        let _ = self.sql.exec(&q, vec![slot.into()])?.raw().count();
        Ok(())
    }
}
