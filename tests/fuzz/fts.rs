//! `search::fts_query`: whatever a person types, the MATCH expression is well-formed FTS5 and
//! SQLite reads it as plain terms — checked against SQLite's own FTS5 (rusqlite, bundled), with
//! the index object's schema (src/edge/index_object.rs).

use std::collections::BTreeSet;

use porygon::{any_terms, phrase};
use proptest::prelude::*;
use rusqlite::{params, Connection};

use crate::support::{config, nasty_text};

/// As `IndexObject` creates it.
const SCHEMA: [&str; 2] = [
    "CREATE TABLE docs (key TEXT PRIMARY KEY, hash TEXT NOT NULL, pokemon_id TEXT NOT NULL,
        pokemon_name TEXT NOT NULL, format TEXT NOT NULL, section TEXT NOT NULL, set_name TEXT,
        source_url TEXT NOT NULL, data_month TEXT, updated_at INTEGER NOT NULL, embedded_at INTEGER)",
    "CREATE VIRTUAL TABLE docs_fts USING fts5(key UNINDEXED, pokemon, section, set_name, body,
        tokenize = 'unicode61 remove_diacritics 2')",
];
/// The index object's search statement (without its optional filters).
const SEARCH: &str = "SELECT d.key, -bm25(docs_fts, 0.0, 4.0, 1.0, 2.0, 1.0) AS score, f.body AS text
     FROM docs_fts f JOIN docs d ON d.key = f.key
     WHERE docs_fts MATCH ? ORDER BY score DESC LIMIT ?";
/// Most terms `any_terms` keeps (fts_query::MAX_TERMS).
const MAX_TERMS: usize = 24;

/// The indexed columns, in schema order.
type Doc = [String; 4];

struct Index {
    db: Connection,
}

impl Index {
    fn new(docs: &[Doc]) -> Self {
        let db = Connection::open_in_memory().expect("in-memory SQLite");
        for q in SCHEMA {
            db.execute(q, []).expect("schema (is FTS5 compiled into the bundled SQLite?)");
        }
        db.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(docs_fts, 'instance')", []).unwrap();
        db.execute(
            "CREATE VIRTUAL TABLE scratch USING fts5(t, tokenize = 'unicode61 remove_diacritics 2')",
            [],
        )
        .unwrap();
        db.execute("CREATE VIRTUAL TABLE scratch_vocab USING fts5vocab(scratch, 'instance')", []).unwrap();
        for (i, [pokemon, section, set_name, body]) in docs.iter().enumerate() {
            let key = format!("doc:{i}");
            db.execute(
                "INSERT INTO docs VALUES (?1, 'h', 'p', 'P', 'gen9ou', 's', NULL, 'u', NULL, 0, NULL)",
                params![key],
            )
            .unwrap();
            db.execute(
                "INSERT INTO docs_fts (rowid, key, pokemon, section, set_name, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![i as i64 + 1, key, pokemon, section, set_name, body],
            )
            .unwrap();
        }
        Self { db }
    }

    /// Rows MATCH selects, or SQLite's error.
    fn matching(&self, expr: &str) -> Result<BTreeSet<i64>, rusqlite::Error> {
        let mut stmt = self.db.prepare("SELECT rowid FROM docs_fts WHERE docs_fts MATCH ?1")?;
        let rows = stmt.query_map([expr], |r| r.get(0))?;
        rows.collect()
    }

    /// The production statement runs too (bm25 weights, join, limit).
    fn search(&self, expr: &str) -> Result<usize, rusqlite::Error> {
        let mut stmt = self.db.prepare(SEARCH)?;
        let rows = stmt.query_map(params![expr, 100], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?.len())
    }

    /// How SQLite's tokenizer splits `text`.
    fn tokens(&self, text: &str) -> Vec<String> {
        self.db.execute("DELETE FROM scratch", []).unwrap();
        self.db.execute("INSERT INTO scratch (rowid, t) VALUES (1, ?1)", [text]).unwrap();
        let mut stmt = self.db.prepare("SELECT term FROM scratch_vocab ORDER BY offset").unwrap();
        let tokens = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<Vec<String>, _>>().unwrap();
        tokens
    }

    /// Rows holding `tokens` consecutively in one column: what a plain quoted phrase selects.
    fn phrase_rows(&self, tokens: &[String]) -> BTreeSet<i64> {
        let Some(first) = tokens.first() else { return BTreeSet::new() };
        let mut stmt = self.db.prepare("SELECT doc, col, offset FROM vocab WHERE term = ?1").unwrap();
        let starts: Vec<(i64, String, i64)> = stmt
            .query_map([first], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut at = self
            .db
            .prepare("SELECT count(*) FROM vocab WHERE doc = ?1 AND col = ?2 AND offset = ?3 AND term = ?4")
            .unwrap();
        starts
            .into_iter()
            .filter(|(doc, col, offset)| {
                tokens.iter().enumerate().skip(1).all(|(i, t)| {
                    at.query_row(params![doc, col, offset + i as i64, t], |r| r.get::<_, i64>(0)).unwrap() > 0
                })
            })
            .map(|(doc, _, _)| doc)
            .collect()
    }
}

/// The quoted strings of `"a" OR "b" OR ...`, refusing anything else: no bare word (an operator
/// or a column filter), no `*`, `^`, `+`, `NEAR`, parenthesis or column outside a string, no
/// quote, NUL or control character inside one.
fn strict_terms(expr: &str) -> Vec<&str> {
    let terms: Vec<&str> = expr.split(" OR ").collect();
    for t in &terms {
        let inner = t
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or_else(|| panic!("term {t:?} of {expr:?} is not one quoted string"));
        assert!(!inner.is_empty(), "empty string in {expr:?}");
        assert!(!inner.contains('"'), "quote inside a string in {expr:?}");
        assert!(!inner.chars().any(char::is_control), "control character in {expr:?}");
        assert_eq!(inner.trim(), inner, "padded string in {expr:?}");
    }
    terms.iter().map(|t| &t[1..t.len() - 1]).collect()
}

/// Words `any_terms` may keep: maximal runs of alphanumerics, lowercased.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Query text assembled from `vocab` and FTS5 syntax, so documents share its words.
fn query_from(vocab: Vec<String>) -> impl Strategy<Value = String> {
    let sep = prop::sample::select(vec![
        " ",
        " AND ",
        " OR ",
        " NOT ",
        "NEAR(",
        ", 2)",
        ")",
        "(",
        "\"",
        "-",
        "*",
        "* ",
        "^",
        ":",
        "+",
        " {pokemon}: ",
        "pokemon:",
        "body : ",
        "set_name:",
        "'",
        "\0",
        "\u{1F600}",
        "\u{301}",
        "/",
        "#",
        "\t",
    ]);
    prop::collection::vec((prop::sample::select(vocab), sep), 1..10)
        .prop_map(|parts| parts.into_iter().flat_map(|(w, s)| [w, s.to_owned()]).collect())
}

fn doc_from(vocab: Vec<String>) -> impl Strategy<Value = Doc> {
    let column = prop::collection::vec(prop::sample::select(vocab), 0..6).prop_map(|ws| ws.join(" "));
    [column.clone(), column.clone(), column.clone(), column]
}

/// A few words, shared by the documents and the query; prefixes of one another, FTS5 keywords,
/// column names, accents, other scripts.
fn vocabulary() -> impl Strategy<Value = Vec<String>> {
    let word = prop_oneof![
        3 => "[a-z]{1,5}",
        2 => prop::sample::select(vec![
            "near", "NEAR", "and", "or", "not", "Or", "pokemon", "body", "set_name", "king", "kingambit", "flabébé",
            "flabebe", "İstanbul", "straße", "ǅemal", "ꭰx", "ⅷ", "٣", "日本", "x\u{301}y", "the", "best",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{1,4}",
    ];
    prop::collection::vec(word, 1..6)
}

proptest! {
    #![proptest_config(config(2_000))]

    /// Any text: the expression is `"w" OR "w" ...` (or one quoted phrase), its words are the
    /// text's own (lowercased, deduplicated, at most 24 for `any_terms`), and `None` means there
    /// was no word to search.
    #[test]
    fn expressions_are_quoted_words_only(text in prop_oneof![
        4 => nasty_text(),
        2 => any::<String>(),
        // Long runs of stopwords before the words that matter.
        1 => (0usize..120, "[a-z]{1,8}").prop_map(|(n, w)| format!("{}{w}", "the a of ".repeat(n))),
    ]) {
        let all = words(&text);
        match any_terms(&text) {
            Some(expr) => {
                let terms = strict_terms(&expr);
                prop_assert!(terms.len() <= MAX_TERMS, "{} terms", terms.len());
                let unique: BTreeSet<&str> = terms.iter().copied().collect();
                prop_assert_eq!(unique.len(), terms.len(), "duplicate terms in {:?}", expr);
                for t in &terms {
                    prop_assert!(!t.contains(char::is_whitespace), "{:?} holds more than a word", t);
                    prop_assert!(all.iter().any(|w| w == t), "{:?} is not a word of the text", t);
                }
            }
            // Only stopwords (each alone has no expression either).
            None => prop_assert!(all.iter().all(|w| any_terms(w).is_none()), "words {:?} but no expression", all),
        }
        match phrase(&text) {
            Some(expr) => {
                prop_assert!(!expr.contains(" OR "), "{:?}", expr);
                let terms = strict_terms(&expr);
                prop_assert_eq!(terms.len(), 1);
                let first: Vec<&str> = terms[0].split(' ').collect();
                prop_assert!(first.iter().all(|w| !w.is_empty() && all.iter().any(|a| a == w)), "{:?}", expr);
            }
            None => prop_assert!(all.is_empty(), "words {:?} but no phrase", all),
        }
    }

}

proptest! {
    // Each case builds an index in SQLite: fewer of them.
    #![proptest_config(config(500))]

    /// SQLite accepts every expression, in the index object's own statement, and selects exactly
    /// the documents holding one of its words (or, for a phrase, its words in order): nothing in
    /// the text acted as an operator, a prefix, a column filter or a NEAR group.
    #[test]
    fn sqlite_reads_expressions_as_plain_terms(
        (docs, query) in vocabulary().prop_flat_map(|v| {
            (prop::collection::vec(doc_from(v.clone()), 0..6), prop_oneof![3 => query_from(v), 1 => nasty_text()])
        })
    ) {
        let index = Index::new(&docs);
        for (kind, expr) in [("any_terms", any_terms(&query)), ("phrase", phrase(&query))] {
            let Some(expr) = expr else { continue };
            let got = index.matching(&expr).map_err(|e| TestCaseError::fail(format!("{kind} {expr:?}: {e}")))?;
            index.search(&expr).map_err(|e| TestCaseError::fail(format!("{kind} {expr:?} in SEARCH: {e}")))?;
            let mut expected = BTreeSet::new();
            for term in strict_terms(&expr) {
                expected.extend(index.phrase_rows(&index.tokens(term)));
            }
            prop_assert_eq!(got, expected, "{} {:?} over {:?}", kind, expr, docs);
        }
    }
}

#[test]
fn the_bundled_sqlite_has_fts5() {
    let db = Connection::open_in_memory().unwrap();
    let fts5: i64 =
        db.query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| r.get(0)).unwrap();
    assert_eq!(fts5, 1);
    // And the check is not vacuous: raw operator syntax is refused or read as operators.
    let index = Index::new(&[["kingambit".into(), String::new(), String::new(), "near not".into()]]);
    assert!(index.matching("\"king").is_err());
    assert!(index.matching("NEAR(").is_err());
    assert_eq!(index.matching("king*").unwrap().len(), 1, "a bare * is a prefix query");
    assert_eq!(index.matching(&any_terms("king*").unwrap()).unwrap().len(), 0);
    assert_eq!(index.matching(&any_terms("body:near").unwrap()).unwrap().len(), 1);
}
