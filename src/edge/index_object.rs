//! `IndexObject`: one per format, the lexical index of that format's strategy documents
//! (SQLite FTS5, BM25) plus what ingestion diffs against: each document's key, content hash, when
//! its KV body was last written (`updated_at`, for the TTL refresh) and when its vector was
//! (`embedded_at`, NULL when no vector is known).
//!
//! Why one object per format (not D1): ingestion writes a format at a time and queries name a
//! format, so each object stays small and hot formats spread over objects; FTS5 works in
//! Durable Object SQLite with no extra service, locally too; and the write path is serialized
//! per format for free.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
};

use crate::ingest::diff::Indexed;
use crate::ingest::step::ApplyBatch;
use crate::search::fts_query;
use crate::search::hit::{SearchHit, SearchRequest, MAX_POKEMON_IDS};
use crate::search::isolate_index::SnapshotRow;

/// What `/snapshot` is asked: the most text (bytes) the asker will copy.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SnapshotAsk {
    pub max_bytes: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IndexStats {
    pub documents: i64,
    pub pokemon: i64,
    pub updated_at_ms: Option<i64>,
    /// Documents with a current vector (always 0 where semantic search is not bound).
    #[serde(default)]
    pub embedded: i64,
    /// Searches this instance served since it started (shows what caching saves).
    #[serde(default)]
    pub searches_served: u64,
}

/// Searches one `/search-batch` request may carry (query_strategy sends at most 3).
const MAX_BATCH_SEARCHES: usize = 8;

/// How many replicas each format's index has (`INDEX_REPLICAS`, 1-16, default 1): see
/// `ingest::replicas`. Ingestion writes to all of them; each search reads one.
pub(super) fn replicas(env: &Env) -> usize {
    env.var("INDEX_REPLICAS")
        .ok()
        .and_then(|v| v.to_string().parse::<usize>().ok())
        .map_or(1, |n| n.clamp(1, 16))
}

#[durable_object]
pub struct IndexObject {
    state: State,
    sentry: Option<std::rc::Rc<crate::observe::sentry::SentryConfig>>,
    sql: SqlStorage,
    searches: std::cell::Cell<u64>,
}

impl DurableObject for IndexObject {
    fn new(state: State, env: Env) -> Self {
        super::logging::init();
        let sql = state.storage().sql();
        let schema = [
            "CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, hash TEXT NOT NULL, pokemon_id TEXT NOT NULL,
                pokemon_name TEXT NOT NULL, format TEXT NOT NULL, section TEXT NOT NULL, set_name TEXT,
                source_url TEXT NOT NULL, data_month TEXT, updated_at INTEGER NOT NULL, embedded_at INTEGER)",
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(key UNINDEXED, pokemon, section, set_name, body,
                tokenize = 'unicode61 remove_diacritics 2')",
        ];
        for q in schema {
            if let Err(e) = sql.exec(q, None) {
                tracing::error!(error = %e, "index schema migration failed");
            }
        }
        // Indexes created before vectors were tracked: their rows get NULL, "no vector known",
        // so the next run where semantic search is bound embeds them.
        if sql.exec("SELECT embedded_at FROM docs LIMIT 0", None).is_err() {
            if let Err(e) = sql.exec("ALTER TABLE docs ADD COLUMN embedded_at INTEGER", None) {
                tracing::error!(error = %e, "index schema migration failed");
            }
        }
        Self { state, sentry: super::telemetry::sentry_config(&env), sql, searches: std::cell::Cell::new(0) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        super::telemetry::enter_object(&self.state, self.sentry.clone(), "IndexObject", None);
        match req.path().as_str() {
            "/entries" => Response::from_json(&self.entries()?),
            "/apply" => {
                let batch: ApplyBatch = req.json().await?;
                self.apply(&batch)?;
                Response::from_json(&self.stats()?)
            }
            "/search" => {
                self.searches.set(self.searches.get() + 1);
                let search: SearchRequest = req.json().await?;
                Response::from_json(&self.search(&search)?)
            }
            "/search-batch" => {
                let searches: Vec<SearchRequest> = req.json().await?;
                if searches.len() > MAX_BATCH_SEARCHES {
                    return Response::error("too many searches in one batch", 400);
                }
                self.searches.set(self.searches.get() + searches.len() as u64);
                let hits: Result<Vec<Vec<SearchHit>>> = searches.iter().map(|s| self.search(s)).collect();
                Response::from_json(&hits?)
            }
            "/snapshot" => {
                let ask: SnapshotAsk = req.json().await?;
                match self.snapshot(ask.max_bytes)? {
                    Some(rows) => Response::from_json(&rows),
                    None => Response::error("the index is larger than the asker's budget", 413),
                }
            }
            "/stats" => Response::from_json(&self.stats()?),
            _ => Response::error("not found", 404),
        }
    }
}

impl IndexObject {
    fn entries(&self) -> Result<HashMap<String, Indexed>> {
        #[derive(Deserialize)]
        struct Row {
            key: String,
            hash: String,
            updated_at: i64,
            embedded_at: Option<i64>,
        }
        let rows: Vec<Row> =
            self.sql.exec("SELECT key, hash, updated_at, embedded_at FROM docs", None)?.to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let entry =
                    Indexed { hash: r.hash, written_at_ms: r.updated_at, embedded_at_ms: r.embedded_at };
                (r.key, entry)
            })
            .collect())
    }

    /// Synchronous, so a concurrent search never sees half a batch.
    fn apply(&self, batch: &ApplyBatch) -> Result<()> {
        let now = if batch.at_ms > 0 { batch.at_ms } else { super::clock::now_ms() };
        let embedded: std::collections::HashSet<&str> = batch.embedded.iter().map(String::as_str).collect();
        for key in batch.deletes.iter().chain(batch.upserts.iter().map(|d| &d.key)) {
            self.exec("DELETE FROM docs_fts WHERE key = ?", vec![key.as_str().into()])?;
            self.exec("DELETE FROM docs WHERE key = ?", vec![key.as_str().into()])?;
        }
        for d in &batch.upserts {
            let embedded_at = embedded.contains(d.key.as_str()).then_some(now);
            self.exec(
                "INSERT INTO docs (key, hash, pokemon_id, pokemon_name, format, section, set_name, source_url, data_month, updated_at, embedded_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    d.key.as_str().into(),
                    d.content_hash.as_str().into(),
                    d.pokemon_id.as_str().into(),
                    d.pokemon_name.as_str().into(),
                    d.format.as_str().into(),
                    d.section.as_str().into(),
                    d.set_name.clone().into(),
                    d.source_url.as_str().into(),
                    d.data_month.clone().into(),
                    now.into(),
                    embedded_at.into(),
                ],
            )?;
            self.exec(
                "INSERT INTO docs_fts (key, pokemon, section, set_name, body) VALUES (?, ?, ?, ?, ?)",
                vec![
                    d.key.as_str().into(),
                    format!("{} {}", d.pokemon_name, d.pokemon_id).into(),
                    d.section.as_str().into(),
                    d.set_name.clone().unwrap_or_default().into(),
                    d.text.as_str().into(),
                ],
            )?;
        }
        for key in &batch.refreshed {
            self.exec("UPDATE docs SET updated_at = ? WHERE key = ?", vec![now.into(), key.as_str().into()])?;
        }
        for key in &batch.embedded {
            self.exec(
                "UPDATE docs SET embedded_at = ? WHERE key = ?",
                vec![now.into(), key.as_str().into()],
            )?;
        }
        Ok(())
    }

    fn search(&self, s: &SearchRequest) -> Result<Vec<SearchHit>> {
        let expr = if s.phrase { fts_query::phrase(&s.query) } else { fts_query::any_terms(&s.query) };
        let Some(expr) = expr else { return Ok(Vec::new()) };
        let mut q = String::from(
            // Columns named as `SearchHit`'s fields, so rows deserialize straight into it.
            "SELECT d.key, d.pokemon_id AS pokemonId, d.pokemon_name AS pokemonName, d.format, d.section,
                    d.set_name AS setName, d.source_url AS sourceUrl, d.data_month AS dataMonth,
                    -bm25(docs_fts, 0.0, 4.0, 1.0, 2.0, 1.0) AS score, f.body AS text
             FROM docs_fts f JOIN docs d ON d.key = f.key
             WHERE docs_fts MATCH ?",
        );
        let mut binds: Vec<SqlStorageValue> = vec![expr.into()];
        if let Some(p) = &s.pokemon_id {
            q.push_str(" AND d.pokemon_id = ?");
            binds.push(p.as_str().into());
        }
        if !s.pokemon_ids.is_empty() {
            let ids: Vec<&String> = s.pokemon_ids.iter().take(MAX_POKEMON_IDS).collect();
            q.push_str(&format!(" AND d.pokemon_id IN ({})", vec!["?"; ids.len()].join(", ")));
            binds.extend(ids.into_iter().map(|id| SqlStorageValue::from(id.as_str())));
        }
        if let Some(section) = &s.section {
            q.push_str(" AND d.section = ?");
            binds.push(section.as_str().into());
        }
        q.push_str(" ORDER BY score DESC LIMIT ?");
        binds.push(i64::from(s.limit.clamp(1, 100)).into());
        self.sql.exec(&q, binds)?.to_array()
    }

    /// Every FTS5 row as indexed, with its document, for an in-isolate copy
    /// (`search::isolate_index`); `None` when its text exceeds `max_bytes`. One synchronous read, so
    /// it never holds half an `/apply` batch.
    fn snapshot(&self, max_bytes: u64) -> Result<Option<Vec<SnapshotRow>>> {
        #[derive(Deserialize)]
        struct Size {
            bytes: i64,
        }
        let size: Vec<Size> = self
            .sql
            .exec(
                "SELECT COALESCE(SUM(LENGTH(CAST(body AS BLOB)) + LENGTH(CAST(pokemon AS BLOB))
                    + LENGTH(CAST(section AS BLOB)) + LENGTH(CAST(COALESCE(set_name, '') AS BLOB))), 0) AS bytes
                 FROM docs_fts",
                None,
            )?
            .to_array()?;
        if size.first().map_or(0, |s| s.bytes.max(0) as u64) > max_bytes {
            return Ok(None);
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Row {
            rowid: i64,
            fts_pokemon: String,
            fts_section: String,
            fts_set_name: String,
            body: String,
            fts_key: String,
            doc_key: Option<String>,
            pokemon_id: Option<String>,
            pokemon_name: Option<String>,
            format: Option<String>,
            section: Option<String>,
            set_name: Option<String>,
            source_url: Option<String>,
            data_month: Option<String>,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT f.rowid AS rowid, COALESCE(f.pokemon, '') AS ftsPokemon, COALESCE(f.section, '') AS ftsSection,
                        COALESCE(f.set_name, '') AS ftsSetName, COALESCE(f.body, '') AS body, f.key AS ftsKey,
                        d.key AS docKey, d.pokemon_id AS pokemonId, d.pokemon_name AS pokemonName, d.format,
                        d.section, d.set_name AS setName, d.source_url AS sourceUrl, d.data_month AS dataMonth
                 FROM docs_fts f LEFT JOIN docs d ON d.key = f.key ORDER BY f.rowid",
                None,
            )?
            .to_array()?;
        Ok(Some(
            rows.into_iter()
                .map(|r| SnapshotRow {
                    rowid: r.rowid,
                    fts_pokemon: r.fts_pokemon,
                    fts_section: r.fts_section,
                    fts_set_name: r.fts_set_name,
                    body: r.body,
                    listed: r.doc_key.is_some(),
                    key: r.doc_key.unwrap_or(r.fts_key),
                    pokemon_id: r.pokemon_id.unwrap_or_default(),
                    pokemon_name: r.pokemon_name.unwrap_or_default(),
                    format: r.format.unwrap_or_default(),
                    section: r.section.unwrap_or_default(),
                    set_name: r.set_name,
                    source_url: r.source_url.unwrap_or_default(),
                    data_month: r.data_month,
                })
                .collect(),
        ))
    }

    fn stats(&self) -> Result<IndexStats> {
        #[derive(Deserialize)]
        struct Row {
            documents: i64,
            pokemon: i64,
            updated_at_ms: Option<i64>,
            embedded: i64,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT COUNT(*) AS documents, COUNT(DISTINCT pokemon_id) AS pokemon, MAX(updated_at) AS updated_at_ms,
                        COUNT(embedded_at) AS embedded FROM docs",
                None,
            )?
            .to_array()?;
        Ok(rows.into_iter().next().map_or_else(IndexStats::default, |r| IndexStats {
            documents: r.documents,
            pokemon: r.pokemon,
            updated_at_ms: r.updated_at_ms,
            embedded: r.embedded,
            searches_served: self.searches.get(),
        }))
    }

    fn exec(&self, q: &str, binds: Vec<SqlStorageValue>) -> Result<()> {
        let cursor = self.sql.exec(q, binds)?;
        let _ = cursor.raw().count();
        Ok(())
    }
}
