use super::*;

fn row(rowid: i64, pokemon: &str, section: &str, body: &str) -> SnapshotRow {
    SnapshotRow {
        rowid,
        fts_pokemon: format!("{pokemon} {}", pokemon.to_lowercase()),
        fts_section: section.into(),
        fts_set_name: String::new(),
        body: body.into(),
        listed: true,
        key: format!("gen9ou:{rowid}"),
        pokemon_id: pokemon.to_lowercase(),
        pokemon_name: pokemon.into(),
        format: "gen9ou".into(),
        section: section.into(),
        set_name: None,
        source_url: "https://www.smogon.com/dex/sv/pokemon/".into(),
        data_month: None,
    }
}

fn ask(query: &str) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        limit: 10,
        pokemon_id: None,
        pokemon_ids: vec![],
        section: None,
        phrase: false,
    }
}

fn keys(hits: &[SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.key.as_str()).collect()
}

#[test]
fn tokenizes_like_unicode61_with_diacritics_removed() {
    assert_eq!(
        tokenize("Flabébé's Fairy-type ±5 — ÆON ſtar Ÿes").unwrap(),
        ["flabebe", "s", "fairy", "type", "5", "æon", "star", "yes"]
    );
    assert_eq!(tokenize("‘quoted’ “twice”…").unwrap(), ["quoted", "twice"]);
    assert_eq!(tokenize("日本"), Err(0x65E5));
    assert_eq!(tokenize("a\u{2066}b"), Err(0x2066), "a code point SQLite versions disagree on");
}

#[test]
fn a_document_with_an_unknown_character_makes_no_copy() {
    let rows = vec![row(1, "Kingambit", "overview", "fine"), row(2, "Gholdengo", "overview", "Surf 波")];
    assert_eq!(
        IsolateIndex::build(rows).err(),
        Some(Uncopyable::UnknownCharacter { key: "gen9ou:2".into(), code: 0x6CE2 })
    );
}

#[test]
fn a_query_with_an_unknown_character_is_declined_and_an_empty_one_finds_nothing() {
    let copy = IsolateIndex::build(vec![row(1, "Kingambit", "overview", "sucker punch")]).unwrap();
    assert_eq!(copy.search(&ask("sucker 波")), None);
    assert_eq!(copy.search(&ask("what is the best")), Some(vec![]));
    assert_eq!(copy.search(&ask("sucker")).unwrap().len(), 1);
}

#[test]
fn scores_are_fts5_bm25_with_the_column_weights() {
    // Two rows, 4 and 6 tokens (pokemon column "Kingambit kingambit" + section + body).
    let copy = IsolateIndex::build(vec![
        row(1, "Kingambit", "moves", "punch"),
        row(2, "Gholdengo", "moves", "kingambit punch punch"),
    ])
    .unwrap();
    let hits = copy.search(&ask("kingambit")).unwrap();
    // Both rows hold the token: n = 2 of N = 2, IDF floored to 1e-6. Row 1 has it twice in the
    // weight-4 column (f = 8), row 2 once in the body (f = 1); avgdl = 10 / 2.
    let bm25 = |f: f64, len: f64| 1e-6 * ((f * 2.2) / (f + 1.2 * (1.0 - 0.75 + 0.75 * len / 5.0)));
    assert_eq!(keys(&hits), ["gen9ou:1", "gen9ou:2"]);
    assert_eq!(hits[0].score, bm25(8.0, 4.0));
    assert_eq!(hits[1].score, bm25(1.0, 6.0));
    // A token in one row of two: IDF ln(1.5 / 1.5) = 0, floored too; one in one row of three:
    // ln(2.5 / 1.5).
    let copy = IsolateIndex::build(vec![
        row(1, "Kingambit", "moves", "punch"),
        row(2, "Gholdengo", "moves", "surf"),
        row(3, "Dragapult", "moves", "surf"),
    ])
    .unwrap();
    let hits = copy.search(&ask("punch")).unwrap();
    let avgdl = 12.0 / 3.0;
    let expected = (2.5f64 / 1.5).ln() * ((1.0 * 2.2) / (1.0 + 1.2 * (1.0 - 0.75 + 0.75 * 4.0 / avgdl)));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].score, expected);
}

#[test]
fn a_phrase_matches_consecutive_tokens_of_one_column_only() {
    let copy = IsolateIndex::build(vec![
        row(1, "Kingambit", "moves", "swords dance then sucker punch"),
        row(2, "Gholdengo", "swords", "dance sucker punch"),
        row(3, "Dragapult", "moves", "dance swords"),
    ])
    .unwrap();
    let phrase = SearchRequest { phrase: true, ..ask("Swords Dance") };
    assert_eq!(keys(&copy.search(&phrase).unwrap()), ["gen9ou:1"]);
    let phrase = SearchRequest { phrase: true, ..ask("sucker punch") };
    let hits = copy.search(&phrase).unwrap();
    assert_eq!(hits.len(), 2);
}

#[test]
fn filters_apply_after_scoring_and_rows_without_documents_still_count() {
    let mut orphan = row(4, "Zapdos", "moves", "punch punch punch");
    orphan.listed = false;
    let rows = vec![
        row(1, "Kingambit", "moves", "punch"),
        row(2, "Gholdengo", "sets", "punch"),
        row(3, "Dragapult", "moves", "surf"),
        orphan,
    ];
    let copy = IsolateIndex::build(rows.clone()).unwrap();
    let all = copy.search(&ask("punch")).unwrap();
    assert_eq!(keys(&all), ["gen9ou:1", "gen9ou:2"], "the orphan is never returned");
    let without_orphan = IsolateIndex::build(rows[..3].to_vec()).unwrap().search(&ask("punch")).unwrap();
    assert_ne!(all[0].score, without_orphan[0].score, "but it counts in N, n and the average length");
    let section = SearchRequest { section: Some("sets".into()), ..ask("punch") };
    assert_eq!(keys(&copy.search(&section).unwrap()), ["gen9ou:2"]);
    let one = SearchRequest { pokemon_id: Some("kingambit".into()), ..ask("punch") };
    assert_eq!(keys(&copy.search(&one).unwrap()), ["gen9ou:1"]);
    let some =
        SearchRequest { pokemon_ids: vec!["dragapult".into(), "gholdengo".into()], ..ask("punch surf") };
    assert_eq!(keys(&copy.search(&some).unwrap()), ["gen9ou:3", "gen9ou:2"], "surf is the rarer word");
    assert_eq!(all[0].score, copy.search(&section).unwrap()[0].score, "same statistics, filtered or not");
}

#[test]
fn ties_keep_rowid_order_and_the_limit_is_clamped() {
    let rows: Vec<SnapshotRow> = (0..150).rev().map(|i| row(i, "Kingambit", "moves", "punch")).collect();
    let copy = IsolateIndex::build(rows).unwrap();
    let hits = copy.search(&SearchRequest { limit: 500, ..ask("punch") }).unwrap();
    assert_eq!(hits.len(), 100);
    let expected: Vec<String> = (0..100).map(|i| format!("gen9ou:{i}")).collect();
    assert_eq!(keys(&hits), expected);
    assert_eq!(copy.search(&SearchRequest { limit: 0, ..ask("punch") }).unwrap().len(), 1);
}

fn copy_of(body: &str) -> IsolateIndex {
    IsolateIndex::build(vec![row(1, "Kingambit", "moves", body)]).unwrap()
}

fn used(lookup: Lookup) -> Option<String> {
    match lookup {
        Lookup::Use(c) | Lookup::UseAndLoad(c) => Some(c.search(&ask("punch surf")).unwrap()[0].text.clone()),
        Lookup::AskAndLoad | Lookup::Ask => None,
    }
}

#[test]
fn one_load_per_format_then_the_copy_serves_its_version_only() {
    let t = MIN_LOAD_INTERVAL_MS;
    let mut copies = IsolateIndexes::new(1 << 20);
    assert!(matches!(copies.lookup("gen9ou", "v1", 0), Lookup::AskAndLoad));
    assert!(matches!(copies.lookup("gen9ou", "v1", 5), Lookup::Ask), "one load at a time");
    copies.loaded("gen9ou", "v1", 10, Ok(copy_of("punch")));
    assert_eq!(used(copies.lookup("gen9ou", "v1", 20)).as_deref(), Some("punch"));
    // An ingestion run moved the version: the copy is not used, a new one loads.
    assert!(matches!(copies.lookup("gen9ou", "v2", t), Lookup::AskAndLoad));
    copies.loaded("gen9ou", "v2", t + 10, Ok(copy_of("surf")));
    assert_eq!(used(copies.lookup("gen9ou", "v2", t + 20)).as_deref(), Some("surf"));
}

#[test]
fn an_old_copy_keeps_serving_while_its_successor_loads() {
    let mut copies = IsolateIndexes::new(1 << 20);
    copies.lookup("gen9ou", "v1", 0);
    copies.loaded("gen9ou", "v1", 0, Ok(copy_of("punch")));
    let later = MAX_COPY_AGE_MS + 1;
    assert!(matches!(copies.lookup("gen9ou", "v1", later), Lookup::UseAndLoad(_)));
    assert!(matches!(copies.lookup("gen9ou", "v1", later + 1), Lookup::Use(_)), "one refresh at a time");
    assert!(matches!(copies.lookup("gen9ou", "v2", later + 2), Lookup::Ask), "not under another version");
    copies.loaded("gen9ou", "v1", later + 3, Ok(copy_of("surf")));
    assert_eq!(used(copies.lookup("gen9ou", "v1", later + 4)).as_deref(), Some("surf"));
}

#[test]
fn refusals_wait_lost_loads_expire_and_the_budget_evicts_the_least_recently_used() {
    let mut copies = IsolateIndexes::new(1 << 20);
    copies.lookup("gen9ou", "v1", 0);
    copies.loaded("gen9ou", "v1", 0, Err("unknown character".into()));
    assert!(matches!(copies.lookup("gen9ou", "v1", RETRY_AFTER_MS - 1), Lookup::Ask));
    assert!(matches!(copies.lookup("gen9ou", "v1", RETRY_AFTER_MS), Lookup::AskAndLoad));
    assert!(matches!(copies.lookup("gen9ou", "v1", RETRY_AFTER_MS + LOAD_TIMEOUT_MS), Lookup::AskAndLoad));

    let t = MIN_LOAD_INTERVAL_MS;
    let size = copy_of("punch").bytes();
    let mut copies = IsolateIndexes::new(2 * size);
    for (at, format) in ["gen9ou", "gen9uu", "gen9ru"].into_iter().enumerate() {
        let at = 2 * t * at as i64;
        copies.lookup("gen9ou", "v1", at); // gen9ou stays the most recently used
        copies.lookup(format, "v1", at + t);
        copies.loaded(format, "v1", at + t, Ok(copy_of("punch")));
    }
    assert!(copies.held_bytes() <= 2 * size);
    let end = 10 * t;
    assert!(matches!(copies.lookup("gen9ou", "v1", end), Lookup::Use(_)));
    assert!(matches!(copies.lookup("gen9ru", "v1", end), Lookup::Use(_)));
    assert!(matches!(copies.lookup("gen9uu", "v1", end), Lookup::AskAndLoad), "evicted");
    // Larger than the whole budget: refused, never held.
    let mut small = IsolateIndexes::new(size - 1);
    small.lookup("gen9ou", "v1", 0);
    small.loaded("gen9ou", "v1", 0, Ok(copy_of("punch")));
    assert_eq!(small.held_bytes(), 0);
    assert!(matches!(small.lookup("gen9ou", "v1", 1), Lookup::Ask));
    // A budget of 0 turns copies off.
    let mut off = IsolateIndexes::new(0);
    assert!(matches!(off.lookup("gen9ou", "v1", 0), Lookup::Ask));
}

#[test]
fn questions_cycling_through_formats_start_at_most_one_load_a_second() {
    // Room for one copy, questions alternating between 20 formats every 10 ms for a minute: an
    // attacker's way to make every question a snapshot read.
    let size = copy_of("punch").bytes();
    let mut copies = IsolateIndexes::new(size);
    let (mut loads, mut last) = (0, None::<i64>);
    for step in 0..6_000i64 {
        let now = step * 10;
        let format = format!("gen{}", step % 20);
        if let Lookup::AskAndLoad | Lookup::UseAndLoad(_) = copies.lookup(&format, "v1", now) {
            assert!(last.is_none_or(|t| now - t >= MIN_LOAD_INTERVAL_MS), "two loads within a second");
            loads += 1;
            last = Some(now);
            copies.loaded(&format, "v1", now + 5, Ok(copy_of("punch")));
        }
    }
    assert!(loads <= 60, "{loads} loads in a minute");
    assert!(copies.held_bytes() <= size);
}

/// The copy against SQLite's own FTS5 (rusqlite, bundled): the schema and query of
/// `IndexObject`, random rows over every character the copy knows, random queries.
mod against_sqlite {
    use super::*;
    use proptest::prelude::*;
    use rusqlite::{params, Connection};

    const WORDS: &[&str] = &[
        "punch",
        "Surf",
        "tera",
        "Flabébé",
        "pokémon",
        "ÆON",
        "straße",
        "łódź",
        "İstanbul",
        "sucker",
        "dance",
    ];

    fn word() -> impl Strategy<Value = String> {
        let known = prop_oneof![
            (0x20u32..0x7f).prop_map(|c| char::from_u32(c).unwrap()),
            (0xa0u32..0x180).prop_map(|c| char::from_u32(c).unwrap()),
            (0x2000u32..0x2060).prop_map(|c| char::from_u32(c).unwrap()),
        ];
        prop_oneof![
            3 => proptest::sample::select(WORDS).prop_map(str::to_owned),
            2 => proptest::collection::vec(known, 1..4).prop_map(|cs| cs.into_iter().collect()),
        ]
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(word(), 0..max).prop_map(|ws| ws.join(" "))
    }

    fn rows() -> impl Strategy<Value = Vec<SnapshotRow>> {
        proptest::collection::vec((text(3), text(2), text(30), 0u8..3, any::<bool>()), 1..25).prop_map(
            |docs| {
                docs.into_iter()
                    .enumerate()
                    .map(|(i, (pokemon, set_name, body, who, listed))| {
                        let id = ["kingambit", "gholdengo", "flabebe"][usize::from(who)];
                        let mut r = row(i as i64 * 2 + 1, id, ["overview", "set"][i % 2], &body);
                        r.fts_pokemon = format!("{pokemon} {id}");
                        r.fts_set_name = set_name.clone();
                        r.set_name = (!set_name.is_empty()).then_some(set_name);
                        r.listed = listed || i == 0;
                        r
                    })
                    .collect()
            },
        )
    }

    fn sqlite(rows: &[SnapshotRow], request: &SearchRequest) -> Vec<SearchHit> {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE docs (key TEXT PRIMARY KEY, pokemon_id TEXT NOT NULL, pokemon_name TEXT NOT NULL,
                format TEXT NOT NULL, section TEXT NOT NULL, set_name TEXT, source_url TEXT NOT NULL, data_month TEXT);
             CREATE VIRTUAL TABLE docs_fts USING fts5(key UNINDEXED, pokemon, section, set_name, body,
                tokenize = 'unicode61 remove_diacritics 2');",
        )
        .unwrap();
        for r in rows {
            if r.listed {
                db.execute(
                    "INSERT INTO docs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        r.key,
                        r.pokemon_id,
                        r.pokemon_name,
                        r.format,
                        r.section,
                        r.set_name,
                        r.source_url,
                        r.data_month
                    ],
                )
                .unwrap();
            }
            let key = if r.listed { r.key.clone() } else { format!("orphan:{}", r.rowid) };
            db.execute(
                "INSERT INTO docs_fts (rowid, key, pokemon, section, set_name, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.rowid, key, r.fts_pokemon, r.fts_section, r.fts_set_name, r.body],
            )
            .unwrap();
        }
        let expr = if request.phrase {
            fts_query::phrase(&request.query)
        } else {
            fts_query::any_terms(&request.query)
        };
        let Some(expr) = expr else { return Vec::new() };
        let mut q = String::from(
            "SELECT d.key, d.pokemon_id, d.pokemon_name, d.format, d.section, d.set_name, d.source_url, d.data_month,
                    -bm25(docs_fts, 0.0, 4.0, 1.0, 2.0, 1.0) AS score, f.body
             FROM docs_fts f JOIN docs d ON d.key = f.key WHERE docs_fts MATCH ?1",
        );
        if let Some(section) = &request.section {
            q.push_str(&format!(" AND d.section = '{section}'"));
        }
        q.push_str(&format!(" ORDER BY score DESC LIMIT {}", request.limit.clamp(1, 100)));
        let mut stmt = db.prepare(&q).unwrap();
        stmt.query_map(params![expr], |r| {
            Ok(SearchHit {
                key: r.get(0)?,
                pokemon_id: r.get(1)?,
                pokemon_name: r.get(2)?,
                format: r.get(3)?,
                section: r.get(4)?,
                set_name: r.get(5)?,
                source_url: r.get(6)?,
                data_month: r.get(7)?,
                score: r.get(8)?,
                text: r.get(9)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(200)
        ))]

        #[test]
        fn the_copy_answers_exactly_as_sqlite(
            rows in rows(),
            query in text(4),
            phrase in any::<bool>(),
            section in proptest::option::of(proptest::sample::select(vec!["overview", "set"])),
            limit in 1u32..12,
        ) {
            let request = SearchRequest { phrase, section: section.map(str::to_owned), limit, ..ask(&query) };
            let copy = IsolateIndex::build(rows.clone()).unwrap();
            let expected = sqlite(&rows, &request);
            match copy.search(&request) {
                Some(hits) => {
                    prop_assert_eq!(keys(&hits), keys(&expected), "query {:?}", query);
                    for (a, b) in hits.iter().zip(&expected) {
                        prop_assert!((a.score - b.score).abs() <= 1e-12 * b.score.abs().max(1.0), "{} vs {}", a.score, b.score);
                        prop_assert_eq!(&SearchHit { score: 0.0, ..a.clone() }, &SearchHit { score: 0.0, ..b.clone() });
                    }
                }
                // Declined only for a character it does not know, e.g. "İ" lowercased by Rust
                // into "i" and a combining dot.
                None => prop_assert!(tokenize(&query.to_lowercase()).is_err(), "declined {:?}", query),
            }
        }
    }
}
