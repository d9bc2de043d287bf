//! Scores a running worker's answers to the golden set (`tests/golden/`) with the crate's one
//! evaluator, `search::golden::report`. `bench/golden.mjs` asks the worker and pipes the answers
//! here; run that, not this:
//!   node bench/golden.mjs [--url http://127.0.0.1:8787] [--file tests/golden/queries.json] [--min-recall 0.95] [--min-mrr 0.85]
//! stdin: `{"<query id>": {"results": [query_strategy passages], "isError": bool}, ...}`.
//! Prints the markdown report; exits 1 when the gate fails, 2 on bad input.

use std::collections::BTreeMap;
use std::io::Read;

use porygon::golden::{self, Answer, Gate};

fn main() {
    if let Err(e) = run() {
        eprintln!("golden: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or(default.to_owned())
    };
    let number = |name: &str| opt(name, "0").parse::<f64>().map_err(|e| format!("{name}: {e}"));
    let file = opt("--file", golden::GOLDEN_PATH);
    let gate = Gate { min_recall: number("--min-recall")?, min_mrr: number("--min-mrr")? };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&file);
    let set = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let set = golden::parse(&set).map_err(|e| format!("{file}: {e}"))?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| format!("stdin: {e}"))?;
    let answers: BTreeMap<String, Answer> =
        serde_json::from_str(&input).map_err(|e| format!("stdin: {e}"))?;
    let (report, passed) = golden::report(&file, &set.queries, &answers, gate);
    println!("{report}{} passed, {} failed", u8::from(passed), u8::from(!passed));
    if !passed {
        std::process::exit(1);
    }
    Ok(())
}
