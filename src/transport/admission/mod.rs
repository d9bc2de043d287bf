//! Admission, decided: the router's side (which limits a request asks, in order; the deny cache
//! consulted before each and filled from the objects' refusals; the `RateLimit-*` headers of the
//! last object that admitted, carried onto the answer) and the client object's side
//! ([`object`]: decide → 429 → annotate over an `AdmissionStore`).
//!
//! The I/O meets this code at two traits: [`LimitObjects`] (the router's call to a limit's
//! object) and [`DenyMemory`] (where the isolate keeps its deny cache). `edge/router.rs` and
//! `edge/client_object.rs` implement them and convert; every decision is here, tested natively.

pub(crate) mod object;

use std::cell::RefCell;

use rmcp::model::ErrorData;

use super::http::{HttpRequest, HttpResponse};
use super::internal::{BLOCKED_UNTIL_HEADER, ERROR_REPORT_HEADER};
use super::ratelimit::{self, POLICY_HEADER, STATE_HEADER};
use crate::policy::deny_cache::{Denial, DenyCache};
use crate::policy::limiter::Policy;
use crate::policy::quotas::{Limit, Plan, Role};

/// Where an isolate remembers the keys its objects said are full.
pub(crate) trait DenyMemory {
    /// The denial in force for `key` at `now_ms`, if any.
    fn check(&self, key: &str, now_ms: i64) -> Option<Denial>;
    fn record(&self, key: &str, denial: Denial, now_ms: i64);
}

impl DenyMemory for RefCell<DenyCache> {
    fn check(&self, key: &str, now_ms: i64) -> Option<Denial> {
        self.borrow_mut().check(key, now_ms)
    }

    fn record(&self, key: &str, denial: Denial, now_ms: i64) {
        self.borrow_mut().record(key, denial, now_ms);
    }
}

/// The router's limit-only call: ask `limit`'s object to count `units` on behalf of `http`.
#[allow(async_fn_in_trait)] // Workers are single-threaded: no Send bound wanted.
pub(crate) trait LimitObjects {
    type Error;
    async fn count(&self, limit: &Limit, units: u32, http: &HttpRequest)
        -> Result<HttpResponse, Self::Error>;
}

/// What the limiter did with a request, for its record (`observe::request::LimiterDecision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Never reached the limiter (refused earlier).
    None,
    Admitted,
    /// Rejected by an object.
    Rejected,
    /// Rejected by the deny cache, without asking the object.
    RejectedCached,
}

/// Object → router, with a 429 that blocks the key for everyone: until when, exactly, and the
/// quota that blocks (the one its `RateLimit` header names). Travels in
/// [`BLOCKED_UNTIL_HEADER`] as `<epoch ms>;<quota>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blocked {
    pub until_ms: i64,
    pub quota: String,
}

impl Blocked {
    pub(crate) fn header(&self) -> String {
        format!("{};{}", self.until_ms, self.quota)
    }

    pub(crate) fn parse(value: &str) -> Option<Self> {
        let (until, quota) = value.split_once(';')?;
        Some(Self { until_ms: until.parse().ok()?, quota: quota.to_owned() })
    }

    /// As the deny cache holds it: the quota named as `policy` names it ("minute" when the
    /// object named none of `policy`'s quotas).
    fn denial(&self, policy: &Policy) -> Denial {
        let quota = policy.quotas.iter().find(|q| q.name == self.quota).map_or("minute", |q| q.name);
        Denial { until_ms: self.until_ms, policy: policy.clone(), quota }
    }
}

/// The `RateLimit-Policy` and `RateLimit` values of the last object that admitted a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Standing {
    pub policy: Option<String>,
    pub state: Option<String>,
}

impl Standing {
    fn of(resp: &HttpResponse) -> Self {
        Self {
            policy: resp.headers.get(POLICY_HEADER).map(str::to_owned),
            state: resp.headers.get(STATE_HEADER).map(str::to_owned),
        }
    }

    /// Puts them on `resp`, unless an object already said where the client stands there.
    pub(crate) fn fill(self, resp: &mut HttpResponse) {
        if resp.headers.get(STATE_HEADER).is_some() {
            return;
        }
        self.policy.into_iter().for_each(|p| resp.headers.insert(POLICY_HEADER, p));
        self.state.into_iter().for_each(|s| resp.headers.insert(STATE_HEADER, s));
    }
}

/// The outcome of asking limits to admit a request.
#[derive(Debug)]
pub(crate) enum Admission {
    /// All admitted; where the last object said the client stands, if any was asked.
    Admitted(Option<Standing>),
    /// Refused: the response to pass on.
    Denied(HttpResponse),
}

/// A denial the deny cache holds: answered as the object would, without asking it.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    denial: Denial,
    now_ms: i64,
}

impl Held {
    /// The 429, equal in form to the object's own, echoing `body`'s JSON-RPC id.
    pub(crate) fn answer(&self, body: &[u8]) -> HttpResponse {
        let d = &self.denial;
        let secs = u32::try_from((d.until_ms - self.now_ms + 999) / 1000).unwrap_or(u32::MAX);
        ratelimit::too_many_requests(body, &d.policy, &format!("\"{}\";r=0;t={secs}", d.quota), secs)
    }
}

/// One request's limiting, at one instant: every limit must admit, in order; the first refusal
/// ends it.
pub(crate) struct Limiter<'d, D> {
    denials: &'d D,
    now_ms: i64,
    pub outcome: Outcome,
    /// The role of the limit that refused the request, if one did (a shared pool's refusal is
    /// answered with the sign-in challenge: `transport::sign_in`).
    pub refused: Option<Role>,
}

impl<'d, D: DenyMemory> Limiter<'d, D> {
    pub(crate) fn new(denials: &'d D, now_ms: i64) -> Self {
        Self { denials, now_ms, outcome: Outcome::None, refused: None }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The deny cache's verdict for the first of `limits` it holds as full.
    pub(crate) fn held(&mut self, limits: &[Limit]) -> Option<Held> {
        let (role, denial) =
            limits.iter().find_map(|l| Some((l.role, self.denials.check(&l.deny_key(), self.now_ms)?)))?;
        self.outcome = Outcome::RejectedCached;
        self.refused = Some(role);
        Some(Held { denial, now_ms: self.now_ms })
    }

    /// Asks each limit's object to count `units` (limit-only calls), in order; the first refusal
    /// ends it. The deny cache answers for limits known to be full.
    pub(crate) async fn admit<O: LimitObjects>(
        &mut self,
        objects: &O,
        limits: &[Limit],
        units: u32,
        http: &HttpRequest,
    ) -> Result<Admission, O::Error> {
        let mut standing = None;
        for limit in limits {
            if let Some(held) = self.held(std::slice::from_ref(limit)) {
                return Ok(Admission::Denied(held.answer(&http.body)));
            }
            let resp = objects.count(limit, units, http).await?;
            match self.verdict(resp, limit) {
                Ok(resp) => standing = Some(Standing::of(&resp)),
                Err(refused) => return Ok(Admission::Denied(refused)),
            }
        }
        Ok(Admission::Admitted(standing))
    }

    /// What an object said about a limit it was asked to count: its response when admitted,
    /// else the refusal to pass on — its 429 (remembered in the deny cache when it blocks the
    /// key), or a 503 when the object refused to count the limit at all (a role it does not
    /// hold: a bug, reported as one).
    pub(crate) fn verdict(
        &mut self,
        resp: HttpResponse,
        limit: &Limit,
    ) -> Result<HttpResponse, HttpResponse> {
        match resp.status {
            429 => {
                self.outcome = Outcome::Rejected;
                self.refused = Some(limit.role);
                Err(self.remember(resp, limit))
            }
            409 => {
                let detail = resp.headers.get(ERROR_REPORT_HEADER).unwrap_or("refused limit").to_owned();
                Err(HttpResponse::rpc_error(
                    503,
                    None,
                    &ErrorData::internal_error("Temporarily unavailable; retry shortly", None),
                )
                .with_header("Retry-After", "1")
                .with_header(ERROR_REPORT_HEADER, detail))
            }
            _ => {
                self.outcome = Outcome::Admitted;
                Ok(resp)
            }
        }
    }

    /// Counts a request that is refused before it is served against `limits` (the caller's
    /// own), then answers with `refusal` — or with the 429 when the caller is over quota.
    pub(crate) async fn charge_refusal<O: LimitObjects>(
        &mut self,
        objects: &O,
        limits: &[Limit],
        mut refusal: HttpResponse,
        http: &HttpRequest,
    ) -> Result<HttpResponse, O::Error> {
        match self.admit(objects, limits, 1, http).await? {
            Admission::Denied(resp) => Ok(resp),
            Admission::Admitted(standing) => {
                standing.unwrap_or_default().fill(&mut refusal);
                Ok(refusal)
            }
        }
    }

    /// Caches an object's 429 for as long as the object says the key is full, and passes it on
    /// without the internal note.
    fn remember(&self, mut resp: HttpResponse, limit: &Limit) -> HttpResponse {
        if let Some(blocked) = resp.headers.get(BLOCKED_UNTIL_HEADER).and_then(Blocked::parse) {
            self.denials.record(&limit.deny_key(), blocked.denial(&limit.policy), self.now_ms);
        }
        resp.headers.remove(BLOCKED_UNTIL_HEADER);
        resp
    }
}

/// A plan's limits as the router asks them: the last one, when the serving object holds it, is
/// decided by that object inline with the request (one round trip for the common case); the
/// others by limit-only calls first.
pub(crate) fn split_inline(plan: &Plan) -> (Option<&Limit>, &[Limit]) {
    match plan.limits.split_last() {
        Some((last, rest)) if last.owner == plan.serve_owner => (Some(last), rest),
        _ => (None, plan.limits.as_slice()),
    }
}

#[cfg(test)]
mod tests;
