//! Raw inputs of an ingestion run: the R2 cache of upstream responses, filled either from the
//! upstream sources (data.pkmn.cc, smogon.com/stats; base URLs are vars) or, locally, by
//! uploading ../shared/data through `/admin/raw/*` (scripts/load-local-corpus.mjs).
//!
//! R2 layout: `sets/<format>.json`, `analyses/<format>.json`,
//! `stats/<month>/<chaos|moveset>/<format>-<cutoff>.<json|txt>`, and `stats/manifest.json`
//! listing which statistics each format has. These keys hold the **last good** version of each
//! file: the tools read them, and only a vetted file replaces one.
//!
//! An upstream run fetches each file once (size cap and timeout, `ingest::guard::Limits`), vets
//! it against the last good version (`ingest::guard::vet`, whose profile is kept as R2 custom
//! metadata), and stores a file that passes as a **candidate** (`candidate/<key>`). The ingest
//! object builds the format from its candidates, and promotes them to their keys only when the
//! format's diff is accepted (`ingest::guard::mass_delete`). A refused file is kept at
//! `rejected/<key>` for inspection and never read.

use std::collections::HashMap;
use std::fmt;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use worker::{AbortController, Bucket, Env, Fetch, Url};

use crate::corpus::StatsKind;
use crate::ingest::alert::{stats_not_published, RunReport};
use crate::ingest::guard::{self, Limits, Profile, RawKind, Rejection};
use crate::ingest::manifest::{self, StatsEntry, Wanted};
use crate::ingest::months;

/// An upstream run's statistics refresh: the month (`ingest::months::month_to_ingest`), and
/// whether formats that hold it already are skipped (the daily cron, which retries the formats
/// still missing it; an operator's run re-fetches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StatsRefresh {
    pub month: String,
    pub only_new: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum SourceMode {
    /// Read the R2 cache only (local runs, rebuilds).
    Cache,
    /// Fetch upstream, store in R2, then read.
    Upstream,
}

/// A vetted upstream file waiting for its format's diff to be accepted, at `candidate/<key>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Candidate {
    /// The key it is promoted to.
    pub key: String,
    pub kind: RawKind,
    pub profile: Profile,
    /// Statistics: the manifest entry added on promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<StatsEntry>,
}

impl Candidate {
    pub(super) fn storage_key(&self) -> String {
        candidate_key(&self.key)
    }
}

fn candidate_key(key: &str) -> String {
    format!("candidate/{key}")
}

pub(super) fn sets_key(format: &str) -> String {
    format!("sets/{format}.json")
}

pub(super) fn analyses_key(format: &str) -> String {
    format!("analyses/{format}.json")
}

/// What became of one upstream file.
enum Vetted {
    Candidate(Candidate),
    /// 404: the last good version (if any) stays, silently (statistics: not published yet).
    Missing,
    /// Refused or failed to download: reported; the last good version stays.
    Refused,
}

/// How an upstream fetch ended, when it did not bring a body.
#[derive(Debug)]
enum FetchError {
    /// Over the cap: a content problem (refused, alerts).
    TooLarge,
    /// Transport problems: errors (the last good version stays; alerts past the threshold).
    Status(u16),
    Timeout(u64),
    Network(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::TooLarge => write!(f, "response over the size cap"),
            FetchError::Status(s) => write!(f, "HTTP {s}"),
            FetchError::Timeout(ms) => write!(f, "timed out after {ms} ms"),
            FetchError::Network(e) => write!(f, "{e}"),
        }
    }
}

pub(super) struct RawSource<'a> {
    env: &'a Env,
    bucket: Bucket,
    limits: Limits,
}

const MANIFEST: &str = "stats/manifest.json";
const PROFILE_BYTES: &str = "bytes";
const PROFILE_SPECIES: &str = "species";

impl<'a> RawSource<'a> {
    pub(super) fn new(env: &'a Env) -> worker::Result<Self> {
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
        let limits = Limits::from_vars(
            var("INGEST_MAX_RAW_BYTES").as_deref(),
            var("INGEST_FETCH_TIMEOUT_MS").as_deref(),
            var("INGEST_MAX_DELETE_SHARE").as_deref(),
        );
        Ok(Self { env, bucket: env.bucket("RAW_CACHE")?, limits })
    }

    pub(super) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The last good sets of `format`.
    pub(super) async fn sets(&self, format: &str) -> worker::Result<Option<String>> {
        self.get(&sets_key(format)).await
    }

    /// The newest cached statistics for `format`, or `candidate`'s when it is at least as new.
    pub(super) async fn newest_stats(
        &self,
        format: &str,
        candidate: Option<&Candidate>,
    ) -> worker::Result<Option<(StatsEntry, String)>> {
        let newest = self.newest_entry(format, None).await?;
        let pending = candidate.and_then(|c| c.entry.clone().map(|e| (e, c.storage_key())));
        match manifest::newest_or_pending(newest, pending) {
            Some((entry, key)) => Ok(self.get(&key).await?.map(|body| (entry, body))),
            None => Ok(None),
        }
    }

    /// Cached statistics of `format` matching `month` and/or `cutoff` (newest month first).
    pub(super) async fn stats_matching(
        &self,
        format: &str,
        month: Option<&str>,
        cutoff: Option<u32>,
    ) -> worker::Result<Option<(StatsEntry, String)>> {
        let manifest = self.manifest().await?;
        let entry = manifest::newest(&manifest, format, Wanted { kind: None, month, cutoff }).cloned();
        match entry {
            Some(entry) => Ok(self.get(&entry.key).await?.map(|body| (entry, body))),
            None => Ok(None),
        }
    }

    pub(super) async fn manifest(&self) -> worker::Result<Vec<StatsEntry>> {
        Ok(self.get(MANIFEST).await?.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_default())
    }

    pub(super) async fn put(&self, key: &str, body: Vec<u8>) -> worker::Result<()> {
        self.bucket.put(key, body).execute().await.map(|_| ())
    }

    pub(super) async fn add_to_manifest(&self, entry: StatsEntry) -> worker::Result<()> {
        let manifest = manifest::with(self.manifest().await?, entry);
        self.put(MANIFEST, serde_json::to_vec(&manifest)?).await
    }

    pub(super) async fn get(&self, key: &str) -> worker::Result<Option<String>> {
        match self.bucket.get(key).execute().await? {
            Some(object) => match object.body() {
                Some(body) => body.text().await.map(Some),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Upstream, once per format and run: fetches the format's files (and the statistics of
    /// `stats`' month, when given), vets each against its last good version and stores those
    /// that pass as candidates. Refusals, errors and notes go to `report`; nothing a tool reads
    /// changes here.
    pub(super) async fn fetch_candidates(
        &self,
        format: &str,
        stats: Option<&StatsRefresh>,
        allow_shrink: bool,
        report: &mut RunReport,
    ) -> worker::Result<Vec<Candidate>> {
        let mut candidates = Vec::new();
        for (kind, key, base) in [
            (RawKind::Sets, sets_key(format), "SETS_BASE_URL"),
            (RawKind::Analyses, analyses_key(format), "ANALYSES_BASE_URL"),
        ] {
            let url = format!("{}/{format}.json", self.var(base));
            let last = self.last_good(&key, kind).await?;
            let had_last = last.is_some() || self.bucket.head(&key).await?.is_some();
            match self.candidate(format, kind, &key, &url, last, allow_shrink, None, report).await? {
                Vetted::Candidate(c) => candidates.push(c),
                // No sets at all: the format cannot be built (its step says so); fetch no more.
                _ if kind == RawKind::Sets && !had_last => return Ok(candidates),
                _ => {}
            }
        }
        if let Some(stats) = stats {
            candidates.extend(self.stats_candidate(format, stats, allow_shrink, report).await?);
        }
        Ok(candidates)
    }

    /// Makes `candidates` the last good versions (statistics also enter the manifest).
    pub(super) async fn promote(&self, candidates: &[Candidate]) -> worker::Result<()> {
        for c in candidates {
            let Some(object) = self.bucket.get(c.storage_key()).execute().await? else {
                // Promoted already (a step that crashed after promoting, before saving).
                continue;
            };
            let Some(body) = object.body() else { continue };
            let bytes = body.bytes().await?;
            self.put_profiled(&c.key, bytes, &c.profile).await?;
            if let Some(entry) = &c.entry {
                self.add_to_manifest(entry.clone()).await?;
            }
            self.bucket.delete(c.storage_key()).await?;
            tracing::info!(key = %c.key, species = c.profile.species, bytes = c.profile.bytes, "raw file promoted");
        }
        Ok(())
    }

    /// Drops `candidates` whose format was refused: kept at `rejected/<key>` for inspection.
    pub(super) async fn discard(&self, candidates: &[Candidate]) -> worker::Result<()> {
        for c in candidates {
            if let Some(object) = self.bucket.get(c.storage_key()).execute().await? {
                if let Some(body) = object.body() {
                    self.put(&format!("rejected/{}", c.key), body.bytes().await?).await?;
                }
                self.bucket.delete(c.storage_key()).await?;
            }
        }
        Ok(())
    }

    async fn stats_candidate(
        &self,
        format: &str,
        stats: &StatsRefresh,
        allow_shrink: bool,
        report: &mut RunReport,
    ) -> worker::Result<Option<Candidate>> {
        let month = stats.month.clone();
        if stats.only_new && self.manifest().await?.iter().any(|e| e.format == format && e.month == month) {
            return Ok(None);
        }
        let cutoff = manifest::ingested_cutoff(format);
        let base = self.var("STATS_BASE_URL");
        for (kind, ext) in [(StatsKind::Chaos, "json"), (StatsKind::Moveset, "txt")] {
            let raw_kind = RawKind::from_stats_kind(kind).expect("a statistics kind");
            let path = format!("{month}/{}/{format}-{cutoff}.{ext}", kind.as_str());
            let key = format!("stats/{path}");
            let entry =
                StatsEntry { format: format.into(), kind, month: month.clone(), cutoff, key: key.clone() };
            // Judged against the statistics of the same kind in use now (usually an older month).
            let last = match self.newest_entry(format, Some(kind)).await? {
                Some(e) => self.last_good(&e.key, raw_kind).await?,
                None => None,
            };
            let url = format!("{base}/{path}");
            match self
                .candidate(format, raw_kind, &key, &url, last, allow_shrink, Some(entry), report)
                .await?
            {
                Vetted::Candidate(c) => return Ok(Some(c)),
                // Reported; the statistics in use stay.
                Vetted::Refused => return Ok(None),
                Vetted::Missing => {}
            }
        }
        // Neither kind exists upstream: normal early in a month, a note, neither error nor alert.
        let kept = self.newest_entry(format, None).await?.map(|e| e.month);
        report.note(stats_not_published(format, &month, kept.as_deref()));
        Ok(None)
    }

    /// Fetches one file and vets it; a candidate when it passes.
    #[allow(clippy::too_many_arguments)]
    async fn candidate(
        &self,
        format: &str,
        kind: RawKind,
        key: &str,
        url: &str,
        last: Option<Profile>,
        allow_shrink: bool,
        entry: Option<StatsEntry>,
        report: &mut RunReport,
    ) -> worker::Result<Vetted> {
        let body = match self.fetch(url).await {
            Ok(Some(body)) => body,
            Ok(None) => return Ok(Vetted::Missing),
            Err(FetchError::TooLarge) => {
                let why = Rejection::TooLarge { limit: self.limits.max_bytes };
                report.refuse(guard::refused_file(format, kind, &why, last.is_some()));
                return Ok(Vetted::Refused);
            }
            Err(e) => {
                let kept = if last.is_some() { "kept the last good version" } else { "no earlier version" };
                report.record_error(format!("{format}: upstream {}: {e}; {kept}", kind.as_str()));
                return Ok(Vetted::Refused);
            }
        };
        match guard::vet(kind, &body, last.as_ref(), &self.limits, allow_shrink) {
            Ok(profile) => {
                let candidate = Candidate { key: key.to_owned(), kind, profile, entry };
                self.put_profiled(&candidate.storage_key(), body, &profile).await?;
                Ok(Vetted::Candidate(candidate))
            }
            Err(why) => {
                tracing::warn!(url, reason = %why, "upstream file refused");
                self.put(&format!("rejected/{key}"), body).await?;
                report.refuse(guard::refused_file(format, kind, &why, last.is_some()));
                Ok(Vetted::Refused)
            }
        }
    }

    /// The profile of the last good version at `key`: its custom metadata, or (a file uploaded
    /// through `/admin/raw`) its body inspected. `None`: nothing usable there.
    async fn last_good(&self, key: &str, kind: RawKind) -> worker::Result<Option<Profile>> {
        let Some(head) = self.bucket.head(key).await? else { return Ok(None) };
        let meta = head.custom_metadata().unwrap_or_default();
        let bytes = meta.get(PROFILE_BYTES).and_then(|v| v.parse::<u64>().ok());
        let species = meta.get(PROFILE_SPECIES).and_then(|v| v.parse::<u32>().ok());
        if let (Some(bytes), Some(species)) = (bytes, species) {
            return Ok(Some(Profile { bytes, species }));
        }
        Ok(self.get(key).await?.and_then(|body| guard::inspect(kind, body.as_bytes()).ok()))
    }

    async fn put_profiled(&self, key: &str, body: Vec<u8>, profile: &Profile) -> worker::Result<()> {
        let meta = HashMap::from([
            (PROFILE_BYTES.to_owned(), profile.bytes.to_string()),
            (PROFILE_SPECIES.to_owned(), profile.species.to_string()),
        ]);
        self.bucket.put(key, body).custom_metadata(meta).execute().await.map(|_| ())
    }

    async fn newest_entry(
        &self,
        format: &str,
        kind: Option<StatsKind>,
    ) -> worker::Result<Option<StatsEntry>> {
        let manifest = self.manifest().await?;
        Ok(manifest::newest(&manifest, format, Wanted { kind, ..Wanted::default() }).cloned())
    }

    /// The months the statistics index (`STATS_BASE_URL/`) lists, oldest first.
    pub(super) async fn listed_months(&self) -> Result<Vec<String>, String> {
        let url = format!("{}/", self.var("STATS_BASE_URL"));
        match self.fetch(&url).await {
            Ok(Some(body)) => Ok(months::listed_months(&String::from_utf8_lossy(&body))),
            Ok(None) => Err(format!("{url} answered 404")),
            Err(e) => Err(format!("{url}: {e}")),
        }
    }

    /// Retention of cached statistics (`ingest::months::expired_months`): the expired months'
    /// files leave the manifest first (no tool reads them after that), then R2. The deleted keys.
    pub(super) async fn prune_stats(&self, now_ms: i64) -> worker::Result<Vec<String>> {
        let manifest = self.manifest().await?;
        let pairs: Vec<(&str, &str)> =
            manifest.iter().map(|e| (e.format.as_str(), e.month.as_str())).collect();
        let expired = months::expired_months(&pairs, now_ms, months::RAW_STATS_KEEP_DAYS);
        if expired.is_empty() {
            return Ok(Vec::new());
        }
        let (gone, kept): (Vec<StatsEntry>, Vec<StatsEntry>) = manifest
            .iter()
            .cloned()
            .partition(|e| expired.iter().any(|(f, m)| *f == e.format && *m == e.month));
        self.put(MANIFEST, serde_json::to_vec(&kept)?).await?;
        let keys: Vec<String> = gone.into_iter().map(|e| e.key).collect();
        for key in &keys {
            self.bucket.delete(key).await?;
        }
        tracing::info!(deleted = keys.len(), kept = kept.len(), "cached statistics pruned");
        Ok(keys)
    }

    /// GET `url` under the size cap and the timeout. `Ok(None)`: 404.
    async fn fetch(&self, url: &str) -> Result<Option<Vec<u8>>, FetchError> {
        use futures::future::{select, Either};
        let network = |e: worker::Error| FetchError::Network(e.to_string());
        let controller = AbortController::default();
        let signal = controller.signal();
        let max = self.limits.max_bytes;
        let download = async {
            let url = Url::parse(url).map_err(|e| FetchError::Network(e.to_string()))?;
            let mut resp = Fetch::Url(url).send_with_signal(&signal).await.map_err(network)?;
            match resp.status_code() {
                200 => {}
                404 => return Ok(None),
                s => return Err(FetchError::Status(s)),
            }
            let declared = resp.headers().get("Content-Length").ok().flatten();
            if self.limits.declared_too_large(declared.as_deref()) {
                return Err(FetchError::TooLarge);
            }
            let mut body = Vec::new();
            // No stream: an empty body.
            if let Ok(mut stream) = resp.stream() {
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(network)?;
                    if (body.len() + chunk.len()) as u64 > max {
                        return Err(FetchError::TooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
            }
            Ok(Some(body))
        };
        let timer = worker::Delay::from(std::time::Duration::from_millis(self.limits.timeout_ms));
        let result = match select(std::pin::pin!(download), std::pin::pin!(timer)).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(FetchError::Timeout(self.limits.timeout_ms)),
        };
        if result.is_err() {
            // Stop whatever is still downloading.
            controller.abort();
        }
        result
    }

    fn var(&self, name: &str) -> String {
        self.env.var(name).map(|v| v.to_string()).unwrap_or_default().trim_end_matches('/').to_owned()
    }
}
