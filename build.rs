//! Generates `$OUT_DIR/dex.json`, the Pokédex table embedded by `src/dex`.
//!
//! The data comes from the pinned `@pkmn/dex` npm package through
//! `scripts/export-dex.mjs`, so nothing is hand-typed and the table follows
//! `package-lock.json`. Build scripts always run on the host, so this works the
//! same for native builds and `--target wasm32-unknown-unknown`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = "scripts/export-dex.mjs";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={SCRIPT}");
    println!("cargo:rerun-if-changed=package-lock.json");
    // Also catch `npm ci` having installed a different version than last time.
    println!("cargo:rerun-if-changed=node_modules/@pkmn/dex/package.json");

    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("dex.json");

    if !root.join("node_modules/@pkmn/dex/package.json").is_file() {
        fail(
            "node_modules/@pkmn/dex is missing: the Pokédex table is generated from it at build time.\n\
             Run `npm ci` (or `make deps`) in the crate root, then build again.",
        );
    }
    export(&root, &out);
}

/// Runs the export script with node, failing the build with its output on error.
fn export(root: &Path, out: &Path) {
    let node = env::var("NODE").unwrap_or_else(|_| "node".to_owned());
    println!("cargo:rerun-if-env-changed=NODE");
    let result = Command::new(&node).arg(SCRIPT).arg(out).current_dir(root).output();
    match result {
        Err(err) => fail(&format!(
            "could not run `{node}` ({err}); Node.js is needed at build time to export the Pokédex table"
        )),
        Ok(output) if !output.status.success() => fail(&format!(
            "`{node} {SCRIPT}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
        Ok(_) => {}
    }
}

fn fail(message: &str) -> ! {
    // Cargo prints a failed build script's stderr; exiting (rather than
    // panicking) keeps the instructions free of a backtrace.
    eprintln!("\nporygon build: {message}\n");
    std::process::exit(1);
}
