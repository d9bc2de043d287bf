//! Quota configuration (wrangler.toml vars) and who a request counts against.
//!
//! Every limited key lives in exactly one Durable Object — the object named by the key's
//! *owner* — so one synchronous log decides it exactly.

use std::net::IpAddr;

use super::limiter::{Policy, MAX_WINDOW_SECS};
use crate::mcp::session::{owner_for, SessionId};

/// Anthropic's published egress range: all Claude.ai connector traffic (REFERENCE §5).
pub const DEFAULT_SHARED_EGRESS: &str = "160.79.104.0/21";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaConfig {
    /// Anonymous clients (per IPv4 address or IPv6 /64).
    pub anonymous: Policy,
    /// API keys without their own figures.
    pub api_key_default: Policy,
    /// Networks whose users share addresses; keyed per MCP session instead of per IP.
    pub shared_egress: Vec<Cidr>,
    /// Ceiling for one shared network as a whole.
    pub shared_network: Policy,
    /// Shared-network requests that carry no session id (served statelessly), as one group.
    pub shared_sessionless: Policy,
}

impl QuotaConfig {
    /// From environment variables, via `var(name)`; absent or malformed values keep defaults
    /// (a typo must not switch limiting off).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let num = |name: &str, default: u32| var(name).and_then(|v| v.trim().parse().ok()).unwrap_or(default);
        let pair = |prefix: &str, minute: u32, hour: u32| {
            Policy::per_minute_and_hour(
                num(&format!("{prefix}_PER_MINUTE"), minute),
                num(&format!("{prefix}_PER_HOUR"), hour),
            )
        };
        let cidrs = var("SHARED_EGRESS_CIDRS").unwrap_or_else(|| DEFAULT_SHARED_EGRESS.to_owned());
        Self {
            anonymous: pair("RATE_LIMIT", 100, 1000),
            api_key_default: pair("API_KEY_RATE_LIMIT", 1000, 20_000),
            shared_egress: cidrs.split(',').filter_map(|c| Cidr::parse(c.trim())).collect(),
            shared_network: pair("SHARED_EGRESS_NETWORK", 3000, 60_000),
            shared_sessionless: pair("SHARED_EGRESS_SESSIONLESS", 1000, 20_000),
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
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
        let network: IpAddr = addr.trim().parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() { max } else { prefix.trim().parse().ok()? };
        (prefix <= max).then_some(Self { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
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
pub enum Identity {
    /// A valid API key (`id` is the key's public id, never the secret).
    ApiKey { id: String, policy: Policy },
    /// An anonymous client, keyed by address (see `transport::client_key`).
    Address { key: String },
    /// A client behind a shared egress network.
    Shared { network: Cidr },
}

/// One limiting decision to take: `policy` against the log held by the object named `owner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub owner: String,
    pub policy: Policy,
}

/// Where a request is limited and served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Limits to pass, in order: a session's own quota before its network's ceiling, so that
    /// requests one session is refused never use up the network's share of the others.
    pub limits: Vec<Limit>,
    /// The object that serves the request (holds its session, or will).
    pub serve_owner: String,
}

/// Plans a request. `fresh_owner` names a new object, used when a shared-network client opens a
/// session: each Claude.ai session gets an object — and so a quota — of its own.
pub fn plan(
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
            let owner = owner_for(&format!("key:{id}"));
            Plan {
                serve_owner: session.map_or_else(|| owner.clone(), |s| s.owner.clone()),
                limits: vec![Limit { owner, policy: policy.clone() }],
            }
        }
        Identity::Address { key } => {
            let owner = owner_for(key);
            Plan {
                serve_owner: session.map_or_else(|| owner.clone(), |s| s.owner.clone()),
                limits: vec![Limit { owner, policy: cfg.anonymous.clone() }],
            }
        }
        Identity::Shared { network } => {
            let ceiling =
                Limit { owner: owner_for(&format!("network:{network}")), policy: cfg.shared_network.clone() };
            let (owner, policy) = match (session, is_initialize) {
                (Some(s), _) => (s.owner.clone(), cfg.anonymous.clone()),
                (None, true) => (fresh_owner(), cfg.anonymous.clone()),
                (None, false) => {
                    (owner_for(&format!("shared-sessionless:{network}")), cfg.shared_sessionless.clone())
                }
            };
            Plan { serve_owner: owner.clone(), limits: vec![Limit { owner, policy }, ceiling] }
        }
    }
}

/// Classifies an anonymous request by its connecting address.
pub fn anonymous_identity(ip: Option<&str>, cfg: &QuotaConfig) -> Identity {
    let parsed = ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok());
    if let Some(addr) = parsed {
        if let Some(network) = cfg.shared_egress.iter().find(|c| c.contains(addr)) {
            return Identity::Shared { network: network.clone() };
        }
    }
    let key = ip.and_then(crate::transport::client_key::from_ip).unwrap_or_else(|| "ip:unknown".to_owned());
    Identity::Address { key }
}

/// Policies cross from router to object in a header: `100/60,1000/3600`.
pub fn encode_policy(p: &Policy) -> String {
    p.quotas.iter().map(|q| format!("{}/{}", q.limit, q.window_secs)).collect::<Vec<_>>().join(",")
}

pub fn decode_policy(s: &str) -> Option<Policy> {
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
    (!quotas.is_empty()).then_some(Policy { quotas })
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
        let session = SessionId { owner: "a".repeat(32), secret: "b".repeat(32) };
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

    #[test]
    fn an_initialize_is_served_by_the_callers_own_object_whatever_session_it_names() {
        let cfg = QuotaConfig::default();
        let victim = SessionId { owner: owner_for("ip:203.0.113.1"), secret: "b".repeat(32) };
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
    fn policies_round_trip_through_the_header() {
        let p = Policy::per_minute_and_hour(100, 1000);
        assert_eq!(decode_policy(&encode_policy(&p)), Some(p));
        for bad in ["", "x", "1/0", "5", "1/60,", "-1/60", "1/86400"] {
            assert_eq!(decode_policy(bad), None, "{bad}");
        }
    }
}
