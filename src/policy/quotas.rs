//! Quota configuration (wrangler.toml vars) and who a request counts against.
//!
//! Every limited key lives in exactly one Durable Object — the object named by the key's
//! *owner* — so one synchronous log decides it exactly.

use std::net::IpAddr;

use super::limiter::{Policy, MAX_LIMIT, MAX_WINDOW_SECS};
use crate::mcp::session::{owner_for, SessionId};

/// Anthropic's published egress range: all Claude.ai connector traffic (REFERENCE §5).
pub(crate) const DEFAULT_SHARED_EGRESS: &str = "160.79.104.0/21";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuotaConfig {
    /// Anonymous clients (per IPv4 address or IPv6 /64).
    pub anonymous: Policy,
    /// API keys without their own figures.
    pub api_key_default: Policy,
    /// People signed in with OAuth, per account (default: the API-key figures).
    pub signed_in: Policy,
    /// Networks whose users share addresses; keyed per MCP session instead of per IP.
    pub shared_egress: Vec<Cidr>,
    /// Ceiling for one shared network as a whole.
    pub shared_network: Policy,
    /// Shared-network requests that carry no session id (served statelessly), as one group.
    pub shared_sessionless: Policy,
    /// `/health` per address (its deep checks cost KV, object and AI calls).
    pub health: Policy,
    /// The OAuth endpoints that write state (registration, authorization, token, account
    /// sign-in) per address; a shared network's members together get its `shared_network` ceiling.
    pub oauth_endpoints: Policy,
    /// Variables that were set but refused (`NAME=value: why`); their defaults apply instead.
    /// `/health` reports them, so a typo is seen, never silently obeyed.
    pub problems: Vec<String>,
}

impl QuotaConfig {
    /// From environment variables, via `var(name)`. A value that is not a whole number in
    /// 1..=[`MAX_LIMIT`] is refused (a zero quota would block everyone, a typo must not switch
    /// limiting off, and neither may reach the limiter's arithmetic): the default applies and
    /// the refusal is listed in `problems`.
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let mut problems = Vec::new();
        let mut num = |name: &str, default: u32| match var(name) {
            None => default,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    problems.push(format!(
                        "{name}={}: not a whole number from 1 to {MAX_LIMIT}; using {default}",
                        raw.chars().take(40).collect::<String>()
                    ));
                    default
                }
            },
        };
        let mut pair = |prefix: &str, minute: u32, hour: u32| {
            Policy::per_minute_and_hour(
                num(&format!("{prefix}_PER_MINUTE"), minute),
                num(&format!("{prefix}_PER_HOUR"), hour),
            )
        };
        let anonymous = pair("RATE_LIMIT", 100, 1000);
        let api_key_default = pair("API_KEY_RATE_LIMIT", 1000, 20_000);
        let signed_in =
            pair("OAUTH_USER_RATE_LIMIT", api_key_default.quotas[0].limit, api_key_default.quotas[1].limit);
        let shared_network = pair("SHARED_EGRESS_NETWORK", 3000, 60_000);
        let shared_sessionless = pair("SHARED_EGRESS_SESSIONLESS", 1000, 20_000);
        let health = pair("HEALTH_RATE_LIMIT", 30, 600);
        let oauth_endpoints = pair("OAUTH_ENDPOINT_RATE_LIMIT", 60, 1000);
        let cidrs = var("SHARED_EGRESS_CIDRS").unwrap_or_else(|| DEFAULT_SHARED_EGRESS.to_owned());
        let mut shared_egress = Vec::new();
        for c in cidrs.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            match Cidr::parse(c) {
                Some(cidr) => shared_egress.push(cidr),
                None => problems.push(format!("SHARED_EGRESS_CIDRS: {c:.40} is not a CIDR; ignored")),
            }
        }
        Self {
            anonymous,
            api_key_default,
            signed_in,
            shared_egress,
            shared_network,
            shared_sessionless,
            health,
            oauth_endpoints,
            problems,
        }
    }
}

impl QuotaConfig {
    /// The policy a log of `role` is counted under (the fault switch's exhausted-quota fault).
    #[cfg(feature = "faults")]
    pub(crate) fn policy_for(&self, role: Role) -> &Policy {
        match role {
            Role::Address | Role::Session => &self.anonymous,
            Role::ApiKey => &self.api_key_default,
            Role::User => &self.signed_in,
            Role::Sessionless => &self.shared_sessionless,
            Role::Network => &self.shared_network,
            Role::Health => &self.health,
            Role::OAuth => &self.oauth_endpoints,
        }
    }
}

impl Default for QuotaConfig {
    fn default() -> Self {
        Self::from_vars(|_| None)
    }
}

/// An IP network in CIDR notation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
        let network: IpAddr = addr.trim().parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() { max } else { prefix.trim().parse().ok()? };
        (prefix <= max).then_some(Self { network, prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n).into(), 32, self.prefix) == masked(u32::from(a).into(), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn masked(bits: u128, width: u32, prefix: u8) -> u128 {
    let host_bits = width - u32::from(prefix);
    if host_bits >= 128 {
        0
    } else {
        bits >> host_bits
    }
}

/// Who a request counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    /// A valid API key (`id` is the key's public id, never the secret).
    ApiKey { id: String, policy: Policy },
    /// A person signed in with OAuth: `id` is their account at the identity provider
    /// (`github-123`), the same across sessions, devices and protocol revisions.
    User { id: String },
    /// An anonymous client, keyed by address (see `policy::client_key`).
    Address { key: String },
    /// A client behind a shared egress network.
    Shared { network: Cidr },
}

/// What a limited object's log counts. An object holds one role for life and refuses a limit of
/// another: a log can never be charged, trimmed or blocked under someone else's policy, even if
/// a bug (or a forged header) ever pointed a request at the wrong object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// One anonymous address (IPv4, IPv6 /64).
    Address,
    /// One API key.
    ApiKey,
    /// One signed-in account.
    User,
    /// One MCP session opened from a shared network.
    Session,
    /// A shared network's requests without a session, together.
    Sessionless,
    /// A shared network's ceiling.
    Network,
    /// `/health` calls of one address.
    Health,
    /// OAuth endpoint calls of one address, or of one shared network together.
    OAuth,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Address => "address",
            Role::ApiKey => "api-key",
            Role::User => "user",
            Role::Session => "session",
            Role::Sessionless => "sessionless",
            Role::Network => "network",
            Role::Health => "health",
            Role::OAuth => "oauth",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            Role::Address,
            Role::ApiKey,
            Role::User,
            Role::Session,
            Role::Sessionless,
            Role::Network,
            Role::Health,
            Role::OAuth,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// One limiting decision to take: `policy` against the log held by the object named `owner`,
/// whose log counts `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limit {
    pub owner: String,
    pub role: Role,
    pub policy: Policy,
}

impl Limit {
    fn new(client_key: &str, role: Role, policy: &Policy) -> Self {
        Self { owner: owner_for(client_key), role, policy: policy.clone() }
    }

    /// The key the router's deny cache files a denial under: the same object under another
    /// policy is another verdict.
    pub(crate) fn deny_key(&self) -> String {
        format!("{}|{}|{}", self.owner, self.role.as_str(), encode_policy(&self.policy))
    }
}

/// Where a request is limited and served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Limits to pass, in order: a session's own quota before its network's ceiling, so that
    /// requests one session is refused never use up the network's share of the others.
    pub limits: Vec<Limit>,
    /// The object that serves the request (holds its session, or will).
    pub serve_owner: String,
}

impl Plan {
    /// The most messages one request may carry under these limits: a larger batch could never
    /// be admitted, so it is refused outright rather than told to retry.
    pub(crate) fn max_units(&self) -> u32 {
        self.limits.iter().map(|l| l.policy.max_units()).min().unwrap_or(u32::MAX)
    }
}

/// Plans a request. `session` must be authentic (verified by `SessionKeys`): a session id is the
/// only thing in a request that can point at an object other than the caller's own.
/// `fresh_owner` names a new object, used when a shared-network client opens a session: each
/// Claude.ai session gets an object — and so a quota — of its own.
pub(crate) fn plan(
    identity: &Identity,
    session: Option<&SessionId>,
    is_initialize: bool,
    cfg: &QuotaConfig,
    fresh_owner: impl FnOnce() -> String,
) -> Plan {
    // An initialize opens a new session in the caller's own object, whatever Mcp-Session-Id it
    // carries (the session layer ignores that header on initialize too): a forged header must not
    // let a client park sessions in someone else's object — and evict theirs.
    let session = session.filter(|_| !is_initialize);
    match identity {
        Identity::ApiKey { id, policy } => {
            let limit = Limit::new(&format!("key:{id}"), Role::ApiKey, policy);
            Plan {
                serve_owner: session.map_or_else(|| limit.owner.clone(), |s| s.owner.clone()),
                limits: vec![limit],
            }
        }
        Identity::User { id } => {
            let limit = Limit::new(&format!("user:{id}"), Role::User, &cfg.signed_in);
            Plan {
                serve_owner: session.map_or_else(|| limit.owner.clone(), |s| s.owner.clone()),
                limits: vec![limit],
            }
        }
        Identity::Address { key } => {
            let limit = Limit::new(key, Role::Address, &cfg.anonymous);
            Plan {
                serve_owner: session.map_or_else(|| limit.owner.clone(), |s| s.owner.clone()),
                limits: vec![limit],
            }
        }
        Identity::Shared { network } => {
            let ceiling = Limit::new(&format!("network:{network}"), Role::Network, &cfg.shared_network);
            let own = match (session, is_initialize) {
                (Some(s), _) => {
                    Limit { owner: s.owner.clone(), role: Role::Session, policy: cfg.anonymous.clone() }
                }
                (None, true) => {
                    Limit { owner: fresh_owner(), role: Role::Session, policy: cfg.anonymous.clone() }
                }
                (None, false) => Limit::new(
                    &format!("shared-sessionless:{network}"),
                    Role::Sessionless,
                    &cfg.shared_sessionless,
                ),
            };
            Plan { serve_owner: own.owner.clone(), limits: vec![own, ceiling] }
        }
    }
}

/// The limits a request faces whatever its body says (an initialize or not): the router checks
/// its deny cache for these before reading and parsing the body, so a client over quota costs
/// no body read.
pub(crate) fn limits_before_body(
    identity: &Identity,
    session: Option<&SessionId>,
    cfg: &QuotaConfig,
) -> Vec<Limit> {
    // A fresh owner is never in any cache, so the placeholder only ever drops out.
    let as_initialize = plan(identity, session, true, cfg, String::new);
    plan(identity, session, false, cfg, String::new)
        .limits
        .into_iter()
        .filter(|l| as_initialize.limits.contains(l))
        .collect()
}

/// What a request that is refused before it is served (a gate refusal, bad credentials, a
/// forged session id) counts against: the caller's own first limit — its address, key, session
/// or, on a shared network without a session, the sessionless pool. Refusals cost quota like
/// answers do, so probing is not free; they never reach a network's ceiling, which is there for
/// served traffic, so one member's refused requests cannot block the network.
pub(crate) fn refusal_limits(
    identity: &Identity,
    session: Option<&SessionId>,
    cfg: &QuotaConfig,
) -> Vec<Limit> {
    plan(identity, session, false, cfg, String::new).limits.into_iter().take(1).collect()
}

/// `/health` is limited per address under its own policy, in an object of its own.
pub(crate) fn health_limit(identity: &Identity, cfg: &QuotaConfig) -> Limit {
    Limit::new(&format!("health:{}", identity_key(identity)), Role::Health, &cfg.health)
}

/// The identity's part of a limit key (a role's prefix goes before it).
fn identity_key(identity: &Identity) -> String {
    match identity {
        Identity::ApiKey { id, .. } => format!("key:{id}"),
        Identity::User { id } => format!("user:{id}"),
        Identity::Address { key } => key.clone(),
        Identity::Shared { network } => format!("network:{network}"),
    }
}

/// The OAuth endpoints (src/entry.mjs asks before serving them) are limited by address, in objects
/// of their own: signing in must keep working when the caller's MCP pool is spent, since that is
/// when the lazy challenge sends people to sign in. A shared network (Claude.ai's egress, where
/// every user's registration and token refresh come from) gets its network ceiling's figures.
pub(crate) fn oauth_endpoint_limit(ip: Option<&str>, cfg: &QuotaConfig) -> Limit {
    let identity = anonymous_identity(ip, cfg);
    let policy =
        if matches!(identity, Identity::Shared { .. }) { &cfg.shared_network } else { &cfg.oauth_endpoints };
    Limit::new(&format!("oauth:{}", identity_key(&identity)), Role::OAuth, policy)
}

/// Classifies an anonymous request by its connecting address.
pub(crate) fn anonymous_identity(ip: Option<&str>, cfg: &QuotaConfig) -> Identity {
    let parsed = ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok());
    if let Some(addr) = parsed {
        if let Some(network) = cfg.shared_egress.iter().find(|c| c.contains(addr)) {
            return Identity::Shared { network: network.clone() };
        }
    }
    let key = ip.and_then(super::client_key::from_ip).unwrap_or_else(|| "ip:unknown".to_owned());
    Identity::Address { key }
}

/// Policies cross from router to object in a header: `100/60,1000/3600`.
pub(crate) fn encode_policy(p: &Policy) -> String {
    p.quotas.iter().map(|q| format!("{}/{}", q.limit, q.window_secs)).collect::<Vec<_>>().join(",")
}

pub(crate) fn decode_policy(s: &str) -> Option<Policy> {
    let quotas = s
        .split(',')
        .map(|part| {
            let (limit, window) = part.trim().split_once('/')?;
            let window_secs: u32 = window.parse().ok().filter(|w| (1..=MAX_WINDOW_SECS).contains(w))?;
            let name = match window_secs {
                60 => "minute",
                3600 => "hour",
                _ => "window",
            };
            Some(super::limiter::Quota { name, limit: limit.parse().ok()?, window_secs })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Policy { quotas }).filter(Policy::is_valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let c = Cidr::parse("160.79.104.0/21").unwrap();
        assert!(c.contains("160.79.104.1".parse().unwrap()));
        assert!(c.contains("160.79.111.254".parse().unwrap()));
        assert!(!c.contains("160.79.112.0".parse().unwrap()));
        assert!(!c.contains("2001:db8::1".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("garbage").is_none());
        assert_eq!(Cidr::parse("127.0.0.3").unwrap().to_string(), "127.0.0.3/32");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn config_from_vars_keeps_defaults_on_garbage() {
        let cfg = QuotaConfig::from_vars(|k| match k {
            "RATE_LIMIT_PER_MINUTE" => Some("5".into()),
            "RATE_LIMIT_PER_HOUR" => Some("lots".into()),
            "SHARED_EGRESS_CIDRS" => Some("127.0.0.3/32, nonsense".into()),
            _ => None,
        });
        assert_eq!(cfg.anonymous, Policy::per_minute_and_hour(5, 1000));
        assert_eq!(cfg.shared_egress, vec![Cidr::parse("127.0.0.3/32").unwrap()]);
        assert_eq!(QuotaConfig::default().shared_egress, vec![Cidr::parse(DEFAULT_SHARED_EGRESS).unwrap()]);
    }

    #[test]
    fn plans() {
        let cfg = QuotaConfig::default();
        let session = SessionId { owner: "a".repeat(32), secret: "b".repeat(32), tag: "c".repeat(32) };
        let addr = anonymous_identity(Some("203.0.113.9"), &cfg);
        let p = plan(&addr, None, false, &cfg, || unreachable!());
        assert_eq!(p.limits.len(), 1);
        assert_eq!(p.serve_owner, p.limits[0].owner, "one hop: limited where served");
        let p = plan(&addr, Some(&session), false, &cfg, || unreachable!());
        assert_ne!(p.serve_owner, p.limits[0].owner, "session elsewhere: still limited by address");

        let claude = anonymous_identity(Some("160.79.104.10"), &cfg);
        assert!(matches!(claude, Identity::Shared { .. }));
        let p = plan(&claude, Some(&session), false, &cfg, || unreachable!());
        assert_eq!(p.limits.len(), 2, "the session's own quota, then the network ceiling");
        assert_eq!(p.limits[0].owner, session.owner);
        let p = plan(&claude, None, true, &cfg, || "f".repeat(32));
        assert_eq!(
            (p.serve_owner.as_str(), p.limits[0].owner.as_str()),
            ("f".repeat(32).as_str(), "f".repeat(32).as_str())
        );
        let p = plan(&claude, None, false, &cfg, || unreachable!());
        assert_eq!(p.limits[0].policy, cfg.shared_sessionless);
    }

    /// One account, one quota: the same limit whatever session (or none, as a 2026-07-28 client
    /// sends) its requests carry, never shared with an address, a key or another account.
    #[test]
    fn a_signed_in_account_is_limited_by_account_across_sessions() {
        let cfg = QuotaConfig::default();
        let user = Identity::User { id: "github-123".into() };
        let a = SessionId { owner: "a".repeat(32), secret: "b".repeat(32), tag: "c".repeat(32) };
        let b = SessionId { owner: "d".repeat(32), secret: "e".repeat(32), tag: "f".repeat(32) };
        let plans = [
            plan(&user, None, true, &cfg, || unreachable!()),
            plan(&user, Some(&a), false, &cfg, || unreachable!()),
            plan(&user, Some(&b), false, &cfg, || unreachable!()),
            plan(&user, None, false, &cfg, || unreachable!()),
        ];
        for p in &plans {
            assert_eq!(p.limits, plans[0].limits, "one limit for every session");
            assert_eq!((p.limits.len(), p.limits[0].role), (1, Role::User));
            assert_eq!(p.limits[0].policy, cfg.signed_in);
        }
        assert_eq!(
            (plans[1].serve_owner.as_str(), plans[2].serve_owner.as_str()),
            (a.owner.as_str(), b.owner.as_str())
        );
        assert_eq!(plans[0].serve_owner, plans[0].limits[0].owner, "sessions open in the account's object");
        let other = plan(&Identity::User { id: "github-124".into() }, None, false, &cfg, || unreachable!());
        assert_ne!(other.limits[0].owner, plans[0].limits[0].owner);
        let key = plan(
            &Identity::ApiKey { id: "github-123".into(), policy: cfg.api_key_default.clone() },
            None,
            false,
            &cfg,
            || unreachable!(),
        );
        assert_ne!(
            key.limits[0].owner, plans[0].limits[0].owner,
            "an API key id never names an account's object"
        );
        assert_eq!(Role::parse("user"), Some(Role::User));
        assert_ne!(health_limit(&user, &cfg).owner, plans[0].limits[0].owner);
    }

    #[test]
    fn the_signed_in_quota_defaults_to_the_api_key_quota_and_is_configurable() {
        let cfg = QuotaConfig::from_vars(|name| {
            (name == "API_KEY_RATE_LIMIT_PER_MINUTE").then(|| "700".to_owned())
        });
        assert_eq!(cfg.signed_in, cfg.api_key_default);
        let cfg = QuotaConfig::from_vars(|name| match name {
            "OAUTH_USER_RATE_LIMIT_PER_MINUTE" => Some("300".to_owned()),
            "OAUTH_USER_RATE_LIMIT_PER_HOUR" => Some("0".to_owned()),
            _ => None,
        });
        assert_eq!((cfg.signed_in.quotas[0].limit, cfg.signed_in.quotas[1].limit), (300, 20_000));
        assert!(
            cfg.problems.iter().any(|p| p.starts_with("OAUTH_USER_RATE_LIMIT_PER_HOUR=0")),
            "{:?}",
            cfg.problems
        );
    }

    #[test]
    fn an_initialize_is_served_by_the_callers_own_object_whatever_session_it_names() {
        let cfg = QuotaConfig::default();
        let victim =
            SessionId { owner: owner_for("ip:203.0.113.1"), secret: "b".repeat(32), tag: "c".repeat(32) };
        let addr = anonymous_identity(Some("203.0.113.9"), &cfg);
        let own = plan(&addr, None, true, &cfg, || unreachable!());
        let forged = plan(&addr, Some(&victim), true, &cfg, || unreachable!());
        assert_eq!(forged, own);
        assert_ne!(forged.serve_owner, victim.owner);
        let key = Identity::ApiKey { id: "k1".into(), policy: cfg.api_key_default.clone() };
        assert_eq!(plan(&key, Some(&victim), true, &cfg, || unreachable!()).serve_owner, owner_for("key:k1"));
        let claude = anonymous_identity(Some("160.79.104.10"), &cfg);
        let p = plan(&claude, Some(&victim), true, &cfg, || "f".repeat(32));
        assert_eq!(
            (p.serve_owner.as_str(), p.limits[0].owner.as_str()),
            ("f".repeat(32).as_str(), "f".repeat(32).as_str())
        );
    }

    #[test]
    fn zero_and_nonsense_quotas_are_refused_at_parse() {
        let cfg = QuotaConfig::from_vars(|k| match k {
            "RATE_LIMIT_PER_MINUTE" => Some("0".into()),
            "RATE_LIMIT_PER_HOUR" => Some("-5".into()),
            "API_KEY_RATE_LIMIT_PER_MINUTE" => Some("99999999999".into()),
            "SHARED_EGRESS_NETWORK_PER_MINUTE" => Some(" 250 ".into()),
            "HEALTH_RATE_LIMIT_PER_MINUTE" => Some("1e3".into()),
            _ => None,
        });
        assert_eq!(cfg.anonymous, Policy::per_minute_and_hour(100, 1000), "defaults stand in");
        assert_eq!(cfg.api_key_default.quotas[0].limit, 1000);
        assert_eq!(cfg.shared_network.quotas[0].limit, 250, "valid values are taken");
        assert_eq!(cfg.health.quotas[0].limit, 30);
        assert_eq!(cfg.problems.len(), 4, "{:?}", cfg.problems);
        assert!(cfg.problems[0].starts_with("RATE_LIMIT_PER_MINUTE=0:"), "{:?}", cfg.problems);
        assert!(QuotaConfig::default().problems.is_empty());
        for policy in
            [&cfg.anonymous, &cfg.api_key_default, &cfg.shared_network, &cfg.shared_sessionless, &cfg.health]
        {
            assert!(policy.is_valid());
        }
    }

    #[test]
    fn roles_keep_objects_apart() {
        let cfg = QuotaConfig::default();
        let claude = anonymous_identity(Some("160.79.104.10"), &cfg);
        let session = SessionId { owner: "a".repeat(32), secret: "b".repeat(32), tag: "c".repeat(32) };
        let p = plan(&claude, Some(&session), false, &cfg, || unreachable!());
        assert_eq!(p.limits.iter().map(|l| l.role).collect::<Vec<_>>(), [Role::Session, Role::Network]);
        let p = plan(&claude, None, false, &cfg, || unreachable!());
        assert_eq!(p.limits.iter().map(|l| l.role).collect::<Vec<_>>(), [Role::Sessionless, Role::Network]);
        let addr = anonymous_identity(Some("203.0.113.9"), &cfg);
        assert_eq!(plan(&addr, None, false, &cfg, || unreachable!()).limits[0].role, Role::Address);
        let health = health_limit(&addr, &cfg);
        assert_eq!(health.role, Role::Health);
        assert_ne!(health.owner, plan(&addr, None, false, &cfg, || unreachable!()).limits[0].owner);
        for role in
            [Role::Address, Role::ApiKey, Role::Session, Role::Sessionless, Role::Network, Role::Health]
        {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
        // The deny cache tells the same object under two policies apart.
        let a = Limit { owner: "o".into(), role: Role::Address, policy: Policy::per_minute_and_hour(1, 2) };
        let b = Limit { policy: Policy::per_minute_and_hour(3, 4), ..a.clone() };
        assert_ne!(a.deny_key(), b.deny_key());
        assert_ne!(a.deny_key(), Limit { role: Role::Network, ..a.clone() }.deny_key());
    }

    #[test]
    fn limits_known_before_the_body_are_those_every_body_faces() {
        let cfg = QuotaConfig::default();
        let session = SessionId { owner: "a".repeat(32), secret: "b".repeat(32), tag: "c".repeat(32) };
        let addr = anonymous_identity(Some("203.0.113.9"), &cfg);
        assert_eq!(
            limits_before_body(&addr, Some(&session), &cfg),
            plan(&addr, None, false, &cfg, String::new).limits
        );
        let claude = anonymous_identity(Some("160.79.104.10"), &cfg);
        let early = limits_before_body(&claude, Some(&session), &cfg);
        assert_eq!(early.len(), 1, "an initialize would not face the session's quota: only the ceiling");
        assert_eq!(early[0].role, Role::Network);
        // Refusals count against the caller's own limits only.
        assert_eq!(refusal_limits(&claude, None, &cfg)[0].role, Role::Sessionless);
        assert_eq!(refusal_limits(&claude, None, &cfg).len(), 1, "never the network's ceiling");
        assert_eq!(refusal_limits(&claude, Some(&session), &cfg)[0].owner, session.owner);
        assert_eq!(
            refusal_limits(&addr, Some(&session), &cfg),
            plan(&addr, None, false, &cfg, String::new).limits
        );
    }

    #[test]
    fn a_plan_knows_the_largest_batch_it_could_ever_admit() {
        let cfg = QuotaConfig::from_vars(|k| (k == "SHARED_EGRESS_NETWORK_PER_MINUTE").then(|| "20".into()));
        let claude = anonymous_identity(Some("160.79.104.10"), &cfg);
        assert_eq!(plan(&claude, None, false, &cfg, String::new).max_units(), 20);
        let addr = anonymous_identity(Some("203.0.113.9"), &cfg);
        assert_eq!(plan(&addr, None, false, &cfg, String::new).max_units(), 100);
    }

    #[test]
    fn oauth_endpoints_are_limited_per_address_apart_from_mcp_and_per_network_on_shared_egress() {
        let cfg =
            QuotaConfig::from_vars(|k| (k == "OAUTH_ENDPOINT_RATE_LIMIT_PER_MINUTE").then(|| "7".into()));
        let one = oauth_endpoint_limit(Some("203.0.113.9"), &cfg);
        assert_eq!((one.role, one.policy.clone()), (Role::OAuth, Policy::per_minute_and_hour(7, 1000)));
        let addr = anonymous_identity(Some("203.0.113.9"), &cfg);
        assert_ne!(
            one.owner,
            plan(&addr, None, false, &cfg, String::new).limits[0].owner,
            "not the MCP quota's object"
        );
        assert_ne!(one.owner, health_limit(&addr, &cfg).owner);
        assert_ne!(one.owner, oauth_endpoint_limit(Some("203.0.113.10"), &cfg).owner);
        // Two Claude.ai users share their network's OAuth ceiling, apart from its MCP ceiling.
        let a = oauth_endpoint_limit(Some("160.79.104.10"), &cfg);
        let b = oauth_endpoint_limit(Some("160.79.104.11"), &cfg);
        assert_eq!((a.owner.clone(), a.policy.clone()), (b.owner, cfg.shared_network.clone()));
        let claude = anonymous_identity(Some("160.79.104.10"), &cfg);
        assert!(plan(&claude, None, false, &cfg, String::new).limits.iter().all(|l| l.owner != a.owner));
        assert_eq!(oauth_endpoint_limit(None, &cfg).owner, oauth_endpoint_limit(Some("junk"), &cfg).owner);
        assert_eq!(Role::parse("oauth"), Some(Role::OAuth));
    }

    #[test]
    fn policies_round_trip_through_the_header() {
        let p = Policy::per_minute_and_hour(100, 1000);
        assert_eq!(decode_policy(&encode_policy(&p)), Some(p));
        for bad in ["", "x", "1/0", "5", "1/60,", "-1/60", "1/86400", "0/60", "100/60,0/3600", "100001/60"] {
            assert_eq!(decode_policy(bad), None, "{bad}");
        }
    }
}
