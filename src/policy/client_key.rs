//! Who a request comes from. Anonymous clients are keyed by address: IPv4 exactly, IPv6 by its
//! /64 (one subscriber usually holds a whole /64, so per-address keys would be trivially evaded).

use std::net::IpAddr;

/// The client key for a connecting address, or `None` when the address is not an IP.
pub(crate) fn from_ip(raw: &str) -> Option<String> {
    match raw.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(format!("ip:{v4}")),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(format!("ip:{v4}")),
            None => {
                let s = v6.segments();
                Some(format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_is_exact_and_ipv6_is_grouped_by_64() {
        assert_eq!(from_ip("203.0.113.7").as_deref(), Some("ip:203.0.113.7"));
        assert_eq!(from_ip("::ffff:203.0.113.7").as_deref(), Some("ip:203.0.113.7"));
        assert_eq!(from_ip("2001:db8:1:2:aaaa::1"), from_ip("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(from_ip("2001:db8:1:2::1"), from_ip("2001:db8:1:3::1"));
        assert_eq!(from_ip("2001:db8:1:2::1").as_deref(), Some("ip6:2001:db8:1:2::/64"));
        assert_eq!(from_ip("not an ip"), None);
        assert_eq!(from_ip(""), None);
    }
}
