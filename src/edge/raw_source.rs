//! Raw inputs of an ingestion run: the R2 cache of upstream responses, filled either from the
//! upstream sources (data.pkmn.cc, smogon.com/stats; base URLs are vars) or, locally, by
//! uploading ../shared/data through `/admin/raw/*` (scripts/load-local-corpus.mjs).
//!
//! R2 layout: `sets/<format>.json`, `analyses/<format>.json`,
//! `stats/<month>/<chaos|moveset>/<format>-<cutoff>.<json|txt>`, and `stats/manifest.json`
//! listing which statistics each format has.

use serde::{Deserialize, Serialize};
use worker::{Bucket, Env, Fetch, Url};

/// One statistics file the cache holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsEntry {
    pub format: String,
    /// "chaos" or "moveset".
    pub kind: String,
    pub month: String,
    pub cutoff: u32,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceMode {
    /// Read the R2 cache only (local runs, rebuilds).
    Cache,
    /// Fetch upstream, store in R2, then read.
    Upstream,
}

pub struct RawSource<'a> {
    env: &'a Env,
    bucket: Bucket,
    mode: SourceMode,
}

const MANIFEST: &str = "stats/manifest.json";

impl<'a> RawSource<'a> {
    pub fn new(env: &'a Env, mode: SourceMode) -> worker::Result<Self> {
        Ok(Self { env, bucket: env.bucket("RAW_CACHE")?, mode })
    }

    pub async fn sets(&self, format: &str) -> worker::Result<Option<String>> {
        self.file(&format!("sets/{format}.json"), "SETS_BASE_URL", &format!("{format}.json")).await
    }

    pub async fn analyses(&self, format: &str) -> worker::Result<Option<String>> {
        self.file(&format!("analyses/{format}.json"), "ANALYSES_BASE_URL", &format!("{format}.json")).await
    }

    /// The newest cached statistics for `format`, fetching `STATS_MONTH`'s upstream first when
    /// `refresh` is set. The second value names that month when the upstream does not have it
    /// (yet): the newest cached month stays in use.
    pub async fn stats(
        &self,
        format: &str,
        refresh: bool,
    ) -> worker::Result<(Option<(StatsEntry, String)>, Option<String>)> {
        let unpublished =
            if refresh && self.mode == SourceMode::Upstream { self.fetch_stats(format).await? } else { None };
        let manifest = self.manifest().await?;
        let Some(entry) =
            manifest.into_iter().filter(|e| e.format == format).max_by(|a, b| a.month.cmp(&b.month))
        else {
            return Ok((None, unpublished));
        };
        Ok((self.get(&entry.key).await?.map(|body| (entry, body)), unpublished))
    }

    /// Cached statistics of `format` matching `month` and/or `cutoff` (newest month first).
    pub async fn stats_matching(
        &self,
        format: &str,
        month: Option<&str>,
        cutoff: Option<u32>,
    ) -> worker::Result<Option<(StatsEntry, String)>> {
        let manifest = self.manifest().await?;
        let entry = manifest
            .into_iter()
            .filter(|e| {
                e.format == format
                    && month.is_none_or(|m| m == e.month)
                    && cutoff.is_none_or(|c| c == e.cutoff)
            })
            .max_by(|a, b| a.month.cmp(&b.month));
        match entry {
            Some(entry) => Ok(self.get(&entry.key).await?.map(|body| (entry, body))),
            None => Ok(None),
        }
    }

    pub async fn manifest(&self) -> worker::Result<Vec<StatsEntry>> {
        Ok(self.get(MANIFEST).await?.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default())
    }

    pub async fn put(&self, key: &str, body: Vec<u8>) -> worker::Result<()> {
        self.bucket.put(key, body).execute().await.map(|_| ())
    }

    pub async fn add_to_manifest(&self, entry: StatsEntry) -> worker::Result<()> {
        let mut manifest = self.manifest().await?;
        manifest.retain(|e| e.key != entry.key);
        manifest.push(entry);
        manifest.sort_by(|a, b| (&a.format, &a.month).cmp(&(&b.format, &b.month)));
        self.put(MANIFEST, serde_json::to_vec(&manifest)?).await
    }

    async fn file(&self, key: &str, base_var: &str, name: &str) -> worker::Result<Option<String>> {
        if self.mode == SourceMode::Upstream {
            if let Some(body) = self.fetch(&format!("{}/{name}", self.var(base_var))).await? {
                self.put(key, body.clone().into_bytes()).await?;
                return Ok(Some(body));
            }
        }
        self.get(key).await
    }

    /// `Some(month)` when neither kind of report exists upstream for `STATS_MONTH`.
    async fn fetch_stats(&self, format: &str) -> worker::Result<Option<String>> {
        let month = self.var("STATS_MONTH");
        let cutoff = if matches!(format, "gen9ou" | "gen9doublesou") { 1695 } else { 1630 };
        let base = self.var("STATS_BASE_URL");
        for (kind, ext) in [("chaos", "json"), ("moveset", "txt")] {
            let path = format!("{month}/{kind}/{format}-{cutoff}.{ext}");
            if let Some(body) = self.fetch(&format!("{base}/{path}")).await? {
                let key = format!("stats/{path}");
                self.put(&key, body.into_bytes()).await?;
                let entry = StatsEntry { format: format.into(), kind: kind.into(), month, cutoff, key };
                return self.add_to_manifest(entry).await.map(|()| None);
            }
        }
        Ok(Some(month))
    }

    async fn fetch(&self, url: &str) -> worker::Result<Option<String>> {
        let mut resp = Fetch::Url(Url::parse(url)?).send().await?;
        match resp.status_code() {
            200 => resp.text().await.map(Some),
            404 => Ok(None),
            s => Err(worker::Error::RustError(format!("GET {url}: HTTP {s}"))),
        }
    }

    async fn get(&self, key: &str) -> worker::Result<Option<String>> {
        match self.bucket.get(key).execute().await? {
            Some(object) => match object.body() {
                Some(body) => body.text().await.map(Some),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    fn var(&self, name: &str) -> String {
        self.env.var(name).map(|v| v.to_string()).unwrap_or_default().trim_end_matches('/').to_owned()
    }
}
