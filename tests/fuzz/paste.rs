//! The Showdown paste parser (`tools::team::parse_paste`): never panics, keeps its own
//! invariants on anything, and reads back every team a renderer writes — ours (everything a
//! Showdown export holds: nicknames, genders, levels, EVs/IVs, ...) and the corpus' own
//! (`PokemonSet::to_paste`, the pastes `get_popular_sets` hands out).

use porygon::{
    parse_paste, parse_sets, Format, Gender, PasteError, PasteSet, PasteStyle, Stat, StatSpread, Team,
    MAX_LINE_CHARS, MAX_MOVES, MAX_PASTE_CHARS, MAX_TEAM_SIZE,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use crate::support::{
    ability_names, config, item_names, move_names, nasty_text, nature_names, one_of_pool, species_names,
    TYPES,
};

// ---------------------------------------------------------------------------
// Anything in: no panic, and what comes out holds together.

/// Invariants of every parse, whatever the input.
fn check_invariants(input: &str, result: &Result<Team, PasteError>) -> Result<(), TestCaseError> {
    let lines = input.lines().flat_map(|l| l.split('\r')).count().max(1);
    match result {
        Ok(team) => {
            prop_assert!((1..=MAX_TEAM_SIZE).contains(&team.members.len()), "{} members", team.members.len());
            let mut previous_line = 0;
            for set in &team.members {
                // May be empty ("@ Leftovers"): validation reports that line, and keeps its moves
                // from being mistaken for another set's.
                prop_assert_eq!(set.species.trim(), set.species.as_str());
                prop_assert!(set.moves.len() <= MAX_MOVES);
                prop_assert!(set.moves.iter().all(|m| !m.trim().is_empty()), "{:?}", set.moves);
                prop_assert!(set.line > previous_line && set.line <= lines, "line {} of {}", set.line, lines);
                previous_line = set.line;
                prop_assert!(set.level.is_none_or(|l| (1..=100).contains(&l)));
                for text in [&set.nickname, &set.item, &set.ability, &set.tera_type, &set.nature]
                    .into_iter()
                    .flatten()
                {
                    prop_assert!(!text.is_empty() && text.trim() == text, "{:?}", text);
                }
            }
            for p in &team.problems {
                prop_assert!(p.pokemon_index.is_none_or(|i| i < team.members.len()), "{:?}", p);
                prop_assert!(!p.message.is_empty());
                // Messages quote the paste, clipped: bounded whatever the input.
                prop_assert!(p.message.chars().count() < 400, "{} chars", p.message.chars().count());
            }
        }
        Err(PasteError::LineTooLong { line, chars, max }) => {
            prop_assert!(*line <= lines && *chars > *max && *max == MAX_LINE_CHARS);
        }
        Err(PasteError::Binary { line, code }) => {
            prop_assert!(*line <= lines);
            prop_assert!(char::from_u32(*code).is_some_and(char::is_control));
        }
        Err(PasteError::TooManyPokemon { line, max }) => {
            prop_assert!(*line <= lines && *max == MAX_TEAM_SIZE);
        }
        Err(PasteError::TooLong { chars, max }) => {
            prop_assert!(*chars > *max && *chars == input.chars().count());
        }
        Err(PasteError::Empty) => {
            // Whitespace and byte-order marks only.
            let blank = input.chars().all(|c| c.is_whitespace() || c == '\u{feff}');
            prop_assert!(blank, "not empty: {:?}", input);
        }
        Err(PasteError::NoPokemon) => {}
    }
    Ok(())
}

/// A line as people paste them: real lines, near misses, and junk.
fn paste_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (one_of_pool(species_names), prop::option::of(one_of_pool(item_names)))
            .prop_map(|(s, i)| i.map_or(s.clone(), |i| format!("{s} @ {i}"))),
        3 => one_of_pool(move_names).prop_map(|m| format!("- {m}")),
        1 => one_of_pool(ability_names).prop_map(|a| format!("Ability: {a}")),
        1 => one_of_pool(nature_names).prop_map(|n| format!("{n} Nature")),
        1 => "(EVs|IVs): ([0-9]{0,4} ?(HP|Atk|Def|SpA|SpD|Spe|Spc|Foo)? ?/? ?){0,7}",
        1 => "(Level|Happiness|Shiny|Tera Type|Friendship|Dynamax Level|Gigantamax|Hidden Power|Pokeball): .{0,8}",
        1 => "=== ?(\\[[a-z0-9 ]{0,12}\\])? ?.{0,8} ?=*",
        1 => "\\[Gen [0-9]\\] .{0,8}",
        2 => Just(String::new()),
        1 => "[ \t]{0,4}",
        1 => prop::sample::select(vec!["@", "@@@ @ @", "()", "(((", ")))", "(M)", "(F)", " @ Leftovers", "- ", "~", ":", "a:b:c", "Nature", " Nature", "(No Item)", "\u{feff}"]).prop_map(str::to_owned),
        2 => nasty_text(),
    ]
}

fn line_ending() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["\n", "\r\n", "\r", "\n\n", "\r\r\n"])
}

pub(crate) fn junk_paste() -> impl Strategy<Value = String> {
    prop::collection::vec((paste_line(), line_ending()), 0..40)
        .prop_map(|lines| lines.into_iter().flat_map(|(l, e)| [l, e.to_owned()]).collect())
}

/// Inputs that press on the size limits: long lines, many lines, multi-byte characters.
fn oversized() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "x",
            "é",
            "\u{1F600}",
            " ",
            "\t",
            "- Earthquake\n",
            "\n",
            "Garchomp\n- Earthquake\n\n",
            "\r\n",
        ]),
        0usize..25_000,
        any::<bool>(),
    )
        .prop_map(|(unit, n, prefix)| format!("{}{}", if prefix { "Garchomp\n" } else { "" }, unit.repeat(n)))
}

// ---------------------------------------------------------------------------
// Structured teams, rendered as Showdown exports them.

/// Showdown's name rules (`Dex.getName`): no `|`, `,`, `[` or `]`, single spaces, trimmed, at
/// most 18 characters. `===` would start a team header in Showdown's importer too.
fn nickname() -> impl Strategy<Value = String> {
    // JavaScript's `\s` (getName's) also covers U+FEFF.
    let word = "[^|,\\[\\]\\s\\p{Cc}\u{202e}\u{feff}]{1,6}";
    prop::collection::vec(word, 1..4)
        .prop_map(|words| words.join(" ").chars().take(18).collect::<String>().trim().to_owned())
        // " @ " before the species would be an item separator to Showdown too.
        .prop_filter("a nickname", |n| {
            !n.is_empty() && !n.starts_with("===") && !n.contains(" @ ") && !n.ends_with(" @")
        })
}

fn spread(max: u16) -> impl Strategy<Value = Option<StatSpread>> {
    prop::option::of(
        [
            prop::option::of(0..=max),
            prop::option::of(0..=max),
            prop::option::of(0..=max),
            prop::option::of(0..=max),
            prop::option::of(0..=max),
            prop::option::of(0..=max),
        ]
        .prop_filter("names a stat", |v| v.iter().any(Option::is_some))
        .prop_map(|[hp, atk, def, spa, spd, spe]| StatSpread { hp, atk, def, spa, spd, spe }),
    )
}

fn paste_set() -> impl Strategy<Value = PasteSet> {
    (
        (
            prop::option::of(nickname()),
            one_of_pool(species_names),
            prop::option::of(prop::sample::select(vec![Gender::M, Gender::F])),
            prop::option::of(one_of_pool(item_names)),
            prop::option::of(one_of_pool(ability_names)),
            prop::option::of(1u8..=100),
            any::<bool>(),
        ),
        (
            prop::option::of(any::<u8>()),
            prop::option::of(prop::sample::select(TYPES.to_vec()).prop_map(str::to_owned)),
            spread(255),
            spread(31),
            prop::option::of(one_of_pool(nature_names)),
            prop::collection::vec(one_of_pool(move_names), 0..=MAX_MOVES),
        ),
    )
        .prop_map(
            |(
                (nickname, species, gender, item, ability, level, shiny),
                (happiness, tera_type, evs, ivs, nature, moves),
            )| {
                PasteSet {
                    line: 0,
                    nickname,
                    species,
                    gender,
                    item,
                    ability,
                    level,
                    shiny,
                    happiness,
                    tera_type,
                    evs,
                    ivs,
                    nature,
                    moves,
                }
            },
        )
}

/// How one export is laid out: what a person's editor or chat client may have done to it.
#[derive(Debug, Clone)]
struct Layout {
    ending: &'static str,
    /// Blank lines between sets (whitespace-only lines count as blank).
    gap: Vec<String>,
    indent: &'static str,
    trailing: &'static str,
    move_prefix: &'static str,
    bom: bool,
    header: Option<&'static str>,
    /// Lines Showdown writes that the analysis ignores.
    extras: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        prop::collection::vec(
            prop::sample::select(vec!["", " ", "\t", "  \t "]).prop_map(str::to_owned),
            1..3,
        ),
        prop::sample::select(vec!["", " ", "  ", "\t"]),
        prop::sample::select(vec!["", " ", "\t", "  "]),
        prop::sample::select(vec!["- ", "-", "~ ", "-  "]),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec![
            "gen9ou",
            "gen8ubers",
            "gen4ou",
            "gen9vgc2024",
            "gen1ou",
        ])),
        any::<bool>(),
    )
        .prop_map(|(ending, gap, indent, trailing, move_prefix, bom, header, extras)| Layout {
            ending,
            gap,
            indent,
            trailing,
            move_prefix,
            bom,
            header,
            extras,
        })
}

fn spread_text(s: &StatSpread) -> String {
    s.named().map(|(label, v)| format!("{v} {label}")).collect::<Vec<_>>().join(" / ")
}

/// Renders `team` as Showdown's export does, recording each set's species line.
fn render(team: &mut [PasteSet], layout: &Layout) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(format) = layout.header {
        lines.push(format!("=== [{format}] Fuzzed team ==="));
        lines.extend(layout.gap.iter().cloned());
    }
    for (i, set) in team.iter_mut().enumerate() {
        if i > 0 {
            lines.extend(layout.gap.iter().cloned());
        }
        let mut first = match &set.nickname {
            Some(nick) => format!("{nick} ({})", set.species),
            None => set.species.clone(),
        };
        match set.gender {
            Some(Gender::M) => first.push_str(" (M)"),
            Some(Gender::F) => first.push_str(" (F)"),
            None => {}
        }
        if let Some(item) = &set.item {
            first.push_str(&format!(" @ {item}"));
        }
        set.line = lines.len() + 1;
        let mut body = vec![first];
        body.extend(set.ability.as_ref().map(|a| format!("Ability: {a}")));
        body.extend(set.level.map(|l| format!("Level: {l}")));
        if set.shiny {
            body.push("Shiny: Yes".into());
        }
        body.extend(set.happiness.map(|h| format!("Happiness: {h}")));
        if layout.extras {
            body.push("Dynamax Level: 10".into());
            body.push("Gigantamax: Yes".into());
        }
        body.extend(set.tera_type.as_ref().map(|t| format!("Tera Type: {t}")));
        body.extend(set.evs.as_ref().map(|s| format!("EVs: {}", spread_text(s))));
        body.extend(set.nature.as_ref().map(|n| format!("{n} Nature")));
        body.extend(set.ivs.as_ref().map(|s| format!("IVs: {}", spread_text(s))));
        body.extend(set.moves.iter().map(|m| format!("{}{m}", layout.move_prefix)));
        lines.extend(body.into_iter().map(|l| format!("{}{l}{}", layout.indent, layout.trailing)));
    }
    let text = lines.join(layout.ending) + layout.ending;
    if layout.bom {
        format!("{}{text}", '\u{feff}')
    } else {
        text
    }
}

/// A valid team's paste, in any layout (for the tools that take one).
pub(crate) fn team_paste() -> BoxedStrategy<String> {
    (prop::collection::vec(paste_set(), 1..=MAX_TEAM_SIZE), layout())
        .prop_map(|(mut team, layout)| render(&mut team, &layout))
        .boxed()
}

// ---------------------------------------------------------------------------
// The corpus' own renderer: Smogon sets → `PokemonSet::to_paste`.

/// One Smogon set as data.pkmn.cc writes it, options and all.
fn smogon_set_json() -> impl Strategy<Value = (String, Value, u8)> {
    let options = |pool: fn() -> &'static [String]| prop::collection::vec(one_of_pool(pool), 0..3);
    let stats = |max: u16| {
        prop::collection::vec(
            prop::collection::btree_map(
                prop::sample::select(vec!["hp", "atk", "def", "spa", "spd", "spe"]),
                0..=max,
                0..6,
            ),
            0..3,
        )
    };
    (
        one_of_pool(species_names),
        prop::collection::vec(options(move_names).prop_filter("a move", |m| !m.is_empty()), 1..=MAX_MOVES),
        options(ability_names),
        options(item_names),
        options(nature_names),
        prop::collection::vec(prop::sample::select(TYPES.to_vec()), 0..3),
        stats(255),
        stats(31),
        1u8..=9,
    )
        .prop_map(|(species, moves, ability, item, nature, tera, evs, ivs, gen)| {
            // A single option is written bare, as the files do.
            let one_or_many = |v: Vec<Value>| if v.len() == 1 { v[0].clone() } else { Value::Array(v) };
            let strings = |v: Vec<String>| one_or_many(v.into_iter().map(Value::from).collect());
            let mut set = Map::new();
            set.insert("moves".into(), Value::Array(moves.into_iter().map(strings).collect()));
            for (key, v) in [("ability", ability), ("item", item), ("nature", nature)] {
                if !v.is_empty() {
                    set.insert(key.into(), strings(v));
                }
            }
            if !tera.is_empty() {
                set.insert("teratypes".into(), strings(tera.into_iter().map(str::to_owned).collect()));
            }
            for (key, spreads) in [("evs", evs), ("ivs", ivs)] {
                if !spreads.is_empty() {
                    set.insert(key.into(), one_or_many(spreads.into_iter().map(|s| json!(s)).collect()));
                }
            }
            let file = json!({ species.clone(): { "Fuzzed": Value::Object(set) } });
            (species, file, gen)
        })
}

proptest! {
    #![proptest_config(config(1_000))]

    #[test]
    fn never_panics_on_anything(input in prop_oneof![
        3 => junk_paste(),
        2 => any::<String>(),
        1 => oversized(),
        1 => prop::collection::vec(any::<u8>(), 0..600).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]) {
        let result = parse_paste(&input);
        check_invariants(&input, &result)?;
    }

    /// Line endings and the whitespace around lines do not change what a paste says.
    #[test]
    fn line_endings_and_padding_do_not_matter(
        lines in prop::collection::vec(paste_line().prop_filter("one line", |l| !l.contains(['\r', '\n', '\u{85}'])), 1..30),
        ending in prop::sample::select(vec!["\r\n", "\r"]),
        pad in prop::sample::select(vec![" ", "\t", " \t "]),
    ) {
        let plain = parse_paste(&lines.join("\n"));
        check_invariants(&lines.join("\n"), &plain)?;
        prop_assert_eq!(&parse_paste(&lines.join(ending)), &plain, "with {:?} line endings", ending);
        let padded: Vec<String> = lines.iter().map(|l| format!("{pad}{l}{pad}")).collect();
        let padded_result = parse_paste(&padded.join("\n"));
        if !matches!(padded_result, Err(PasteError::LineTooLong { .. } | PasteError::TooLong { .. })) {
            prop_assert_eq!(&padded_result, &plain, "padded with {:?}", pad);
        }
    }

    /// Render → parse gives back the same team, in any layout an export may arrive in.
    #[test]
    fn showdown_exports_round_trip(mut team in prop::collection::vec(paste_set(), 1..=MAX_TEAM_SIZE), layout in layout()) {
        let text = render(&mut team, &layout);
        let parsed = parse_paste(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert!(parsed.problems.is_empty(), "{:?}\n{}", parsed.problems, text);
        prop_assert_eq!(&parsed.members, &team, "\n{}", text);
        prop_assert_eq!(parsed.header_format.as_ref().map(Format::id), layout.header, "\n{}", text);
    }

    /// The corpus' pastes (Smogon sets, main options) read back as the set they came from.
    #[test]
    fn corpus_pastes_round_trip((species, file, gen) in smogon_set_json()) {
        let sets = parse_sets(&file.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(sets.skipped.len(), 0, "{:?}", sets.skipped);
        let set = &sets.species[0].sets[0];
        let text = set.to_paste(&species, gen, PasteStyle::Importable);
        let team = parse_paste(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert!(team.problems.is_empty(), "{:?}\n{}", team.problems, text);
        prop_assert_eq!(team.members.len(), 1);
        let got = &team.members[0];
        prop_assert_eq!(&got.species, &species);
        prop_assert_eq!(got.item.as_ref(), set.item.first(), "\n{}", text);
        prop_assert_eq!(got.ability.as_ref(), set.ability.first());
        prop_assert_eq!(got.nature.as_ref(), set.nature.first());
        prop_assert_eq!(got.tera_type.as_ref(), set.tera_types.first().filter(|_| gen >= 9));
        let firsts: Vec<&String> = set.moves.iter().map(|slot| &slot[0]).collect();
        prop_assert_eq!(got.moves.iter().collect::<Vec<_>>(), firsts);
        for (spread, values, default) in [(&got.evs, set.evs.first(), 0), (&got.ivs, set.ivs.first(), 31)] {
            let named: Vec<(&str, u16)> = spread.iter().flat_map(porygon::StatSpread::named).collect();
            for stat in Stat::ALL {
                let want = values.and_then(|v| v.given(stat)).unwrap_or(default);
                let have = named.iter().find(|(label, _)| *label == stat.label()).map_or(default, |(_, v)| *v);
                prop_assert_eq!(have, want, "{} in\n{}", stat.label(), text);
            }
        }
    }
}

#[test]
fn size_limits_are_exact() {
    // The generators reach the limits; pin them here so a change to them is deliberate.
    assert_eq!((MAX_PASTE_CHARS, MAX_LINE_CHARS), (20_000, 500));
}
