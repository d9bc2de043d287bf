// The Pokédex table for the Rust worker (src/edge/dex_table.rs), as a text module of the bundle:
// `make build` writes `dex.json.txt` next to this file (scripts/export-dex.mjs, the same table
// native builds embed through build.rs). It is neither in the wasm (the size budget) nor a static
// asset: `[assets]` puts the assets router in front of every request, ~0.6 ms each locally
// (bench/REPORT-peer.md). Every entry of this worker calls `provideDex()` as it loads, so the
// table is on `globalThis` before any request reaches Rust, in the isolate of the entry and of
// every Durable Object the script exports. (A call, not a bare import: worker-build's
// package.json declares which files have side effects, and the bundler drops bare imports of
// the others.)
import DEX_JSON from './dex.json.txt';

/** Leaves the table where the Rust worker reads it. */
export function provideDex() {
  globalThis.PORYGON_DEX_JSON = DEX_JSON;
}
