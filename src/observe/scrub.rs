//! Keeps personal data out of error reports: anything shaped like an IP address in free text
//! (an upstream error message, a panic payload) is replaced before it leaves the Worker.

/// Replaces IPv4 addresses and IPv6-looking tokens (two or more `:` between hex groups) with
/// `[ip]`; everything else is kept as is.
pub fn scrub_ips(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars() {
        if c.is_ascii_hexdigit() || c == '.' || c == ':' {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn flush(token: &mut String, out: &mut String) {
    // Sentence punctuation after an address ("… from 10.0.0.1.") is not part of it.
    let core = token.trim_end_matches(['.', ':']);
    if is_ipv4(core) || is_ipv6(core) {
        out.push_str("[ip]");
        out.push_str(&token[core.len()..]);
    } else {
        out.push_str(token);
    }
    token.clear();
}

fn is_ipv4(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}

fn is_ipv6(token: &str) -> bool {
    token.matches(':').count() >= 2
        && token.split(':').all(|g| g.len() <= 4 && g.chars().all(|c| c.is_ascii_hexdigit()))
        && token.chars().any(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::scrub_ips;

    #[test]
    fn addresses_are_replaced_and_other_text_kept() {
        assert_eq!(scrub_ips("from 203.0.113.7: refused"), "from [ip]: refused");
        assert_eq!(scrub_ips("client 2001:db8::1 and ::ffff:1"), "client [ip] and [ip]");
        assert_eq!(scrub_ips("[2001:db8:0:0::42]:443"), "[[ip]]:443");
        assert_eq!(scrub_ips("version 1.2.3, time 12:30, deadbeef"), "version 1.2.3, time 12:30, deadbeef");
        assert_eq!(scrub_ips("256.1.1.1 is no address"), "256.1.1.1 is no address");
        assert_eq!(scrub_ips("Pokémon 1.0.0.1."), "Pokémon [ip].");
    }
}
