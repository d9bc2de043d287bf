//! Fault injection for local test runs: `X-Porygon-Fault: fts-error,slow=300,…` on a request
//! makes this instance misbehave in the named ways, so tests can watch the documented
//! degradation, bounded latency, /health and error reporting happen for real.
//!
//! It cannot be switched on in production: the code exists only in builds with the `faults`
//! cargo feature (`make build-test`; `make build` and the deploy workflows never enable it), and
//! even there only when `ENVIRONMENT` is "local". Without the feature every check below is a
//! constant `false` and the header is ignored like any other unknown header.
//!
//! Faults named on a request travel with it as a value: the router passes them to what it
//! calls, the client object hands them to its backend (`EdgeBackend::set_faults`) for the
//! request it is serving, so a test must not mix different faults concurrently on one client.
//!
//! Ingestion runs in alarms, not requests: its faults (`IngestFaults`) travel in the run's
//! `StartRequest` instead, under the same two conditions.

use serde::{Deserialize, Serialize};

/// The faults a request asked for. Without the `faults` feature this is a zero-sized type whose
/// every question answers a constant "no": the release build holds no fault code to reach, by
/// construction rather than by a grep of the wasm.
#[cfg(feature = "faults")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Faults {
    panic: bool,
    panic_object: bool,
    storage_error: bool,
    kv_error: bool,
    fts_error: bool,
    semantic_error: bool,
    semantic_timeout: bool,
    index_only: bool,
    slow_ms: u32,
}

#[cfg(not(feature = "faults"))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Faults;

/// One accessor per fault: the field with the feature, `false` without.
macro_rules! questions {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        impl Faults {
            $(
                $(#[$doc])*
                #[cfg(feature = "faults")]
                pub(crate) fn $name(self) -> bool {
                    self.$name
                }
                $(#[$doc])*
                #[cfg(not(feature = "faults"))]
                pub(crate) const fn $name(self) -> bool {
                    false
                }
            )*
        }
    };
}

questions! {
    /// Panic in the router.
    panic,
    /// Panic in the client object.
    panic_object,
    /// The client object's storage fails (its limiter and sessions answer 503).
    storage_error,
    /// KV reads fail (dataset version, documents, /health's KV check).
    kv_error,
    /// Lexical search (the FTS5 index objects) fails.
    fts_error,
    /// Semantic search (Workers AI + Vectorize) fails as if bound and down.
    semantic_error,
    /// Semantic search hangs past its timeout.
    semantic_timeout,
    /// Not a fault: lexical searches skip the isolate's index copies and go to the index objects
    /// (tests that count the objects' searches).
    index_only,
}

impl Faults {
    /// Every backend call first waits this long (timeouts still apply).
    #[cfg(feature = "faults")]
    pub(super) fn slow_ms(self) -> u32 {
        self.slow_ms
    }

    #[cfg(not(feature = "faults"))]
    pub(super) const fn slow_ms(self) -> u32 {
        0
    }

    /// Waits the injected slowness, if any.
    pub(super) async fn delay(self) {
        let ms = self.slow_ms();
        if ms > 0 {
            worker::Delay::from(std::time::Duration::from_millis(u64::from(ms))).await;
        }
    }

    /// Whether no fault is asked for.
    #[cfg(feature = "faults")]
    pub(super) fn is_clear(self) -> bool {
        self == Self::default()
    }

    #[cfg(not(feature = "faults"))]
    pub(super) const fn is_clear(self) -> bool {
        true
    }

    /// The faults a request asks for; none unless `environment` is "local".
    #[cfg(feature = "faults")]
    pub(super) fn from_header(environment: &str, value: Option<&str>) -> Self {
        let Some(value) = value.filter(|_| environment == "local") else { return Self::default() };
        let mut faults = Self::default();
        for name in value.split(',').map(str::trim) {
            match name {
                "panic" => faults.panic = true,
                "panic-object" => faults.panic_object = true,
                "storage-error" => faults.storage_error = true,
                "kv-error" => faults.kv_error = true,
                "fts-error" => faults.fts_error = true,
                "semantic-error" => faults.semantic_error = true,
                "semantic-timeout" => faults.semantic_timeout = true,
                "index-only" => faults.index_only = true,
                other => {
                    if let Some(ms) = other.strip_prefix("slow=").and_then(|ms| ms.parse::<u32>().ok()) {
                        faults.slow_ms = ms.min(30_000);
                    }
                }
            }
        }
        faults
    }

    #[cfg(not(feature = "faults"))]
    pub(super) fn from_header(_environment: &str, _value: Option<&str>) -> Self {
        Self
    }
}

/// What an ingestion run pretends, for local tests of paths that need time or the cloud.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IngestFaults {
    /// Refresh KV bodies older than this instead of `ingest::diff::KV_REFRESH_AFTER_MS` (0: every
    /// body written before the run), so a test need not wait 60 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_after_ms: Option<i64>,
    /// Semantic search as if bound, through the contract fakes of `ingest::vectors`: working
    /// (`up`) or failing (`down`). Vectors go nowhere; what the run records about them is real.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic: Option<FakeSemantic>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum FakeSemantic {
    Up,
    Down,
}

impl IngestFaults {
    /// The faults a run asked for; none unless built with `faults` and `environment` is "local".
    pub(super) fn effective(requested: Option<Self>, environment: &str) -> Self {
        match requested {
            Some(f) if cfg!(feature = "faults") && environment == "local" => f,
            _ => Self::default(),
        }
    }
}

/// Test builds only: `GET /__test/client-state` (router, `ENVIRONMENT=local`) reports what the
/// client object of the caller's `CF-Connecting-IP` — or of `?owner=<32 hex>` — holds, so tests
/// can check that hostile requests stored nothing.
#[cfg(feature = "faults")]
pub(super) const CLIENT_STATE_ROUTE: &str = "/__test/client-state";
/// Router → object path of the same probe.
#[cfg(feature = "faults")]
pub(super) const OBJECT_STATE_PATH: &str = "/__test/state";

#[cfg(feature = "faults")]
pub(super) async fn client_state(req: &worker::Request, env: &worker::Env) -> crate::transport::HttpResponse {
    use crate::policy::quotas;
    use crate::transport::{HttpRequest, HttpResponse, Method};

    let owner = match req
        .url()
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "owner").map(|(_, v)| v.into_owned()))
    {
        Some(owner) if owner.len() == 32 && owner.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) => {
            owner
        }
        Some(_) => {
            return HttpResponse::json(400, &serde_json::json!({"error": "owner must be 32 lowercase hex"}))
        }
        None => {
            let headers = super::convert::headers(req);
            let cfg = super::vars::quota_config(env);
            let identity = quotas::anonymous_identity(headers.get("CF-Connecting-IP"), &cfg);
            quotas::plan(&identity, None, false, &cfg, String::new).serve_owner
        }
    };
    let probe = HttpRequest { method: Method::Get, headers: Default::default(), body: Vec::new() };
    match super::object_call::call_object(env, &owner, OBJECT_STATE_PATH, None, &probe).await {
        Ok(resp) => match resp.body_json() {
            Some(mut state) => {
                state["owner"] = owner.into();
                HttpResponse::json(resp.status, &state)
            }
            None => HttpResponse::json(503, &serde_json::json!({"error": "object answered without JSON"})),
        },
        Err(e) => HttpResponse::json(503, &serde_json::json!({"error": e.to_string()})),
    }
}

/// Test builds only: `POST /__test/charge?owner=<32 hex>&role=<role>` asks that object to count
/// one admission under `role` with that role's policy, exactly as the router would — the
/// only way to show that an object refuses a limit of a role it does not hold (the router never
/// sends one: every object it charges comes from a verified id or the caller's own key).
#[cfg(feature = "faults")]
pub(super) const CHARGE_ROUTE: &str = "/__test/charge";

#[cfg(feature = "faults")]
pub(super) async fn charge(req: &worker::Request, env: &worker::Env) -> crate::transport::HttpResponse {
    use crate::policy::quotas::{Limit, Role};
    use crate::transport::{HttpRequest, HttpResponse, Method};

    let query: std::collections::HashMap<String, String> =
        req.url().map(|u| u.query_pairs().into_owned().collect()).unwrap_or_default();
    let owner = query
        .get("owner")
        .filter(|o| o.len() == 32 && o.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    let (Some(owner), Some(role)) = (owner, query.get("role").and_then(|r| Role::parse(r))) else {
        return HttpResponse::json(400, &serde_json::json!({"error": "owner (32 hex) and role required"}));
    };
    let cfg = super::vars::quota_config(env);
    let limit = Limit { owner: owner.clone(), role, policy: cfg.policy_for(role).clone() };
    let probe = HttpRequest { method: Method::Post, headers: Default::default(), body: Vec::new() };
    match super::object_call::call_object(
        env,
        owner,
        super::object_call::LIMIT_PATH,
        Some((&limit, 1)),
        &probe,
    )
    .await
    {
        Ok(resp) => HttpResponse::json(200, &serde_json::json!({"objectStatus": resp.status})),
        Err(e) => HttpResponse::json(503, &serde_json::json!({"error": e.to_string()})),
    }
}

/// The object's side of [`client_state`]: reads only, so probing an object creates nothing.
#[cfg(feature = "faults")]
pub(super) fn object_state(
    sessions: &super::sql_sessions::SqlSessions,
    admissions: &super::sql_admissions::SqlAdmissions,
) -> crate::transport::HttpResponse {
    use crate::transport::HttpResponse;
    let state = (|| {
        let (count, largest) = sessions.census()?;
        Ok::<_, crate::mcp::session::StoreError>(serde_json::json!({
            "tables": u8::from(sessions.exists()?) + u8::from(admissions.exists()?),
            "sessions": count,
            "largestSessionBytes": largest,
            "admissions": admissions.count()?,
            "role": crate::policy::admissions::AdmissionStore::role(admissions)?.map(crate::policy::quotas::Role::as_str),
        }))
    })();
    match state {
        Ok(state) => HttpResponse::json(200, &state),
        Err(e) => HttpResponse::json(503, &serde_json::json!({"error": e.to_string()})),
    }
}
