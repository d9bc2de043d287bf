//! What the properties share: the case budget and pools of real names from the dex.

use std::sync::OnceLock;

use porygon::dex;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// A request body; shown as text when a case fails.
#[derive(Clone, PartialEq)]
pub(crate) struct Bytes(pub Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// `cases` per property unless `PROPTEST_CASES` says otherwise (`make fuzz` sets 20,000).
/// The defaults keep the whole set to a few seconds of `cargo test` on two cores.
pub(crate) fn config(default_cases: u32) -> Config {
    let cases =
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default_cases);
    Config::with_cases(cases)
}

fn pool(cell: &'static OnceLock<Vec<String>>, fill: impl FnOnce() -> Vec<String>) -> &'static [String] {
    cell.get_or_init(|| {
        let names = fill();
        assert!(!names.is_empty(), "an empty name pool makes the generators meaningless");
        names
    })
}

/// Every species name in the dex ("Great Tusk", "Type: Null", "Farfetch’d", "Zygarde-10%", ...).
pub(crate) fn species_names() -> &'static [String] {
    static CELL: OnceLock<Vec<String>> = OnceLock::new();
    pool(&CELL, || dex().complete_species("", usize::MAX))
}

pub(crate) fn move_names() -> &'static [String] {
    static CELL: OnceLock<Vec<String>> = OnceLock::new();
    pool(&CELL, || dex().moves().complete("", usize::MAX))
}

pub(crate) fn item_names() -> &'static [String] {
    static CELL: OnceLock<Vec<String>> = OnceLock::new();
    pool(&CELL, || dex().items().complete("", usize::MAX))
}

pub(crate) fn ability_names() -> &'static [String] {
    static CELL: OnceLock<Vec<String>> = OnceLock::new();
    pool(&CELL, || dex().abilities().complete("", usize::MAX))
}

pub(crate) fn nature_names() -> &'static [String] {
    static CELL: OnceLock<Vec<String>> = OnceLock::new();
    pool(&CELL, || dex().natures().iter().map(|n| n.name.clone()).collect())
}

pub(crate) const TYPES: [&str; 19] = [
    "Normal", "Fire", "Water", "Electric", "Grass", "Ice", "Fighting", "Poison", "Ground", "Flying",
    "Psychic", "Bug", "Rock", "Ghost", "Dragon", "Dark", "Steel", "Fairy", "Stellar",
];

pub(crate) const FORMATS: [&str; 10] =
    ["gen9ou", "gen9uu", "gen9vgc2024", "gen8ou", "gen7ou", "gen4ou", "gen2nu", "gen1ou", "gen9nope", "ou"];

/// One name drawn from a pool.
pub(crate) fn one_of_pool(pool: fn() -> &'static [String]) -> impl Strategy<Value = String> {
    any::<prop::sample::Index>().prop_map(move |i| i.get(pool()).clone())
}

/// Text that looks like what people type, with a taste of everything hostile: FTS5 syntax,
/// JSON and header punctuation, control characters, emoji, combining marks, RTL overrides.
pub(crate) fn nasty_text() -> BoxedStrategy<String> {
    let fragment = prop_oneof![
        4 => "[a-zA-Z0-9 ]{0,12}",
        2 => one_of_pool(species_names),
        1 => one_of_pool(move_names),
        2 => prop::sample::select(vec![
            "\"", "\"\"", "'", "NEAR(", "NEAR/3", ")", "(", "-", "*", "^", ":", "+", "{", "}", ",", " AND ", " OR ",
            " NOT ", "AND", "OR", "NOT", "\0", "\u{1F600}", "\u{1F9D1}\u{200D}\u{1F373}", "\u{301}", "\u{202E}",
            "\u{FEFF}", "\r\n", "\t", "\n", "\\", "/", "%", "%2F", "=?base64?", "?=", "@", "[", "]", "|", "İ", "ß",
            "ǅ", "ꭰ", "Ⅷ", "٣", "\u{FFFD}", "\u{2028}", "\u{85}", "title:", "body:", "pokemon:", "{pokemon body}:",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    prop::collection::vec(fragment, 0..8).prop_map(|parts| parts.concat()).boxed()
}
