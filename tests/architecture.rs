//! The architecture, checked (rust-analyzer's `tidy` is the model): which layer of `src/` may
//! name which, read from the source. The allowed graph is written once, below; a new edge is a
//! decision to make here, in review, not an accident. Test code (a file's `#[cfg(test)]` tail,
//! `tests.rs` files) may reach further and is not read.
//!
//! Also: the platform edge's own modules import each other without cycles, and nothing outside
//! `src/edge/` names the `worker` crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// layer → the layers it may use. Lower layers first; every arrow points down.
const ALLOWED: &[(&str, &[&str])] = &[
    ("primitives", &[]),
    ("dex", &["primitives"]),
    ("mcp", &["primitives"]),
    ("corpus", &["dex", "primitives"]),
    ("backup", &["primitives"]),
    ("policy", &["mcp", "primitives"]),
    ("observe", &["mcp", "primitives"]),
    ("transport", &["mcp", "policy", "primitives"]),
    ("ingest", &["corpus", "dex", "primitives"]),
    ("search", &["corpus", "dex", "ingest", "primitives"]),
    ("battle", &["corpus", "dex", "primitives"]),
    ("tools", &["battle", "corpus", "dex", "mcp", "policy", "search", "primitives"]),
    (
        "edge",
        &[
            "backup",
            "battle",
            "corpus",
            "dex",
            "ingest",
            "mcp",
            "observe",
            "policy",
            "primitives",
            "search",
            "tools",
            "transport",
        ],
    ),
];

/// A source file's text without its test tail and without comment lines.
fn production_text(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The names following `prefix` (`crate::` or `super::`), including the members of a group
/// (`crate::{a, b::c}`).
fn referenced(text: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices(prefix) {
        // `foo_crate::x` is not `crate::x`.
        if text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(body.split(',').map(|item| ident(item.trim())).filter(|n| !n.is_empty()));
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                out.extend(rust_files(&path));
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
    out
}

/// The layer a file of `src/` belongs to (`src/mcp/session.rs` → mcp, `src/lib.rs` → lib).
fn layer_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.strip_suffix(".rs").map(str::to_owned).unwrap_or(first)
}

/// Every (file, layer used) that `ALLOWED` does not permit.
fn violations(src: &Path, allowed: &BTreeMap<&str, BTreeSet<&str>>) -> (Vec<String>, usize) {
    let mut bad = Vec::new();
    let mut edges = 0;
    for file in rust_files(src) {
        let layer = layer_of(src, &file);
        if layer == "lib" {
            continue;
        }
        let Some(may) = allowed.get(layer.as_str()) else {
            bad.push(format!("{}: layer `{layer}` is not in the allowed graph", file.display()));
            continue;
        };
        for used in referenced(&production_text(&file), "crate::") {
            if used == layer {
                continue;
            }
            edges += 1;
            if !may.contains(used.as_str()) {
                bad.push(format!("{}: `{layer}` must not use `{used}`", file.display()));
            }
        }
    }
    (bad, edges)
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn layers_use_only_the_layers_below_them() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> =
        ALLOWED.iter().map(|(layer, may)| (*layer, may.iter().copied().collect())).collect();
    let (bad, edges) = violations(&src(), &allowed);
    assert!(bad.is_empty(), "imports against the architecture (tests/architecture.rs):\n{}", bad.join("\n"));
    assert!(edges > 100, "only {edges} cross-layer references found: is the scanner still reading imports?");
}

#[test]
fn the_allowed_graph_has_no_cycle() {
    let allowed: BTreeMap<&str, Vec<&str>> = ALLOWED.iter().map(|(l, may)| (*l, may.to_vec())).collect();
    assert_eq!(cycle(&allowed), None);
}

#[test]
fn edge_modules_import_each_other_without_cycles() {
    let edge = src().join("edge");
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in rust_files(&edge) {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let used =
            referenced(&production_text(&file), "super::").into_iter().filter(|u| *u != name).collect();
        graph.insert(name, used);
    }
    assert!(graph.len() > 20, "{} edge modules found", graph.len());
    let borrowed: BTreeMap<&str, Vec<&str>> =
        graph.iter().map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect())).collect();
    assert_eq!(cycle(&borrowed), None, "edge modules in a cycle");
}

#[test]
fn only_the_edge_names_the_worker_crate() {
    for file in rust_files(&src()) {
        if layer_of(&src(), &file) == "edge" {
            continue;
        }
        let text = production_text(&file);
        assert!(!text.contains("worker::"), "{} names the worker crate", file.display());
    }
}

/// A cycle in `graph` (as the path that closes it), if any.
fn cycle<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(start) = path.iter().position(|n| *n == node) {
            let mut found = path[start..].to_vec();
            found.push(node);
            return Some(found);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_checker_sees_what_it_must_refuse() {
    // The scanner reads single paths, groups, inline paths, and not look-alikes or comments.
    let text =
        "use crate::mcp::x;\nuse crate::{tools::a, dex};\nlet y = crate::search::f();\nuse foo_crate::nope;";
    let expected: BTreeSet<String> =
        ["dex", "mcp", "search", "tools"].into_iter().map(String::from).collect();
    assert_eq!(referenced(text, "crate::"), expected);
    let dir = std::env::temp_dir().join(format!("porygon-arch-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("mcp")).unwrap();
    std::fs::write(
        dir.join("mcp/bad.rs"),
        "// crate::edge in a comment is fine\nuse crate::tools::x;\n#[cfg(test)]\nuse crate::edge::y;\n",
    )
    .unwrap();
    let allowed: BTreeMap<&str, BTreeSet<&str>> = [("mcp", BTreeSet::new())].into_iter().collect();
    let (bad, edges) = violations(&dir, &allowed);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(edges, 1, "{bad:?}");
    assert!(bad[0].ends_with("`mcp` must not use `tools`"), "{bad:?}");
    let cyclic: BTreeMap<&str, Vec<&str>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"])].into_iter().collect();
    assert_eq!(cycle(&cyclic), Some(vec!["a", "b", "c", "a"]));
}
