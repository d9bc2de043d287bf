//! Where the pure `observe` records go: a JSON log line, an Analytics Engine point, Sentry
//! envelopes (errors and panics) and the signed alert webhook.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::ingest::alert::{sign, RunReport, SIGNATURE_HEADER};
use crate::observe::error_rate::{ErrorRateAlert, ErrorRateMonitor};
use crate::observe::request::{DataPoint, RequestRecord};
use crate::observe::sentry::ENVELOPE_CONTENT_TYPE;
use crate::observe::sentry::{ErrorReport, OutgoingEnvelope, ReportKind, SentryConfig};

thread_local! {
    /// Per isolate: the error-rate alarm sees this instance's share of the traffic.
    static ERROR_RATE: RefCell<Option<ErrorRateMonitor>> = const { RefCell::new(None) };
    /// What the panic hook needs to report: set at the start of every request. Under
    /// concurrency it names the latest request to enter, which is the best a hook can know.
    static PANIC_SCOPE: RefCell<Option<PanicScope>> = const { RefCell::new(None) };
    static SENTRY: OnceCell<Option<Rc<SentryConfig>>> = const { OnceCell::new() };
}

struct PanicScope {
    /// The ExecutionContext or DurableObjectState: both have `waitUntil`.
    wait_until_target: JsValue,
    sentry: Option<Rc<SentryConfig>>,
    route: String,
    request_id: Option<String>,
}

/// Reporting config from SENTRY_DSN (secret) and SENTRY_SAMPLE_RATE, read once per isolate
/// (bindings do not change while it lives: a new deploy or secret starts new isolates), so the
/// request path does not parse a DSN each time. A malformed DSN is logged and means "off".
pub(super) fn sentry_config(env: &Env) -> Option<Rc<SentryConfig>> {
    SENTRY.with(|cell| {
        cell.get_or_init(|| {
            let dsn = env.secret("SENTRY_DSN").ok().map(|s| s.to_string());
            let rate = env.var("SENTRY_SAMPLE_RATE").ok().map(|v| v.to_string());
            match SentryConfig::from_vars(dsn.as_deref(), &super::vars::environment(env), rate.as_deref())? {
                Ok(config) => Some(Rc::new(config)),
                Err(e) => {
                    tracing::error!(error = %e, "Sentry reporting disabled");
                    None
                }
            }
        })
        .clone()
    })
}

/// Called first thing in every entry point, so a panic can be reported with its context.
pub(super) fn enter(
    wait_until_target: JsValue,
    sentry: Option<Rc<SentryConfig>>,
    route: &str,
    request_id: Option<&str>,
) {
    let scope = PanicScope {
        wait_until_target,
        sentry,
        route: route.to_owned(),
        request_id: request_id.map(str::to_owned),
    };
    PANIC_SCOPE.with(|s| {
        if let Ok(mut slot) = s.try_borrow_mut() {
            *slot = Some(scope);
        }
    });
}

/// `enter` for a Durable Object: a panic there is sent through the object's own `waitUntil`.
pub(super) fn enter_object(
    state: &worker::State,
    sentry: Option<Rc<SentryConfig>>,
    route: &str,
    request_id: Option<&str>,
) {
    let target: &JsValue = state.as_raw().as_ref();
    enter(target.clone(), sentry, route, request_id);
}

/// Chains a hook that sends the panic to Sentry before workers-rs's own hook marks the
/// instance for reinitialisation. Everything it does is synchronous JS (the fetch promise is
/// handed to `waitUntil`), because the wasm instance is gone once the hook returns.
pub(super) fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANIC_SCOPE.with(|s| {
            let Ok(scope) = s.try_borrow() else { return };
            let Some(scope) = scope.as_ref() else { return };
            let Some(config) = &scope.sentry else { return };
            let report = ErrorReport {
                kind: ReportKind::Panic,
                error_type: "panic".into(),
                message: info.to_string(),
                route: scope.route.clone(),
                tool: None,
                request_id: scope.request_id.clone(),
                colo: None,
            };
            let envelope = config.envelope(&report, now_ms(), random_bytes());
            if let Err(e) = post_envelope(&scope.wait_until_target, &envelope) {
                worker::console_error!("could not report the panic to Sentry: {e:?}");
            }
        });
        previous(info);
    }));
}

/// Sends an error report (sampled by SENTRY_SAMPLE_RATE) without delaying the response.
pub(super) fn report_error(wait_until_target: &JsValue, config: Option<&SentryConfig>, report: &ErrorReport) {
    let Some(config) = config else { return };
    if !config.sampled(
        report.kind,
        f64::from(u32::from_le_bytes(random_bytes()[..4].try_into().unwrap_or_default())) / 4_294_967_296.0,
    ) {
        return;
    }
    let envelope = config.envelope(report, now_ms(), random_bytes());
    if let Err(e) = post_envelope(wait_until_target, &envelope) {
        tracing::error!(error = ?e, "could not send the error report to Sentry");
    }
}

/// `fetch(url, {method: "POST", …})` handed to `target.waitUntil`, in plain JS calls.
fn post_envelope(target: &JsValue, envelope: &OutgoingEnvelope) -> Result<(), JsValue> {
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
    let headers = Object::new();
    Reflect::set(&headers, &"Content-Type".into(), &ENVELOPE_CONTENT_TYPE.into())?;
    Reflect::set(&headers, &"X-Sentry-Auth".into(), &envelope.auth.as_str().into())?;
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &"POST".into())?;
    Reflect::set(&init, &"headers".into(), &headers)?;
    Reflect::set(&init, &"body".into(), &Uint8Array::from(envelope.body.as_slice()))?;
    let promise = fetch.call2(&global, &envelope.url.as_str().into(), &init)?;
    let wait_until: Function = Reflect::get(target, &"waitUntil".into())?.dyn_into()?;
    wait_until.call1(target, &promise)?;
    Ok(())
}

/// `/health` or an `/admin/*` route answered 5xx (a dependency down, a failed admin call): a
/// Sentry report naming the route (its first two segments: admin paths carry keys) and what
/// the body said, sampled like every error.
pub(super) fn operator_route_failed(
    wait_until_target: &JsValue,
    sentry: Option<&SentryConfig>,
    path: &str,
    response: &crate::transport::HttpResponse,
    request_id: &str,
) {
    let route: String = path.split('/').take(3).collect::<Vec<_>>().join("/");
    let detail: String = String::from_utf8_lossy(&response.body).chars().take(500).collect();
    let report = ErrorReport {
        kind: ReportKind::Error,
        error_type: if route == "/health" { "HealthCheckFailed" } else { "AdminRouteFailed" }.into(),
        message: format!("{route} answered {}: {detail}", response.status),
        route,
        tool: None,
        request_id: Some(request_id.to_owned()),
        colo: None,
    };
    report_error(wait_until_target, sentry, &report);
}

/// A `/mcp` request is answered: its log line and data point; for a server error (`failure`:
/// its type and detail) a Sentry report; and, past the error-rate threshold, the signed alert.
/// Everything that goes out over the network does so in `waitUntil`, after the response.
pub(super) fn request_finished(
    env: &Env,
    ctx: &worker::Context,
    sentry: Option<&SentryConfig>,
    record: &RequestRecord,
    failure: Option<(&str, String)>,
) {
    if let Some((error_type, message)) = failure {
        let report = ErrorReport {
            kind: ReportKind::Error,
            error_type: error_type.into(),
            message,
            route: "/mcp".into(),
            tool: record.rpc.tool.clone(),
            request_id: Some(record.request_id.clone()),
            colo: Some(record.colo.clone()).filter(|c| !c.is_empty()),
        };
        report_error(ctx.as_ref().as_ref(), sentry, &report);
    }
    if let Some(alert) = log_and_count(env, record) {
        let payload = serde_json::json!({"event": "requests.error_rate", "environment": record.environment, "alert": alert});
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(e) = send_alert(&env, &payload).await {
                tracing::error!(error = %e, "error-rate alert webhook failed");
            }
        });
    }
}

/// The request's log line and data point; an alert when the error rate crossed the threshold
/// in this isolate.
fn log_and_count(env: &Env, record: &RequestRecord) -> Option<ErrorRateAlert> {
    let (request_id, client, method) = (&record.request_id, &record.client, &record.rpc.method);
    let tool = record.rpc.tool.as_deref().unwrap_or("");
    macro_rules! log {
        ($level:ident) => {
            tracing::$level!(
                request_id = %request_id,
                client = %client,
                rpc_method = %method,
                tool,
                protocol = %record.protocol,
                status = record.status,
                latency_ms = record.latency_ms,
                handler_ms = record.handler_ms.unwrap_or(0.0),
                limiter = record.limiter.as_str(),
                cache = %record.cache,
                degraded = %record.degradation,
                colo = %record.colo,
                ai_calls = record.billed.ai_calls,
                vector_queries = record.billed.vector_queries,
                "request"
            )
        };
    }
    let policy = super::vars::request_log(env);
    if record.is_server_error() {
        log!(error);
    } else if !record.degradation.is_empty() {
        log!(warn);
    } else if record.logged_under(policy) {
        log!(info);
    }
    write_point(env, &record.data_point());
    ERROR_RATE.with(|m| {
        let mut m = m.try_borrow_mut().ok()?;
        let monitor = m.get_or_insert_with(|| {
            let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
            ErrorRateMonitor::from_vars(
                var("ERROR_ALERT_RATE").as_deref(),
                var("ERROR_ALERT_MIN_REQUESTS").as_deref(),
            )
        });
        monitor.record(now_ms(), record.is_server_error())
    })
}

/// Every request writes one, so it crosses into JS as one JSON string, parsed there: `worker`'s
/// builder makes a JS call per blob and per double.
fn write_point(env: &Env, point: &DataPoint) {
    let Ok(dataset) = env.analytics_engine("METRICS") else { return };
    let dataset: &worker::worker_sys::AnalyticsEngineDataset = dataset.as_ref().unchecked_ref();
    /// The dataset's `AnalyticsEngineDataPoint`, written straight to JSON (no `Value` tree).
    #[derive(serde::Serialize)]
    struct Event<'p> {
        indexes: [&'p str; 1],
        blobs: &'p [String],
        doubles: Vec<f64>,
    }
    // JSON has no NaN or infinity (serde_json would write null, which the dataset refuses).
    let doubles = point.doubles.iter().map(|d| if d.is_finite() { *d } else { 0.0 }).collect();
    let event = Event { indexes: [&point.index], blobs: &point.blobs, doubles };
    let json = serde_json::to_string(&event).expect("strings and finite numbers always serialise");
    let written = js_sys::JSON::parse(&json).and_then(|event| dataset.write_data_point(event));
    if let Err(e) = written {
        tracing::error!(error = ?e, "analytics engine write failed");
    }
}

/// Writes the run's data point (blobs: kind, run id, trigger; doubles: the counters, columns only
/// ever appended — RUNBOOK.md documents them) and logs it.
pub(super) fn ingestion_finished(env: &Env, report: &RunReport, unknown_species: &[String]) {
    tracing::info!(
        run = %report.run_id,
        trigger = %report.trigger,
        pokemon = report.pokemon_processed,
        written = report.documents_written,
        deleted = report.documents_deleted,
        unchanged = report.documents_unchanged,
        refreshed = report.documents_refreshed,
        reembedded = report.documents_reembedded,
        embeddings = report.embeddings_generated,
        errors = report.errors,
        refusals = report.refusals.len(),
        notes = %report.notes.join("; "),
        unknown_species = unknown_species.len(),
        duration_ms = report.duration_ms,
        "ingestion finished"
    );
    write_point(
        env,
        &DataPoint {
            index: "ingestion".into(),
            blobs: vec!["ingestion".to_owned(), report.run_id.clone(), report.trigger.clone()],
            doubles: vec![
                f64::from(report.pokemon_processed),
                f64::from(report.documents_written),
                f64::from(report.documents_deleted),
                f64::from(report.documents_unchanged),
                f64::from(report.embeddings_generated),
                f64::from(report.errors),
                report.duration_ms as f64,
                f64::from(report.documents_refreshed),
                f64::from(report.documents_reembedded),
            ],
        },
    );
}

/// A backup, restore or verify job is over: its data point (index1 `backup`; blob1 `backup`,
/// blob2 backup id, blob3 kind, blob4 status; double1 1 if it failed, double2 duration ms,
/// double3 steps). The fleet check (`observe::fleet`) reads the `backup` kind's.
pub(super) fn backup_finished(
    env: &Env,
    kind: &str,
    backup_id: &str,
    failed: bool,
    duration_ms: i64,
    steps: u32,
) {
    write_point(
        env,
        &DataPoint {
            index: "backup".into(),
            blobs: vec![
                "backup".to_owned(),
                backup_id.to_owned(),
                kind.to_owned(),
                if failed { "failed" } else { "finished" }.to_owned(),
            ],
            doubles: vec![f64::from(u8::from(failed)), duration_ms as f64, f64::from(steps)],
        },
    );
}

/// POSTs `payload` to ALERT_WEBHOOK, signed with ALERT_WEBHOOK_SECRET.
pub(super) async fn send_alert(env: &Env, payload: &serde_json::Value) -> worker::Result<()> {
    let (Ok(url), Ok(secret)) = (env.secret("ALERT_WEBHOOK"), env.secret("ALERT_WEBHOOK_SECRET")) else {
        tracing::warn!(event = %payload["event"], "alert not sent: no ALERT_WEBHOOK/ALERT_WEBHOOK_SECRET configured");
        return Ok(());
    };
    let body = serde_json::to_vec(payload)?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set(SIGNATURE_HEADER, &sign(secret.to_string().as_bytes(), &body))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    let resp = Fetch::Request(Request::new_with_init(&url.to_string(), &init)?).send().await?;
    if resp.status_code() >= 300 {
        return Err(worker::Error::RustError(format!("webhook answered {}", resp.status_code())));
    }
    Ok(())
}

use super::clock::now_ms;

pub(super) fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    // crypto.getRandomValues cannot fail on Workers; zeros would still be a usable id.
    let _ = getrandom::fill(&mut bytes);
    bytes
}

/// 16 hex digits: Cloudflare's ray id when there is one, else random.
pub(super) fn request_id(ray: Option<String>) -> String {
    ray.and_then(|r| r.split('-').next().map(str::to_owned))
        .filter(|r| !r.is_empty() && r.len() <= 32 && r.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| random_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect())
}
