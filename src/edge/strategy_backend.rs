//! The strategy tools' backend on Workers: lexical search in the isolate's copy of the format's
//! index when it has a current one (`search::isolate_index`), else in the format's
//! `IndexObject`; semantic search through Workers AI + Vectorize (when bound); each under its
//! own timeout.

use worker::{Env, Method, Request, RequestInit};

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::clock::now_ms;
use super::faults::Faults;
use super::raw_source::RawSource;
use super::vectors::vectorize;
use crate::corpus::{parse_chaos, parse_moveset_report, parse_sets, Document, Format, SetsFile, StatsKind};
use crate::ingest::replicas::{pick_replica, replica_name};
use crate::search::hit::{SearchHit, SearchRequest};
use crate::search::isolate_index::{IsolateIndex, IsolateIndexes, Lookup, SnapshotRow};
use crate::tools::backend::{BackendError, FormatUsage, Source, StrategyBackend};

/// Parsed raw files are kept per isolate for this long (a new month or sets file is picked up
/// after it; parsing a month of statistics costs more than a request should).
const PARSED_TTL_MS: i64 = 5 * 60 * 1000;

/// format → (dataset version, expires at, parsed file or "none"). An entry is used only while
/// the dataset version it was loaded under is current: a finished ingestion run invalidates it.
type Parsed<T> = RefCell<HashMap<String, (String, i64, Option<Rc<T>>)>>;

thread_local! {
    static USAGE: Parsed<FormatUsage> = RefCell::new(HashMap::new());
    /// This isolate's copies of format indexes (`search::isolate_index`).
    static COPIES: RefCell<IsolateIndexes> = RefCell::new(IsolateIndexes::new(0));
    static SETS: Parsed<SetsFile> = RefCell::new(HashMap::new());
    /// The dataset version as last read from KV, and when.
    static VERSION: RefCell<Option<(String, i64)>> = const { RefCell::new(None) };
    /// Time this isolate's requests waited on other hops since the last `take_waits`.
    static WAITS: std::cell::Cell<HopWaits> =
        const { std::cell::Cell::new(HopWaits { index_ms: 0, storage_ms: 0, ai_calls: 0, vector_queries: 0 }) };
}

/// Milliseconds a request waited on the hops behind the client object: the format's index
/// object, and storage (KV, the Cache API, R2). Workers clocks advance only across I/O, so each
/// figure also holds the compute that ran just before the wait began; they are the per-hop
/// breakdown of the bench build's `Server-Timing` header (bench/hops.mjs). Summed per isolate:
/// exact for one request at a time, shared by requests that overlap in one object. Also the
/// billed calls made on the way (Workers AI embeddings, Vectorize queries), for the request
/// record (RUNBOOK "Cost controls").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct HopWaits {
    pub index_ms: i64,
    pub storage_ms: i64,
    pub ai_calls: u32,
    pub vector_queries: u32,
}

/// The waits recorded since the last call, reset.
pub(super) fn take_waits() -> HopWaits {
    WAITS.with(|w| w.replace(HopWaits::default()))
}

/// Runs `fut`, adding its wall time to the index or the storage wait.
async fn timed<T>(index: bool, fut: impl std::future::Future<Output = T>) -> T {
    let started = now_ms();
    let value = fut.await;
    let spent = now_ms() - started;
    WAITS.with(|w| {
        let mut waits = w.get();
        if index {
            waits.index_ms += spent;
        } else {
            waits.storage_ms += spent;
        }
        w.set(waits);
    });
    value
}

/// How long an isolate trusts the dataset version it read (`DATASET_VERSION_TTL_MS`, default
/// 1 s, 0-60 s): every corpus tool call needs it (cache keys, parsed files), and one KV read per
/// call was a visible share of a `get_pokemon`. The cost: answers cached under the previous
/// version can still be served for up to this long after an ingestion run finishes.
fn version_ttl_ms(env: &Env) -> i64 {
    env.var("DATASET_VERSION_TTL_MS")
        .ok()
        .and_then(|v| v.to_string().parse::<i64>().ok())
        .map_or(1_000, |ms| ms.clamp(0, 60_000))
}

/// Memory an isolate gives its index copies (`ISOLATE_INDEX_MB`, default 16, 0-64; 0 turns the
/// copies off and every search goes to the index objects). Workers isolates have 128 MB; a copy
/// holds its text and about 2.6× as much again in postings and tokens (gen9ou locally: 315 rows,
/// 0.46 MB of text, 1.68 MB in all).
fn isolate_index_budget(env: &Env) -> usize {
    env.var("ISOLATE_INDEX_MB")
        .ok()
        .and_then(|v| v.to_string().parse::<usize>().ok())
        .map_or(16, |mb| mb.min(64))
        * 1024
        * 1024
}

const LEXICAL_TIMEOUT_MS: u64 = 2_000;
const SEMANTIC_TIMEOUT_MS: u64 = 2_500;

pub(super) struct EdgeBackend {
    env: Env,
    /// The faults of the request being served (test builds; zero-sized otherwise).
    faults: std::cell::Cell<Faults>,
}

impl EdgeBackend {
    pub(super) fn new(env: Env) -> Self {
        Self { env, faults: std::cell::Cell::default() }
    }

    /// The faults of the request the owner is about to serve.
    pub(super) fn set_faults(&self, faults: Faults) {
        self.faults.set(faults);
    }

    /// [`index_fetch`], its wait counted as the request's index hop.
    async fn index_call<T: serde::de::DeserializeOwned>(
        &self,
        format: &str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, BackendError> {
        timed(true, index_fetch(&self.env, format, path, body)).await
    }

    /// The isolate's current copy of `format`'s index (`search::isolate_index`), if it has one;
    /// when it has none, or an old one, a copy starts loading in the background.
    async fn isolate_copy(&self, format: &str) -> Option<Rc<IsolateIndex>> {
        if self.faults.get().index_only() {
            return None;
        }
        let budget = isolate_index_budget(&self.env);
        let version = self.dataset_version().await;
        let lookup = COPIES.with(|c| {
            let mut copies = c.borrow_mut();
            copies.set_budget(budget);
            copies.lookup(format, &version, now_ms())
        });
        let (copy, load) = match lookup {
            Lookup::Use(copy) => (Some(copy), false),
            Lookup::UseAndLoad(copy) => (Some(copy), true),
            Lookup::AskAndLoad => (None, true),
            Lookup::Ask => (None, false),
        };
        if load {
            let (env, format) = (self.env.clone(), format.to_owned());
            // Outlives this request's answer (the object stays alive): no question waits for a copy.
            wasm_bindgen_futures::spawn_local(async move {
                let copy = isolate_copy_of(&env, &format, budget).await.and_then(|c| match c.bytes() {
                    held if held > budget => {
                        Err(format!("the copy would hold {held} bytes, over ISOLATE_INDEX_MB"))
                    }
                    _ => Ok(c),
                });
                match &copy {
                    Ok(c) => {
                        tracing::info!(format = %format, rows = c.rows(), bytes = c.bytes(), "in-isolate index copy loaded");
                    }
                    Err(e) => {
                        tracing::warn!(format = %format, error = %e, "no in-isolate index copy; the index object serves");
                    }
                }
                COPIES.with(|c| c.borrow_mut().loaded(&format, &version, now_ms(), copy));
            });
        }
        copy
    }

    /// Searches under the lexical timeout and the fault switch.
    async fn guarded_search<T>(
        &self,
        search: impl std::future::Future<Output = Result<T, BackendError>>,
    ) -> Result<T, BackendError> {
        let search = async {
            self.faults.get().delay().await;
            if self.faults.get().fts_error() {
                return Err(BackendError::Unavailable(Source::LexicalSearch, "injected fault".into()));
            }
            search.await
        };
        with_timeout(Source::LexicalSearch, LEXICAL_TIMEOUT_MS, search).await?
    }

    async fn semantic_inner(
        &self,
        format: &str,
        request: &SearchRequest,
    ) -> Result<Vec<SearchHit>, BackendError> {
        let unavailable = |e: String| BackendError::Unavailable(Source::SemanticSearch, e);
        let (ai, index) =
            super::vectors::bindings(&self.env).ok_or_else(|| unavailable("not bound".into()))?;
        let kv = self.env.kv("STRATEGY_KV").map_err(|e| unavailable(e.to_string()))?;
        // One embedding and one vector query per semantic search (attempted: failed calls bill too).
        WAITS.with(|w| {
            let mut waits = w.get();
            waits.ai_calls += 1;
            waits.vector_queries += 1;
            w.set(waits);
        });
        crate::search::semantic::search(&ai, &index, &KvDocuments(kv), format, request)
            .await
            .map_err(|e| unavailable(e.to_string()))
    }
}

/// POSTs `body` to `path` of one replica of `format`'s index (any replica serves a search,
/// `ingest::replicas`: picking one at random spreads them).
async fn index_fetch<T: serde::de::DeserializeOwned>(
    env: &Env,
    format: &str,
    path: &str,
    body: &impl serde::Serialize,
) -> Result<T, BackendError> {
    let unavailable = |e: worker::Error| BackendError::Unavailable(Source::LexicalSearch, e.to_string());
    let replica = pick_replica(super::index_object::replicas(env), js_sys::Math::random());
    let stub = env
        .durable_object("INDEXES")
        .map_err(unavailable)?
        .id_from_name(&replica_name(format, replica))
        .map_err(unavailable)?
        .get_stub()
        .map_err(unavailable)?;
    let mut init = RequestInit::new();
    let body = serde_json::to_string(body)
        .map_err(|e| BackendError::Unavailable(Source::LexicalSearch, e.to_string()))?;
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init(&format!("https://index{path}"), &init).map_err(unavailable)?;
    let mut resp = stub.fetch_with_request(req).await.map_err(unavailable)?;
    if resp.status_code() != 200 {
        return Err(BackendError::Unavailable(
            Source::LexicalSearch,
            format!("index answered {}", resp.status_code()),
        ));
    }
    let body = super::convert::body_bytes(&mut resp).await.map_err(unavailable)?;
    serde_json::from_slice(&body)
        .map_err(|e| BackendError::Unavailable(Source::LexicalSearch, format!("unreadable answer: {e}")))
}

/// A copy of `format`'s index built from its snapshot, or why there is none.
pub(super) async fn isolate_copy_of(
    env: &Env,
    format: &str,
    max_bytes: usize,
) -> Result<IsolateIndex, String> {
    let ask = super::index_object::SnapshotAsk { max_bytes: max_bytes as u64 };
    let rows: Vec<SnapshotRow> =
        index_fetch(env, format, "/snapshot", &ask).await.map_err(|e| e.to_string())?;
    IsolateIndex::build(rows).map_err(|e| e.to_string())
}

/// One search straight at the index object (the test build's equivalence check).
#[cfg(feature = "faults")]
pub(super) async fn index_search(
    env: &Env,
    format: &str,
    request: &SearchRequest,
) -> Result<Vec<SearchHit>, String> {
    index_fetch(env, format, "/search", request).await.map_err(|e| e.to_string())
}

/// Strategy documents by key, from KV (the semantic path's document reads).
struct KvDocuments(worker::kv::KvStore);

impl crate::search::semantic::DocumentReader for KvDocuments {
    async fn document(&self, key: &str) -> Option<Document> {
        // A vector whose document expired or was deleted is skipped, not an error.
        self.0.get(key).json::<Document>().await.ok().flatten()
    }
}

impl EdgeBackend {
    async fn load_usage(
        &self,
        format: &str,
        month: Option<&str>,
        cutoff: Option<u32>,
    ) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        let fail = |e: worker::Error| BackendError::Unavailable(Source::UsageStatistics, e.to_string());
        let source = RawSource::new(&self.env).map_err(fail)?;
        let Some((entry, body)) = source.stats_matching(format, month, cutoff).await.map_err(fail)? else {
            return Ok(None);
        };
        let parsed = match entry.kind {
            StatsKind::Chaos => parse_chaos(&body),
            StatsKind::Moveset | StatsKind::Usage => parse_moveset_report(&body),
        }
        .map_err(|e| BackendError::Unavailable(Source::UsageStatistics, e.to_string()))?;
        let kind = entry.kind;
        let source_url = Format::parse(format)
            .ok()
            .and_then(|f| f.stats_url(kind, &entry.month, entry.cutoff).ok())
            .unwrap_or_default();
        Ok(Some(Rc::new(FormatUsage {
            report: parsed,
            month: entry.month,
            cutoff: entry.cutoff,
            source_url,
        })))
    }

    async fn load_sets(&self, format: &str) -> Result<Option<Rc<SetsFile>>, BackendError> {
        let fail = |e: worker::Error| BackendError::Unavailable(Source::SmogonSets, e.to_string());
        let source = RawSource::new(&self.env).map_err(fail)?;
        let Some(body) = source.sets(format).await.map_err(fail)? else { return Ok(None) };
        let sets =
            parse_sets(&body).map_err(|e| BackendError::Unavailable(Source::SmogonSets, e.to_string()))?;
        Ok(Some(Rc::new(sets)))
    }
}

fn cached<T>(
    map: &HashMap<String, (String, i64, Option<Rc<T>>)>,
    format: &str,
    version: &str,
    now: i64,
) -> Option<Option<Rc<T>>> {
    map.get(format).filter(|(v, t, _)| v == version && now < *t).map(|(_, _, value)| value.clone())
}

/// The Cache API key of a shared result: a URL that names nothing real.
fn shared_url(key: &str) -> String {
    format!("https://porygon-results.invalid/{}", crate::primitives::digest::sha256_hex(key.as_bytes()))
}

impl StrategyBackend for EdgeBackend {
    async fn dataset_version(&self) -> String {
        if self.faults.get().kv_error() {
            return String::new();
        }
        let (now, ttl) = (now_ms(), version_ttl_ms(&self.env));
        let remembered = VERSION.with(|v| v.borrow().clone());
        if let Some((version, _)) = remembered.filter(|(_, at)| now - at < ttl && now >= *at) {
            return version;
        }
        let version = match self.env.kv("STRATEGY_KV") {
            Ok(kv) => timed(false, kv.get(super::ingest_object::DATASET_VERSION_KEY).text())
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        VERSION.with(|v| *v.borrow_mut() = Some((version.clone(), now)));
        version
    }

    /// Without semantic search, a format whose copy this isolate holds is searched here.
    /// Asking does not start a load: the search that follows does.
    async fn searches_locally(&self, format: &str) -> bool {
        if self.faults.get().index_only() || (self.env.ai("AI").is_ok() && vectorize(&self.env).is_some()) {
            return false;
        }
        let version = self.dataset_version().await;
        COPIES.with(|c| c.borrow().is_current(format, &version, now_ms()))
    }

    async fn shared_get(&self, key: &str) -> Option<String> {
        timed(false, async {
            let mut resp = worker::Cache::default().get(shared_url(key), false).await.ok()??;
            String::from_utf8(super::convert::body_bytes(&mut resp).await.ok()?).ok()
        })
        .await
    }

    /// Stored after the answer is sent (the object outlives its response): a cold question no
    /// longer waits for the Cache API's write.
    async fn shared_put(&self, key: &str, value: &str, ttl_secs: u32) {
        let Ok(resp) = worker::Response::ok(value) else { return };
        let headers = worker::Headers::new();
        let _ = headers.set("Cache-Control", &format!("public, max-age={ttl_secs}"));
        let _ = headers.set("Content-Type", "application/json");
        let url = shared_url(key);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = worker::Cache::default().put(url, resp.with_headers(headers)).await {
                tracing::warn!(error = %e, "shared cache put failed");
            }
        });
    }

    fn damage_calculator(&self) -> Option<&dyn crate::battle::calc::DamageCalculator> {
        Some(&super::calc::JsCalculator)
    }

    async fn usage(&self, format: &str) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        self.usage_at(format, None, None).await
    }

    async fn usage_at(
        &self,
        format: &str,
        month: Option<&str>,
        cutoff: Option<u32>,
    ) -> Result<Option<Rc<FormatUsage>>, BackendError> {
        let key = format!(
            "{format}|{}|{}",
            month.unwrap_or("newest"),
            cutoff.map_or(String::new(), |c| c.to_string())
        );
        let (now, version) = (now_ms(), self.dataset_version().await);
        if let Some(hit) = USAGE.with(|c| cached(&c.borrow(), &key, &version, now)) {
            return Ok(hit);
        }
        let load = async {
            self.faults.get().delay().await;
            timed(false, self.load_usage(format, month, cutoff)).await
        };
        let loaded = with_timeout(Source::UsageStatistics, SEMANTIC_TIMEOUT_MS, load).await??;
        USAGE.with(|c| c.borrow_mut().insert(key, (version, now + PARSED_TTL_MS, loaded.clone())));
        Ok(loaded)
    }

    async fn sets(&self, format: &str) -> Result<Option<Rc<SetsFile>>, BackendError> {
        let (now, version) = (now_ms(), self.dataset_version().await);
        if let Some(hit) = SETS.with(|c| cached(&c.borrow(), format, &version, now)) {
            return Ok(hit);
        }
        let load = timed(false, self.load_sets(format));
        let loaded = with_timeout(Source::SmogonSets, SEMANTIC_TIMEOUT_MS, load).await??;
        SETS.with(|c| {
            c.borrow_mut().insert(format.to_owned(), (version, now + PARSED_TTL_MS, loaded.clone()))
        });
        Ok(loaded)
    }

    async fn lexical(&self, format: &str, request: &SearchRequest) -> Result<Vec<SearchHit>, BackendError> {
        if let Some(hits) = self.isolate_copy(format).await.and_then(|copy| copy.search(request)) {
            return self.guarded_search(async { Ok(hits) }).await;
        }
        self.guarded_search(self.index_call(format, "/search", request)).await
    }

    /// One round trip for all of them: `/search-batch`.
    async fn lexical_many(
        &self,
        format: &str,
        requests: &[SearchRequest],
    ) -> Vec<Result<Vec<SearchHit>, BackendError>> {
        let copied: Option<Vec<Vec<SearchHit>>> = match self.isolate_copy(format).await {
            Some(copy) => requests.iter().map(|r| copy.search(r)).collect(),
            None => None,
        };
        let answered: Result<Vec<Vec<SearchHit>>, BackendError> = match copied {
            Some(lists) => self.guarded_search(async { Ok(lists) }).await,
            None => self.guarded_search(self.index_call(format, "/search-batch", &requests)).await,
        };
        match answered {
            Ok(lists) if lists.len() == requests.len() => lists.into_iter().map(Ok).collect(),
            Ok(lists) => {
                let e = BackendError::Unavailable(
                    Source::LexicalSearch,
                    format!("{} answers to {} searches", lists.len(), requests.len()),
                );
                requests.iter().map(|_| Err(e.clone())).collect()
            }
            Err(e) => requests.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn semantic(
        &self,
        format: &str,
        request: &SearchRequest,
    ) -> Option<Result<Vec<SearchHit>, BackendError>> {
        let injected = self.faults.get();
        if injected.semantic_error() {
            return Some(Err(BackendError::Unavailable(Source::Vectorize, "injected fault".into())));
        }
        if injected.semantic_timeout() {
            let hang = futures::future::pending::<Result<Vec<SearchHit>, BackendError>>();
            return Some(
                with_timeout(Source::SemanticSearch, SEMANTIC_TIMEOUT_MS, hang).await.and_then(|r| r),
            );
        }
        if self.env.ai("AI").is_err() || vectorize(&self.env).is_none() {
            return None;
        }
        Some(
            with_timeout(Source::SemanticSearch, SEMANTIC_TIMEOUT_MS, self.semantic_inner(format, request))
                .await
                .and_then(|r| r),
        )
    }
}

/// Races `fut` against a timer, so a slow dependency degrades the answer instead of hanging it.
async fn with_timeout<T>(
    what: Source,
    ms: u64,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, BackendError> {
    use futures::future::{select, Either};
    let timer = worker::Delay::from(std::time::Duration::from_millis(ms));
    match select(std::pin::pin!(fut), std::pin::pin!(timer)).await {
        Either::Left((value, _)) => Ok(value),
        Either::Right(_) => Err(BackendError::Timeout(what)),
    }
}
