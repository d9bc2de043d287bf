//! The Pokédex table on Workers: a text module of the bundle that the JS entry puts on
//! `globalThis.PORYGON_DEX_JSON` as it loads (src/dex.mjs `provideDex`), parsed and installed into
//! `crate::dex` once per isolate by every entry point whose work reaches the core's tools or
//! corpus (the client and ingest objects). Not a static asset: `[assets]` would put the assets
//! router in front of every request (~0.6 ms each locally, bench/REPORT-peer.md).

use wasm_bindgen::JsValue;
use worker::{Error, Result};

/// Where src/dex.mjs leaves the table.
const GLOBAL: &str = "PORYGON_DEX_JSON";

/// Installs the table unless this wasm instance has it already. The string stays on `globalThis`
/// (~0.5 MB per isolate): an instance re-created after a panic installs it again from there.
pub(super) fn ensure() -> Result<()> {
    if crate::dex::installed() {
        return Ok(());
    }
    let json = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(GLOBAL))
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| {
            Error::RustError(format!("globalThis.{GLOBAL} is missing: the entry must import dex.mjs"))
        })?;
    crate::dex::install(&json).map_err(|e| Error::RustError(format!("Pokedex table: {e}")))
}
