//! The IP scrubber (`observe::scrub::scrub_ips`): an address written any way it is written
//! (bare, with a port, bracketed, with a zone, IPv4-mapped, compressed or full, as a client key),
//! between any texts, never survives; it becomes `[ip]` and nothing around it changes. And text
//! made of what error messages hold besides addresses (times, versions, hashes, Pokémon) is kept.

use std::net::{Ipv4Addr, Ipv6Addr};

use porygon::scrub_ips;
use proptest::prelude::*;

use crate::support::{config, nasty_text, one_of_pool, species_names};

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

/// Segments are often zero, so that compression (`::`) appears in every position. The
/// unspecified address `::` is left out: it has no digit and identifies nobody.
fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    prop::array::uniform8(prop_oneof![2 => Just(0u16), 1 => Just(0xffff), 3 => any::<u16>()])
        .prop_map(Ipv6Addr::from)
        .prop_filter("not ::", |a| !a.is_unspecified())
}

/// The ways an IPv6 address is written: std's canonical compressed form, full with leading
/// zeros, full without them, upper case.
fn ipv6_text() -> impl Strategy<Value = String> {
    (ipv6(), 0..4u8).prop_map(|(a, style)| match style {
        0 => a.to_string(),
        1 => a.segments().iter().map(|s| format!("{s:04x}")).collect::<Vec<_>>().join(":"),
        2 => a.segments().iter().map(|s| format!("{s:x}")).collect::<Vec<_>>().join(":"),
        _ => a.to_string().to_uppercase(),
    })
}

/// (how it is written, the address text that must not survive, what it must become).
fn written_address() -> impl Strategy<Value = (String, String, String)> {
    let port = 1..=65535u32;
    let zone = "[a-z][a-z0-9]{0,7}";
    prop_oneof![
        ipv4().prop_map(|a| (a.to_string(), a.to_string(), "[ip]".to_owned())),
        (ipv4(), port.clone()).prop_map(|(a, p)| (format!("{a}:{p}"), a.to_string(), format!("[ip]:{p}"))),
        ipv6_text().prop_map(|a| (a.clone(), a, "[ip]".to_owned())),
        (ipv6_text(), port.clone()).prop_map(|(a, p)| (format!("[{a}]:{p}"), a, format!("[ip]:{p}"))),
        (ipv6_text(), zone).prop_map(|(a, z)| (format!("{a}%{z}"), a, "[ip]".to_owned())),
        (ipv6_text(), zone, port.clone()).prop_map(|(a, z, p)| (
            format!("[{a}%{z}]:{p}"),
            a,
            format!("[ip]:{p}")
        )),
        ipv4().prop_map(|a| (format!("::ffff:{a}"), a.to_string(), "[ip]".to_owned())),
        (ipv4(), port).prop_map(|(a, p)| (format!("[::ffff:{a}]:{p}"), a.to_string(), format!("[ip]:{p}"))),
        ipv4().prop_map(|a| (format!("ip:{a}"), a.to_string(), "ip:[ip]".to_owned())),
        // transport::client_key's IPv6 form: the /64 prefix.
        ipv6().prop_map(|a| {
            let s = a.segments();
            let prefix = format!("{:x}:{:x}:{:x}:{:x}::", s[0], s[1], s[2], s[3]);
            (format!("ip6:{prefix}/64"), prefix, "ip6:[ip]/64".to_owned())
        }),
    ]
}

/// Between an address and the text around it: what separates words in messages and logs.
fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        " ", "\n", "\t", "(", ")", ",", ";", "=", "\"", "'", "<", ">", "|", "/", " — ", "é",
    ])
}

/// Text shaped like addresses but not: times, versions, hashes, durations.
fn ordinary_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        one_of_pool(species_names),
        "[a-zA-Z]{1,10}",
        (0..24u8, 0..60u8, 0..60u8).prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}")),
        (0..24u8, 0..60u8).prop_map(|(h, m)| format!("{h}:{m:02}")),
        (0..100u16, 0..100u16, 0..1000u16).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        (0..100u16, 0..100u16, 0..1000u16).prop_map(|(a, b, c)| format!("v{a}.{b}.{c}")),
        "[0-9a-f]{7,64}",
        "[0-9A-F]{8,40}",
        "sha256:[0-9a-f]{64}",
        (0..1000u32).prop_map(|n| format!("{n}ms")),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// scrub(before + address + after) = scrub(before) + [ip] + scrub(after): the address is
    /// replaced whole, and nothing else changes. (Whether the address text occurs elsewhere is
    /// not asked: random text may well hold a `1::` the scrubber rightly leaves, as in `x1::`.)
    #[test]
    fn an_address_never_survives(
        before in nasty_text(),
        open in separator(),
        (written, address, replaced) in written_address(),
        close in separator(),
        after in nasty_text(),
    ) {
        let input = format!("{before}{open}{written}{close}{after}");
        let out = scrub_ips(&input);
        let want = format!("{}{open}{replaced}{close}{}", scrub_ips(&before), scrub_ips(&after));
        prop_assert_eq!(&out, &want, "input {:?}", input);
        prop_assert!(!replaced.contains(&address));
    }

    /// Several addresses in one message: all of them go.
    #[test]
    fn every_address_in_a_message_goes(
        parts in prop::collection::vec((ordinary_fragment(), separator(), written_address()), 1..6),
    ) {
        let mut input = String::new();
        for (text, sep, (written, _, _)) in &parts {
            input.push_str(&format!("{text}{sep}{written}{sep}"));
        }
        let out = scrub_ips(&input);
        for (_, _, (_, address, _)) in &parts {
            prop_assert!(!out.contains(address.as_str()), "{:?} survived in {:?}", address, out);
        }
        prop_assert_eq!(out.matches("[ip]").count(), parts.len(), "{:?}", out);
    }

    /// Messages without addresses come out unchanged.
    #[test]
    fn ordinary_text_is_kept(
        parts in prop::collection::vec((ordinary_fragment(), prop::sample::select(vec![" ", ", ", ": ", "; ", "\n"])), 0..12),
    ) {
        let text: String = parts.iter().map(|(f, s)| format!("{f}{s}")).collect();
        prop_assert_eq!(scrub_ips(&text), text);
    }
}
