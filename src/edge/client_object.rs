//! The client Durable Object: one per client key, holding that client's MCP sessions and its
//! exact rate-limit log.
//!
//! Every request runs the pure Streamable HTTP machine against this object's SQLite-backed
//! session store. Storage calls are synchronous, so a request's load-modify-save of its session,
//! and its limiter decide-and-record, cannot interleave with another request's.

use std::cell::Cell;

use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::client_schema::ClientSchema;
use super::clock::now_ms;
use super::convert;
use super::faults::Faults;
use super::object_call::LIMIT_PATH;
use super::sql_admissions::SqlAdmissions;
use super::sql_sessions::SqlSessions;
use super::strategy_backend::EdgeBackend;
use super::telemetry;
use crate::mcp::session::{CachedSessions, SessionKeys, StoreError, DEFAULT_IDLE_TTL_MS};
use crate::mcp::Dispatcher;
use crate::policy::admissions::AdmissionStore;
use crate::policy::limiter::MAX_WINDOW_SECS;
use crate::tools::Porygon;
use crate::transport::admission::object::{self as admission, storage_failed, temporarily_unavailable};
use crate::transport::gate::MAX_BODY_BYTES;
use crate::transport::internal::{
    FAULT_HEADER, HANDLER_MS_HEADER, HOPS_HEADER, OWNER_HEADER, REQUEST_ID_HEADER,
};
use crate::transport::object_frame;
use crate::transport::streamable::Streamable;
use crate::transport::{HttpRequest, HttpResponse};

const HORIZON_MS: i64 = MAX_WINDOW_SECS as i64 * 1000;

#[durable_object]
pub struct ClientObject {
    state: State,
    /// Write-through: this object is its storage's only writer, so a request on a known session
    /// reads no row.
    sessions: CachedSessions<SqlSessions>,
    admissions: SqlAdmissions,
    /// Which tables exist (shared by the two stores above).
    schema: std::rc::Rc<ClientSchema>,
    dispatcher: Dispatcher<Porygon<EdgeBackend>>,
    idle_ttl_ms: i64,
    /// Signs the session ids this object issues (`None`: not configured, no sessions).
    session_keys: Option<SessionKeys>,
    sentry: Option<std::rc::Rc<crate::observe::sentry::SentryConfig>>,
    environment: String,
    /// Whether this instance knows an alarm is pending (saves a storage read per request).
    alarm_armed: Cell<bool>,
}

impl DurableObject for ClientObject {
    fn new(state: State, env: Env) -> Self {
        super::logging::init();
        // Tables are created by the first write (`client_schema`), not here.
        let schema = std::rc::Rc::new(ClientSchema::new(state.storage().sql()));
        let sessions = CachedSessions::new(SqlSessions::new(schema.clone()));
        let admissions = SqlAdmissions::new(schema.clone());
        let idle_ttl_ms = env
            .var("SESSION_IDLE_TTL_SECS")
            .ok()
            .and_then(|v| v.to_string().parse::<i64>().ok())
            .filter(|s| *s > 0)
            .map_or(DEFAULT_IDLE_TTL_MS, |s| s * 1000);
        let sentry = telemetry::sentry_config(&env);
        let session_keys = super::secrets::session_keys(&env);
        Self {
            session_keys,
            sentry,
            environment: super::vars::environment(&env),
            state,
            sessions,
            admissions,
            schema,
            dispatcher: Dispatcher::new(Porygon::with_backend(EdgeBackend::new(env.clone()))),
            idle_ttl_ms,
            alarm_armed: Cell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        #[cfg(feature = "bench")]
        if path == "/bench/storage" {
            let sql = self.state.storage().sql();
            let count = |q: &str| -> Result<serde_json::Value> {
                let rows: Vec<serde_json::Value> = sql.exec(q, None)?.to_array()?;
                Ok(rows.into_iter().next().unwrap_or_default())
            };
            return Response::from_json(&serde_json::json!({
                "databaseSize": sql.database_size(),
                "admissions": count("SELECT COUNT(*) AS n FROM admission_log")?,
                "sessions": count("SELECT COUNT(*) AS n FROM sessions")?,
            }));
        }
        if path == "/health" {
            // Storage answers: the object is alive and its SQLite usable.
            return match crate::mcp::session::SessionStore::load(self.sessions.store(), "health-probe") {
                Ok(_) => Response::ok("ok"),
                Err(e) => Response::error(e.to_string(), 503),
            };
        }
        // MCP requests and admissions arrive through `serve` (below), not by HTTP.
        Response::error("not found", 404)
    }

    /// Housekeeping: expires idle sessions (only those past their own deadline) and admissions
    /// older than the longest window, then re-arms for whatever remains.
    async fn alarm(&self) -> Result<Response> {
        self.alarm_armed.set(false);
        let now = now_ms();
        // The sweep deletes rows behind the cache, which forgets everything either way.
        let swept = self.sessions.store().sweep(now);
        self.sessions.forget_all();
        let next_session = swept.unwrap_or_else(|e| {
            tracing::error!(error = %e, "session sweep failed");
            None
        });
        let next_admission = self.admissions.expire(now, HORIZON_MS).unwrap_or_else(|e| {
            tracing::error!(error = %e, "admission expiry failed");
            None
        });
        let next = [next_session, next_admission.map(|t| t + HORIZON_MS)].into_iter().flatten().min();
        if let Some(at) = next {
            self.state.storage().set_alarm(convert::alarm_at(at.max(now + 1000))).await?;
            self.alarm_armed.set(true);
        }
        Response::empty()
    }
}

/// The router's hop: one frame in, one frame out (`transport::object_frame`), called as the
/// object's RPC method `serve` (src/objects.mjs declares the class RPC needs).
#[wasm_bindgen::prelude::wasm_bindgen]
impl ClientObject {
    pub async fn serve(&self, frame: js_sys::Uint8Array) -> std::result::Result<js_sys::Uint8Array, JsValue> {
        let (path, http) = object_frame::decode_request(frame.to_vec())
            .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
        let answer = if http.body.len() > MAX_BODY_BYTES {
            HttpResponse::empty(413)
        } else {
            self.answer(&path, http).await?
        };
        Ok(js_sys::Uint8Array::from(object_frame::encode_response(&answer).as_slice()))
    }
}

impl ClientObject {
    /// A request to this object: an MCP message (`/mcp`), or an admission only (`LIMIT_PATH`).
    async fn answer(&self, path: &str, http: HttpRequest) -> Result<HttpResponse> {
        #[cfg(feature = "faults")]
        if path == super::faults::OBJECT_STATE_PATH && self.environment == "local" {
            return Ok(super::faults::object_state(self.sessions.store(), &self.admissions));
        }
        let headers = &http.headers;
        telemetry::enter_object(
            &self.state,
            self.sentry.clone(),
            "ClientObject",
            headers.get(REQUEST_ID_HEADER),
        );
        let faults = Faults::from_header(&self.environment, headers.get(FAULT_HEADER));
        self.dispatcher.handler().backend().set_faults(faults);
        if faults.panic_object() {
            panic!("injected fault: client object panic");
        }
        let limit_only = path == LIMIT_PATH;
        let owner = headers.get(OWNER_HEADER).unwrap_or_default().to_owned();
        let asked = match admission::asked(headers) {
            Ok(asked) => asked,
            Err(refused) => return Ok(refused),
        };

        // Decide and record before anything else, with no await in between.
        let now = now_ms();
        if faults.storage_error() {
            return Ok(storage_failed(&StoreError::Unavailable("injected fault: storage error".into())));
        }
        let counted = match admission::count(&self.admissions, asked.as_ref(), now, &http.body) {
            Ok(counted) => counted,
            Err(answer) => return Ok(answer),
        };

        let mut response = if limit_only {
            HttpResponse::empty(204)
        } else if let Err(e) = super::dex_table::ensure() {
            tracing::error!(error = %e, "Pokédex table unavailable");
            // ASCII: the detail travels in an internal header.
            temporarily_unavailable(format!("Pokedex table: {e}"))
        } else {
            let machine = Streamable {
                dispatcher: &self.dispatcher,
                store: &self.sessions,
                owner: &owner,
                session_keys: self.session_keys.as_ref(),
                now_ms: now,
                idle_ttl_ms: self.idle_ttl_ms,
            };
            super::strategy_backend::take_waits();
            let answered = machine.handle(&http).await;
            let waits = super::strategy_backend::take_waits();
            // Workers clocks advance across I/O, which is what a query spends its time on.
            answered.with_header(HANDLER_MS_HEADER, (now_ms() - now).to_string()).with_header(
                HOPS_HEADER,
                format!(
                    "{},{},{},{}",
                    waits.index_ms, waits.storage_ms, waits.ai_calls, waits.vector_queries
                ),
            )
        };
        counted.annotate(&mut response);
        // Anything stored (an admission, a session) is cleaned up by the alarm eventually.
        if counted.stored() || response.headers.get(crate::transport::streamable::SESSION_HEADER).is_some() {
            self.ensure_alarm(now).await?;
        }
        Ok(response)
    }

    async fn ensure_alarm(&self, now: i64) -> Result<()> {
        if self.alarm_armed.get() {
            return Ok(());
        }
        let storage = self.state.storage();
        // An object whose tables this instance created never stored anything before, so never
        // set an alarm: no need to ask (a new client's first request).
        if self.schema.created_here() || storage.get_alarm().await?.is_none() {
            storage.set_alarm(convert::alarm_at(now + HORIZON_MS)).await?;
        }
        self.alarm_armed.set(true);
        Ok(())
    }
}
