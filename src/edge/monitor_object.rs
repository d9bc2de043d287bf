//! `MonitorObject` (a singleton): the fleet-wide alert check. Every 5 minutes the cron (and
//! `POST /admin/alerts/check`) asks it to query the Analytics Engine SQL API
//! (`observe::fleet::Queries`), judge the figures, and send what fired, repeated or recovered
//! as signed webhooks. The alert state (`observe::fleet::MonitorState`) is persisted (rmp-serde)
//! so cooldowns and recoveries survive eviction and deploys.
//!
//! Configuration: `ANALYTICS_API_TOKEN` (secret: an API token with Account Analytics read),
//! `CLOUDFLARE_ACCOUNT_ID` (var, written by `make provision`), optional `ANALYTICS_SQL_URL`
//! (another SQL endpoint: the tests' fake) and `ANALYTICS_DATASET`; without a token and an
//! endpoint the check is skipped and says so.

use std::cell::Cell;

use futures::future::{join_all, select, Either};
use serde_json::{json, Value};
use worker::{
    durable_object, DurableObject, Env, Fetch, Headers, Method, Request, RequestInit, Response, Result, State,
};

use super::sql_slots::StateSlots;
use super::telemetry;
use crate::observe::fleet::{self, FleetRules, MonitorState, Queries, Snapshot};
use crate::transport::HttpResponse;

/// The fleet check's cron (wrangler.toml [triggers]).
pub(super) const CRON: &str = "*/5 * * * *";
const QUERY_TIMEOUT_MS: u64 = 10_000;
/// Read the answer of a SQL query up to this size (an aggregate is a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// RUNBOOK links when `RUNBOOK_URL` is not set.
const DEFAULT_RUNBOOK: &str = "RUNBOOK.md";

#[durable_object]
pub struct MonitorObject {
    state: State,
    env: Env,
    slots: StateSlots<MonitorState>,
    /// A check awaits the SQL API; a second one meanwhile would judge the same state twice.
    checking: Cell<bool>,
}

#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error("not configured: {0}")]
    Unconfigured(&'static str),
    #[error("SQL API: {0}")]
    Query(String),
    #[error(transparent)]
    Answer(#[from] fleet::FleetError),
}

impl DurableObject for MonitorObject {
    fn new(state: State, env: Env) -> Self {
        super::logging::init();
        let slots = StateSlots::new(state.storage().sql(), "monitor");
        if let Err(e) = slots.migrate() {
            tracing::error!(error = %e, "monitor schema migration failed");
        }
        Self { state, env, slots, checking: Cell::new(false) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        telemetry::enter_object(&self.state, telemetry::sentry_config(&self.env), "MonitorObject", None);
        match (req.method(), req.path().as_str()) {
            (Method::Get, "/state") => {
                json(200, &json!({"state": self.slots.load("state")?.unwrap_or_default()}))
            }
            (Method::Post, "/check") => {
                if self.checking.replace(true) {
                    return json(409, &json!({"error": "a check is running"}));
                }
                let result = self.check().await;
                self.checking.set(false);
                result
            }
            _ => json(404, &json!({"error": "not found"})),
        }
    }
}

impl MonitorObject {
    async fn check(&self) -> Result<Response> {
        let var = |name: &str| self.env.var(name).ok().map(|v| v.to_string());
        let rules = FleetRules::from_vars(var);
        let environment = super::vars::environment(&self.env);
        let now = super::clock::now_ms();
        let mut state = self.slots.load("state")?.unwrap_or_default();
        let (snapshot, notices) = match self.snapshot(&rules, &environment).await {
            Ok(snapshot) => {
                let found = fleet::findings(&rules, &snapshot);
                (Some(snapshot), state.observe(now, &rules, found))
            }
            Err(CheckError::Unconfigured(what)) => {
                tracing::warn!(missing = what, "fleet alert check skipped");
                return json(200, &json!({"skipped": format!("not configured: {what}")}));
            }
            Err(e) => {
                tracing::error!(error = %e, "fleet alert check failed");
                (None, state.check_failed(now, &rules, e.to_string()))
            }
        };
        // Saved before sending: a webhook outage must not turn every check into a new "fired".
        self.slots.save("state", &state)?;
        let runbook =
            var("RUNBOOK_URL").filter(|u| !u.trim().is_empty()).unwrap_or_else(|| DEFAULT_RUNBOOK.into());
        let mut sent = Vec::new();
        for notice in &notices {
            let payload = notice.payload(&environment, &runbook, now);
            tracing::warn!(event = %payload["event"], alert = notice.alert.slug(), detail = %notice.finding.detail, "fleet alert");
            if let Err(e) = telemetry::send_alert(&self.env, &payload).await {
                tracing::error!(error = %e, alert = notice.alert.slug(), "fleet alert webhook failed");
            }
            sent.push(payload);
        }
        json(200, &json!({"snapshot": snapshot, "notices": sent, "state": state}))
    }

    async fn snapshot(
        &self,
        rules: &FleetRules,
        environment: &str,
    ) -> std::result::Result<Snapshot, CheckError> {
        let var =
            |name: &str| self.env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.trim().is_empty());
        let token = self
            .env
            .secret("ANALYTICS_API_TOKEN")
            .ok()
            .map(|s| s.to_string())
            .filter(|s| !s.trim().is_empty())
            .ok_or(CheckError::Unconfigured("ANALYTICS_API_TOKEN"))?;
        let url = match (var("ANALYTICS_SQL_URL"), var("CLOUDFLARE_ACCOUNT_ID")) {
            (Some(url), _) => url,
            (None, Some(account)) if account.bytes().all(|b| b.is_ascii_hexdigit()) => {
                format!("https://api.cloudflare.com/client/v4/accounts/{account}/analytics_engine/sql")
            }
            _ => return Err(CheckError::Unconfigured("CLOUDFLARE_ACCOUNT_ID")),
        };
        let dataset = fleet::dataset_name(environment, var("ANALYTICS_DATASET").as_deref())?;
        let queries = Queries::new(&dataset, rules);
        let answers = join_all(queries.all().map(|sql| query(&url, &token, sql))).await;
        let answers = answers.into_iter().collect::<std::result::Result<Vec<Value>, CheckError>>()?;
        Ok(Snapshot::parse([&answers[0], &answers[1], &answers[2], &answers[3]], rules)?)
    }
}

fn failed(e: worker::Error) -> CheckError {
    CheckError::Query(e.to_string())
}

/// One SQL statement, under the timeout; the token never appears in an error.
async fn query(url: &str, token: &str, sql: &str) -> std::result::Result<Value, CheckError> {
    let headers = Headers::new();
    headers.set("Authorization", &format!("Bearer {token}")).map_err(failed)?;
    headers.set("Content-Type", "text/plain").map_err(failed)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(sql.into()));
    let request = Request::new_with_init(url, &init).map_err(failed)?;
    let call = async move {
        let mut resp = Fetch::Request(request).send().await.map_err(failed)?;
        let status = resp.status_code();
        let body = resp.bytes().await.map_err(failed)?;
        if status != 200 {
            return Err(CheckError::Query(format!("answered {status}")));
        }
        if body.len() > MAX_ANSWER_BYTES {
            return Err(CheckError::Query(format!("answer of {} bytes", body.len())));
        }
        serde_json::from_slice(&body).map_err(|e| CheckError::Query(format!("answer is not JSON: {e}")))
    };
    let timer = worker::Delay::from(std::time::Duration::from_millis(QUERY_TIMEOUT_MS));
    match select(std::pin::pin!(call), std::pin::pin!(timer)).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => Err(CheckError::Query(format!("no answer in {QUERY_TIMEOUT_MS} ms"))),
    }
}

fn json(status: u16, value: &Value) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// `GET /admin/alerts` (the alert state) and `POST /admin/alerts/check` (a check now).
pub(super) async fn admin(req: &Request, env: &Env) -> Result<HttpResponse> {
    let path = match (req.method(), req.path().as_str()) {
        (Method::Get, "/admin/alerts") => "/state",
        (Method::Post, "/admin/alerts/check") => "/check",
        _ => {
            return Ok(HttpResponse::json(
                404,
                &json!({"error": "GET /admin/alerts or POST /admin/alerts/check"}),
            ))
        }
    };
    call(env, path).await
}

async fn call(env: &Env, path: &str) -> Result<HttpResponse> {
    let stub = env.durable_object("MONITOR")?.id_from_name("monitor")?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(if path == "/check" { Method::Post } else { Method::Get });
    let req = Request::new_with_init(&format!("https://monitor{path}"), &init)?;
    super::convert::from_response(stub.fetch_with_request(req).await?).await
}

/// The 5-minute cron.
pub(super) async fn scheduled(env: &Env) {
    match call(env, "/check").await {
        Ok(r) if r.status == 200 => tracing::info!("fleet alert check done"),
        Ok(r) => tracing::warn!(status = r.status, "fleet alert check not run"),
        Err(e) => tracing::error!(error = %e, "fleet alert check failed to start"),
    }
}
