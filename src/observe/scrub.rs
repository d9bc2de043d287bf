//! Keeps personal data out of error reports: anything shaped like an IP address in free text
//! (an upstream error message, a panic payload, a client key) is replaced by `[ip]` before it
//! leaves the Worker.
//!
//! Caught: IPv4 (`203.0.113.7`, also with a port: `203.0.113.7:8080` → `[ip]:8080`), IPv6 in any
//! textual form std accepts (compressed `2001:db8::1`, full, upper case, with an embedded IPv4
//! such as the mapped `::ffff:203.0.113.7`), with a zone (`fe80::1%eth0`), bracketed with a port
//! (`[2001:db8::1]:443` → `[ip]:443`), and the client key forms of `transport::client_key`
//! (`ip:203.0.113.9` → `ip:[ip]`, `ip6:2001:db8:1:2::/64` → `ip6:[ip]/64`).
//!
//! Left alone: times (`12:30:45`), versions (`1.2.3`), hex hashes, MAC addresses, Rust paths
//! (`Error::decode`): an IPv6 candidate must parse as an address and must not be glued to a
//! letter or digit on either side. A dotted quad is always taken for an IPv4 address, even a
//! four-part version number: a leak costs more than a mangled version.

use std::net::Ipv6Addr;

/// Replaces IPv4 and IPv6 addresses in `text` with `[ip]`; everything else is kept as is.
pub fn scrub_ips(text: &str) -> String {
    scrub_ipv4(&scrub_ipv6(text))
}

const PLACEHOLDER: &str = "[ip]";

/// The characters an IPv6 address (with an embedded IPv4) is written with.
fn is_v6_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// Glued to an address on either side, these make it part of a word (`Error::decode`).
fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A zone index after `%` (`fe80::1%eth0`, URL-encoded `%25eth0`).
fn is_zone_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The longest textual IPv6 address: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. Longer
/// candidates are refused before parsing, so a long run of hex and colons costs linear time.
const MAX_IPV6_CHARS: usize = 45;

fn is_ipv6(candidate: &str) -> bool {
    candidate.len() <= MAX_IPV6_CHARS
        && candidate.bytes().filter(|&b| b == b':').count() >= 2
        && candidate.bytes().any(|b| b.is_ascii_hexdigit())
        && candidate.parse::<Ipv6Addr>().is_ok()
}

/// Where, within the run `s..e` of address characters, an IPv6 address lies: the run itself,
/// else what follows one of its colons (`ip6:2001:db8::/64`, `peer:2001:db8::1`), each as is,
/// without trailing sentence punctuation, or without a trailing `:port` when it ends in an
/// IPv4 part (`::ffff:203.0.113.7:8080`).
fn find_ipv6(text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let run = &text[s..e];
    let trimmed = s + run.trim_end_matches(['.', ':']).len();
    let without_port = run.rfind(':').and_then(|colon| {
        let port = &run[colon + 1..];
        let ok = (1..=5).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
            && run[..colon].contains('.');
        ok.then_some(s + colon)
    });
    let starts = std::iter::once(s).chain(run.match_indices(':').map(|(i, _)| s + i + 1));
    for start in starts {
        if start == s && is_word_char(text[..s].chars().next_back()) {
            continue;
        }
        for end in [Some(e), Some(trimmed), without_port].into_iter().flatten() {
            if end <= start || !is_ipv6(&text[start..end]) {
                continue;
            }
            if end == e && bytes.get(e) != Some(&b'%') && is_word_char(text[e..].chars().next()) {
                continue;
            }
            return Some((start, end));
        }
    }
    None
}

fn scrub_ipv6(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_v6_char(bytes[i]) {
            i += 1;
            continue;
        }
        let s = i;
        let mut e = i;
        while e < bytes.len() && is_v6_char(bytes[e]) {
            e += 1;
        }
        i = e;
        let Some((start, mut end)) = find_ipv6(text, s, e) else { continue };
        if end == e && bytes.get(e) == Some(&b'%') {
            let zone = bytes[e + 1..].iter().take_while(|&&b| is_zone_char(b)).count();
            if zone > 0 {
                end = e + 1 + zone;
                i = end;
            }
        }
        // `[2001:db8::1]:443` → `[ip]:443`, not `[[ip]]:443`.
        let bracketed = start == s && start > 0 && bytes[start - 1] == b'[' && bytes.get(end) == Some(&b']');
        let (from, to) = if bracketed { (start - 1, end + 1) } else { (start, end) };
        out.push_str(&text[copied..from]);
        out.push_str(PLACEHOLDER);
        copied = to;
        i = i.max(to);
    }
    out.push_str(&text[copied..]);
    out
}

fn is_ipv4(candidate: &str) -> bool {
    let parts: Vec<&str> = candidate.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| (1..=3).contains(&p.len()) && p.parse::<u8>().is_ok())
}

/// Dotted quads: each maximal run of digits and dots, without leading and trailing dots
/// (an ellipsis, the end of a sentence), that is four numbers of 0 to 255.
fn scrub_ipv4(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
            continue;
        }
        let s = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let run = &text[s..i];
        let start = s + (run.len() - run.trim_start_matches('.').len());
        let end = s + run.trim_end_matches('.').len();
        if start < end && is_ipv4(&text[start..end]) {
            out.push_str(&text[copied..start]);
            out.push_str(PLACEHOLDER);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::scrub_ips;

    #[track_caller]
    fn scrubbed(input: &str, want: &str) {
        assert_eq!(scrub_ips(input), want, "scrubbing {input:?}");
    }

    #[test]
    fn ipv4_bare_with_port_and_in_sentences() {
        scrubbed("from 203.0.113.7: refused", "from [ip]: refused");
        scrubbed("connect 203.0.113.7:8080 failed", "connect [ip]:8080 failed");
        scrubbed("upstream=10.0.0.1:443,", "upstream=[ip]:443,");
        scrubbed("Pokémon 1.0.0.1.", "Pokémon [ip].");
        scrubbed("...192.168.0.1...", "...[ip]...");
        scrubbed("(0.0.0.0) and 255.255.255.255", "([ip]) and [ip]");
        scrubbed("peer:198.51.100.20", "peer:[ip]");
        scrubbed("host10.1.2.3", "host[ip]");
        scrubbed("203.0.113.7", "[ip]");
    }

    #[test]
    fn ipv6_compressed_full_upper_case_and_zoned() {
        scrubbed("client 2001:db8::1 and ::1", "client [ip] and [ip]");
        scrubbed("full 2001:0db8:0000:0000:0000:ff00:0042:8329 end", "full [ip] end");
        scrubbed("2001:DB8:85A3::8A2E:370:7334", "[ip]");
        scrubbed("link fe80::1%eth0 down", "link [ip] down");
        scrubbed("link fe80::abcd%25en0, retry", "link [ip], retry");
        scrubbed("prefix 2001:db8::/32 routed", "prefix [ip]/32 routed");
        scrubbed("ended at 2001:db8::1.", "ended at [ip].");
        scrubbed("ended at 2001:db8::1:", "ended at [ip]:");
        scrubbed("trailing 2001:db8:1:2:3:4:5:6", "trailing [ip]");
    }

    #[test]
    fn bracketed_ipv6_with_port() {
        scrubbed("[2001:db8:0:0::42]:443", "[ip]:443");
        scrubbed("http://[2001:db8::1]:8787/mcp", "http://[ip]:8787/mcp");
        scrubbed("[fe80::1%eth0]:22", "[ip]:22");
        scrubbed("[::1]", "[ip]");
    }

    #[test]
    fn ipv4_mapped_and_embedded_ipv6() {
        scrubbed("from ::ffff:203.0.113.7 today", "from [ip] today");
        scrubbed("::FFFF:10.0.0.1", "[ip]");
        scrubbed("[::ffff:203.0.113.7]:8080", "[ip]:8080");
        scrubbed("::ffff:203.0.113.7:8080", "[ip]:8080");
        scrubbed("nat64 64:ff9b::192.0.2.33.", "nat64 [ip].");
    }

    #[test]
    fn client_key_forms() {
        // What transport::client_key produces, and the ip: form with an IPv6 prefix.
        scrubbed("key ip:203.0.113.9 over quota", "key ip:[ip] over quota");
        scrubbed("ip6:2001:db8:1:2::/64", "ip6:[ip]/64");
        scrubbed("ip:2001:db8:1:2::/64", "ip:[ip]/64");
        scrubbed("ip:2001:db8::1", "ip:[ip]");
        scrubbed("ip6:::1", "ip6:[ip]");
        scrubbed("client_key=\"ip:203.0.113.9\"", "client_key=\"ip:[ip]\"");
    }

    #[test]
    fn the_key_forms_client_key_writes_are_caught() {
        for addr in ["203.0.113.9", "::ffff:203.0.113.7", "2001:db8:1:2:aaaa::1", "2001:db8:ffff:ffff::1"] {
            let key = crate::policy::client_key::from_ip(addr).expect("an address");
            let out = scrub_ips(&format!("limited {key} now"));
            assert!(out.contains("[ip]") && !out.contains(&key), "{key} → {out}");
            let addr_part = key.split_once(':').map(|(_, a)| a.trim_end_matches("::/64")).unwrap_or("");
            assert!(!out.contains(addr_part), "{key} → {out}");
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        for text in [
            "time 12:30, 12:30:45 and 2026-12-06T09:59:45.123Z",
            "durations 1:02:03:04 and 00:00",
            "versions 1.2.3, v0.2.130, 10.0.1 and 1.2.3.4.5",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "hashes deadbeef cafebabe a3f5c9e1d2b4 and 0xdeadbeef",
            "256.1.1.1 is no address, nor 1.2.3, nor 1.2.3.4444",
            "MAC aa:bb:cc:dd:ee:ff",
            "panicked at src/observe/scrub.rs:42:5: Error::decode failed in core::fmt",
            "Type::Add and Decode::Feed, std::io::Error",
            "Porygon2, Porygon-Z, Mr. Mime, Type: Null, Farfetch’d, Zygarde-10%, Dedenne, Flabébé",
            "a :: b, ::, :::, ..., 1.2.",
            "",
        ] {
            scrubbed(text, text);
        }
    }

    #[test]
    fn long_runs_of_address_characters_cost_linear_time() {
        // Runs holding no address (every candidate is refused), 400,000 characters each.
        let run = "1.1:".repeat(100_000);
        let started = std::time::Instant::now();
        scrubbed(&run, &run);
        let dots = "9.".repeat(200_000);
        scrubbed(&dots, &dots);
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
        // A run's last eight groups are an address, and go.
        scrubbed(
            &format!("{}2001:db8:1:2:3:4:5:6", "1.1:".repeat(1000)),
            &format!("{}[ip]", "1.1:".repeat(1000)),
        );
    }
}
