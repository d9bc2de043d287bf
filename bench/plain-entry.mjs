// `make bench-oauth`'s "before": the Rust worker with no JS front door. Only the Pokédex module
// (src/dex.mjs), which every entry of this worker carries, comes before worker-build's shim.
import { provideDex } from './dex.mjs';

export * from './shim.mjs';
// In place of the shim's: the client object with its RPC method (src/objects.mjs).
export { ClientObject } from './objects.mjs';
export { default } from './shim.mjs';

provideDex();
