//! Sessions in the client Durable Object's SQLite storage: one row per session, the state as an
//! rmp-serde blob, `expires_at` indexed so the alarm's sweep is one statement. The table is
//! created by the object's first write (`client_schema`).

use std::rc::Rc;

use worker::{SqlStorage, SqlStorageValue};

use super::client_schema::{store_error, ClientSchema};
use crate::mcp::session::{Session, SessionStore, StoreError};

pub(super) struct SqlSessions {
    schema: Rc<ClientSchema>,
}

impl SqlSessions {
    pub(super) fn new(schema: Rc<ClientSchema>) -> Self {
        Self { schema }
    }

    fn sql(&self) -> &SqlStorage {
        self.schema.sql()
    }

    /// Whether the table exists, without creating it.
    pub(super) fn exists(&self) -> Result<bool, StoreError> {
        self.schema.present()
    }

    /// How many sessions are stored, and the largest one's size in bytes (for the test build's
    /// state probe).
    #[cfg(feature = "faults")]
    pub(super) fn census(&self) -> Result<(i64, i64), StoreError> {
        if !self.exists()? {
            return Ok((0, 0));
        }
        let rows = self.query("SELECT COUNT(*), COALESCE(MAX(LENGTH(state)), 0) FROM sessions", vec![])?;
        let int = |v: Option<&SqlStorageValue>| match v {
            Some(SqlStorageValue::Integer(n)) => *n,
            _ => 0,
        };
        let row = rows.into_iter().next().unwrap_or_default();
        Ok((int(row.first()), int(row.get(1))))
    }

    /// Deletes idle-expired sessions; returns the earliest remaining expiry, if any.
    pub(super) fn sweep(&self, now_ms: i64) -> Result<Option<i64>, StoreError> {
        if !self.exists()? {
            return Ok(None);
        }
        self.exec("DELETE FROM sessions WHERE expires_at <= ?", vec![now_ms.into()])?;
        let rows = self.query("SELECT MIN(expires_at) FROM sessions", vec![])?;
        Ok(rows.into_iter().next().and_then(|row| match row.into_iter().next() {
            Some(SqlStorageValue::Integer(t)) => Some(t),
            Some(SqlStorageValue::Float(t)) => Some(t as i64),
            _ => None,
        }))
    }

    fn exec(&self, q: &str, binds: Vec<SqlStorageValue>) -> Result<(), StoreError> {
        self.sql().exec(q, binds).map(|_| ()).map_err(store_error)
    }

    fn query(&self, q: &str, binds: Vec<SqlStorageValue>) -> Result<Vec<Vec<SqlStorageValue>>, StoreError> {
        let cursor = self.sql().exec(q, binds).map_err(store_error)?;
        cursor.raw().collect::<Result<Vec<_>, _>>().map_err(store_error)
    }
}

impl SessionStore for SqlSessions {
    fn load(&self, id: &str) -> Result<Option<Session>, StoreError> {
        if !self.exists()? {
            return Ok(None);
        }
        let rows = self.query("SELECT state FROM sessions WHERE id = ?", vec![id.into()])?;
        match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(SqlStorageValue::Blob(bytes)) => Session::from_bytes(&bytes).map(Some),
            Some(_) => Err(StoreError::Corrupt("session row holds no blob".into())),
            None => Ok(None),
        }
    }

    fn save(&self, s: &Session) -> Result<(), StoreError> {
        self.schema.ensure()?;
        self.exec(
            "INSERT INTO sessions (id, expires_at, last_seen, state) VALUES (?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET expires_at = excluded.expires_at,
               last_seen = excluded.last_seen, state = excluded.state",
            vec![
                s.id.as_str().into(),
                s.expires_at_ms().into(),
                s.last_seen_ms.into(),
                SqlStorageValue::Blob(s.to_bytes()),
            ],
        )
    }

    fn remove(&self, id: &str) -> Result<bool, StoreError> {
        if !self.exists()? {
            return Ok(false);
        }
        let cursor =
            self.sql().exec("DELETE FROM sessions WHERE id = ?", vec![id.into()]).map_err(store_error)?;
        // Drain so rows_written is final.
        let _ = cursor.raw().count();
        Ok(cursor.rows_written() > 0)
    }

    fn evict_beyond(&self, max: usize) -> Result<usize, StoreError> {
        if !self.exists()? {
            return Ok(0);
        }
        let cursor = self
            .sql()
            .exec(
                "DELETE FROM sessions WHERE id IN (
                    SELECT id FROM sessions ORDER BY last_seen DESC LIMIT -1 OFFSET ?)",
                vec![(max as i64).into()],
            )
            .map_err(store_error)?;
        let _ = cursor.raw().count();
        Ok(cursor.rows_written())
    }
}
