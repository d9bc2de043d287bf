use std::cell::RefCell;
use std::collections::HashMap;

use futures::executor::block_on;

use super::object::{self, Asked, Counted};
use super::*;
use crate::mcp::session::StoreError;
use crate::policy::admissions::MemoryAdmissions;
use crate::policy::quotas::{encode_policy, Role};
use crate::transport::internal::{LIMIT_HEADER, LIMIT_ROLE_HEADER, LIMIT_UNITS_HEADER};
use crate::transport::{Headers, Method};

/// Client objects as the router sees them: each owner's log in memory, counted by the objects'
/// own code (`object::count`), and every call recorded.
#[derive(Default)]
struct Objects {
    logs: RefCell<HashMap<String, MemoryAdmissions>>,
    calls: RefCell<Vec<String>>,
    now_ms: i64,
    down: bool,
}

impl LimitObjects for Objects {
    type Error = &'static str;

    async fn count(
        &self,
        limit: &Limit,
        units: u32,
        http: &HttpRequest,
    ) -> Result<HttpResponse, &'static str> {
        if self.down {
            return Err("unreachable");
        }
        self.calls.borrow_mut().push(limit.owner.clone());
        let mut logs = self.logs.borrow_mut();
        let log = logs.entry(limit.owner.clone()).or_default();
        let asked = Asked { policy: limit.policy.clone(), role: limit.role, units };
        Ok(match object::count(log, Some(&asked), self.now_ms, &http.body) {
            Ok(counted) => {
                let mut resp = HttpResponse::empty(204);
                counted.annotate(&mut resp);
                resp
            }
            Err(refused) => refused,
        })
    }
}

fn limit(owner: &str, role: Role, per_minute: u32) -> Limit {
    Limit { owner: owner.into(), role, policy: Policy::per_minute_and_hour(per_minute, 100) }
}

fn request(body: &str) -> HttpRequest {
    HttpRequest { method: Method::Post, headers: Headers::new(), body: body.as_bytes().to_vec() }
}

const PING: &str = r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#;

#[test]
fn every_limit_admits_in_order_and_the_last_objects_standing_is_kept() {
    let objects = Objects::default();
    let denials = RefCell::new(DenyCache::default());
    let limits = [limit("own", Role::Session, 5), limit("net", Role::Network, 50)];
    let mut limiter = Limiter::new(&denials, 0);
    let Admission::Admitted(Some(standing)) =
        block_on(limiter.admit(&objects, &limits, 2, &request(PING))).unwrap()
    else {
        panic!("admitted")
    };
    assert_eq!(limiter.outcome, Outcome::Admitted);
    assert_eq!(*objects.calls.borrow(), ["own", "net"]);
    assert_eq!(standing.state.as_deref(), Some("\"minute\";r=48;t=0"), "the network's, asked last");
    assert_eq!(standing.policy.as_deref(), Some("\"minute\";q=50;w=60, \"hour\";q=100;w=3600"));

    let mut served = HttpResponse::empty(200);
    standing.clone().fill(&mut served);
    assert_eq!(served.headers.get(STATE_HEADER), Some("\"minute\";r=48;t=0"));
    let mut annotated = HttpResponse::empty(200).with_header(STATE_HEADER, "\"minute\";r=1;t=0");
    standing.fill(&mut annotated);
    assert_eq!(
        annotated.headers.get(STATE_HEADER),
        Some("\"minute\";r=1;t=0"),
        "the serving object's own wins"
    );
    assert_eq!(annotated.headers.get(POLICY_HEADER), None);
}

#[test]
fn a_blocking_refusal_is_remembered_until_the_exact_unblock_instant() {
    let objects = Objects { now_ms: 1_000, ..Objects::default() };
    let denials = RefCell::new(DenyCache::default());
    let limits = [limit("own", Role::Address, 1)];
    let mut first = Limiter::new(&denials, 1_000);
    assert!(matches!(
        block_on(first.admit(&objects, &limits, 1, &request(PING))),
        Ok(Admission::Admitted(_))
    ));
    let mut second = Limiter::new(&denials, 1_000);
    let Admission::Denied(refused) = block_on(second.admit(&objects, &limits, 1, &request(PING))).unwrap()
    else {
        panic!("over quota")
    };
    assert_eq!(second.outcome, Outcome::Rejected);
    assert_eq!((first.refused, second.refused), (None, Some(Role::Address)));
    assert_eq!(refused.status, 429);
    assert_eq!(refused.headers.get(BLOCKED_UNTIL_HEADER), None, "the internal note stops at the router");
    assert_eq!(refused.headers.get(STATE_HEADER), Some("\"minute\";r=0;t=60"));
    assert_eq!(refused.body_json().unwrap()["id"], 7);

    // Later requests are answered from the deny cache, in the object's own form, until 61 000.
    let mut third = Limiter::new(&denials, 31_000);
    let Admission::Denied(cached) = block_on(third.admit(&objects, &limits, 1, &request(PING))).unwrap()
    else {
        panic!("held")
    };
    assert_eq!(third.outcome, Outcome::RejectedCached);
    assert_eq!(third.refused, Some(Role::Address), "the cache knows whose limit refused");
    assert_eq!(objects.calls.borrow().len(), 2, "no object was asked");
    assert_eq!(cached.headers.get(STATE_HEADER), Some("\"minute\";r=0;t=30"));
    assert_eq!(cached.headers.get("Retry-After"), Some("30"));
    assert_eq!(cached.headers.get(POLICY_HEADER), refused.headers.get(POLICY_HEADER));
    assert_eq!(cached.body, {
        let mut again = refused.clone();
        again.body = ratelimit::too_many_requests(PING.as_bytes(), &limits[0].policy, "", 30).body;
        again.body
    });
    assert!(Limiter::new(&denials, 60_999).held(&limits).is_some());
    assert!(
        Limiter::new(&denials, 61_000).held(&limits).is_none(),
        "from the unblock instant on, the object decides"
    );
}

#[test]
fn a_batch_refused_while_units_remain_blocks_nobody() {
    let objects = Objects::default();
    let denials = RefCell::new(DenyCache::default());
    let limits = [limit("own", Role::Address, 3)];
    let mut limiter = Limiter::new(&denials, 0);
    block_on(limiter.admit(&objects, &limits, 2, &request(PING))).unwrap();
    let Admission::Denied(refused) = block_on(limiter.admit(&objects, &limits, 2, &request(PING))).unwrap()
    else {
        panic!("two more do not fit")
    };
    assert_eq!(refused.status, 429);
    assert!(denials.borrow().is_empty());
    assert!(limiter.held(&limits).is_none());
}

#[test]
fn the_deny_cache_files_the_quota_the_object_named() {
    let denials = RefCell::new(DenyCache::default());
    let l = limit("own", Role::Address, 1);
    let mut limiter = Limiter::new(&denials, 0);
    let refused = HttpResponse::empty(429).with_header(BLOCKED_UNTIL_HEADER, "3600000;hour");
    assert!(limiter.verdict(refused, &l).is_err());
    let held = limiter.held(std::slice::from_ref(&l)).unwrap();
    assert_eq!(held.answer(b"").headers.get(STATE_HEADER), Some("\"hour\";r=0;t=3600"));
    // A quota the policy does not name is filed as "minute"; an unreadable note files nothing.
    let other = limit("other", Role::Address, 1);
    assert!(limiter
        .verdict(HttpResponse::empty(429).with_header(BLOCKED_UNTIL_HEADER, "5000;day"), &other)
        .is_err());
    assert_eq!(limiter.held(std::slice::from_ref(&other)).unwrap().denial.quota, "minute");
    let third = limit("third", Role::Address, 1);
    assert!(limiter
        .verdict(HttpResponse::empty(429).with_header(BLOCKED_UNTIL_HEADER, "soon"), &third)
        .is_err());
    assert!(limiter.held(std::slice::from_ref(&third)).is_none());
    assert_eq!(Blocked::parse("12;minute"), Some(Blocked { until_ms: 12, quota: "minute".into() }));
    assert_eq!(
        Blocked::parse(&Blocked { until_ms: -1, quota: "hour".into() }.header()).unwrap().until_ms,
        -1
    );
}

#[test]
fn an_object_refusing_the_limit_is_a_503_with_its_report() {
    let objects = Objects::default();
    let denials = RefCell::new(DenyCache::default());
    let mut limiter = Limiter::new(&denials, 0);
    block_on(limiter.admit(&objects, &[limit("own", Role::Address, 5)], 1, &request(PING))).unwrap();
    let Admission::Denied(resp) =
        block_on(limiter.admit(&objects, &[limit("own", Role::Network, 5)], 1, &request(PING))).unwrap()
    else {
        panic!("another role")
    };
    assert_eq!(resp.status, 503);
    assert_eq!(resp.headers.get("Retry-After"), Some("1"));
    assert!(resp
        .headers
        .get(ERROR_REPORT_HEADER)
        .unwrap()
        .starts_with("refused limit: this log counts Address"));
    assert_eq!(resp.body_json().unwrap()["id"], serde_json::Value::Null);
}

#[test]
fn a_refusal_is_charged_and_answered_with_the_standing_or_the_429() {
    let objects = Objects::default();
    let denials = RefCell::new(DenyCache::default());
    let limits = [limit("own", Role::Address, 1)];
    let gate = || HttpResponse::empty(403);
    let mut limiter = Limiter::new(&denials, 0);
    let first = block_on(limiter.charge_refusal(&objects, &limits, gate(), &request(""))).unwrap();
    assert_eq!(first.status, 403);
    assert_eq!(first.headers.get(STATE_HEADER), Some("\"minute\";r=0;t=60"));
    let second = block_on(limiter.charge_refusal(&objects, &limits, gate(), &request(""))).unwrap();
    assert_eq!(second.status, 429);
    assert_eq!(
        block_on(limiter.charge_refusal(
            &Objects { down: true, ..Objects::default() },
            &[limit("x", Role::Address, 1)],
            gate(),
            &request("")
        )),
        Err("unreachable")
    );
}

#[test]
fn the_serving_objects_limit_is_decided_inline() {
    let plan = |owners: &[&str], serve: &str| Plan {
        limits: owners.iter().map(|o| limit(o, Role::Address, 1)).collect(),
        serve_owner: serve.into(),
    };
    let p = plan(&["own", "net"], "net");
    assert_eq!(split_inline(&p), (Some(&p.limits[1]), &p.limits[..1]));
    let p = plan(&["own", "net"], "own");
    assert_eq!(split_inline(&p), (None, &p.limits[..]));
    let p = plan(&[], "own");
    assert_eq!(split_inline(&p), (None, &[][..]));
}

fn limit_headers(policy: &str, role: Option<&str>, units: Option<&str>) -> Headers {
    let mut h = Headers::new();
    h.insert(LIMIT_HEADER, policy);
    role.into_iter().for_each(|r| h.insert(LIMIT_ROLE_HEADER, r));
    units.into_iter().for_each(|u| h.insert(LIMIT_UNITS_HEADER, u));
    h
}

#[test]
fn the_object_reads_the_limit_it_is_asked_or_refuses_it() {
    let p = Policy::per_minute_and_hour(5, 50);
    assert_eq!(object::asked(&Headers::new()), Ok(None));
    assert_eq!(
        object::asked(&limit_headers(&encode_policy(&p), Some("session"), Some("3"))),
        Ok(Some(Asked { policy: p.clone(), role: Role::Session, units: 3 }))
    );
    let one = object::asked(&limit_headers(&encode_policy(&p), Some("session"), Some("x"))).unwrap().unwrap();
    assert_eq!(one.units, 1);
    for (policy, role) in [("5/60", None), ("5/60", Some("admin")), ("0/0", Some("session"))] {
        let refused = object::asked(&limit_headers(policy, role, None)).unwrap_err();
        assert_eq!(refused.status, 409);
        assert!(refused
            .headers
            .get(ERROR_REPORT_HEADER)
            .unwrap()
            .starts_with("refused limit: unreadable limit"));
    }
}

#[test]
fn the_object_decides_refuses_and_annotates() {
    let store = MemoryAdmissions::default();
    let asked = Asked { policy: Policy::per_minute_and_hour(1, 10), role: Role::Address, units: 1 };
    assert_eq!(object::count(&store, None, 0, b""), Ok(Counted::Unlimited));
    assert!(!Counted::Unlimited.stored());
    let counted = object::count(&store, Some(&asked), 0, b"").unwrap();
    assert!(counted.stored());
    let mut served = HttpResponse::empty(200);
    counted.annotate(&mut served);
    assert_eq!(served.headers.get(STATE_HEADER), Some("\"minute\";r=0;t=60"));
    assert_eq!(served.headers.get(POLICY_HEADER), Some("\"minute\";q=1;w=60, \"hour\";q=10;w=3600"));

    let refused = object::count(&store, Some(&asked), 1_500, PING.as_bytes()).unwrap_err();
    assert_eq!(refused.status, 429);
    assert_eq!(refused.headers.get("Retry-After"), Some("59"));
    assert_eq!(refused.headers.get(BLOCKED_UNTIL_HEADER), Some("60000;minute"));
    assert_eq!(refused.body_json().unwrap()["id"], 7);
    assert_eq!(store.len(), 1);

    let other_role = Asked { role: Role::Network, ..asked.clone() };
    let wrong = object::count(&store, Some(&other_role), 2_000, b"").unwrap_err();
    assert_eq!(wrong.status, 409);
    assert_eq!(wrong.headers.get("Retry-After"), None);

    *store.failing.borrow_mut() = Some(StoreError::Unavailable("disk".into()));
    let down = object::count(&store, Some(&asked), 3_000, b"").unwrap_err();
    assert_eq!(down.status, 503);
    assert_eq!(down.headers.get("Retry-After"), Some("1"));
    assert_eq!(down.headers.get(ERROR_REPORT_HEADER), Some("rate-limit storage: session storage: disk"));
}

/// A network's requests pass their own limit, then the network's ceiling: the limiter says which
/// one refused (a full ceiling is answered with the sign-in challenge, a full session with 429).
#[test]
fn the_limit_that_refused_is_known() {
    let objects = Objects { now_ms: 1_000, ..Objects::default() };
    let denials = RefCell::new(DenyCache::default());
    let limits = [limit("session", Role::Session, 5), limit("network", Role::Network, 1)];
    let mut first = Limiter::new(&denials, 1_000);
    assert!(matches!(
        block_on(first.admit(&objects, &limits, 1, &request(PING))),
        Ok(Admission::Admitted(_))
    ));
    let mut second = Limiter::new(&denials, 1_000);
    assert!(matches!(block_on(second.admit(&objects, &limits, 1, &request(PING))), Ok(Admission::Denied(_))));
    assert_eq!(second.refused, Some(Role::Network));
    let mut held = Limiter::new(&denials, 2_000);
    assert!(held.held(&limits).is_some());
    assert_eq!(held.refused, Some(Role::Network));
}
