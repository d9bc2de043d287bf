// The client object as the class Durable Object RPC needs (`extends DurableObject`): worker-build
// exports the Rust class as a plain one, which the runtime reaches by `fetch` only. The router
// calls `serve` (src/edge/object_call.rs) with one frame and gets one back
// (src/transport/object_frame.rs); `fetch` and `alarm` go straight to Rust as before. Every
// entry of this worker re-exports this class in place of the shim's.
import { DurableObject } from 'cloudflare:workers';
import { ClientObject as RustClientObject } from './shim.mjs';

export class ClientObject extends DurableObject {
  #rust;

  constructor(ctx, env) {
    super(ctx, env);
    // Through the shim's Proxy, so worker-build's panic recovery keeps working.
    this.#rust = new RustClientObject(ctx, env);
  }

  fetch(request) {
    return this.#rust.fetch(request);
  }

  alarm(info) {
    return this.#rust.alarm(info);
  }

  serve(frame) {
    return this.#rust.serve(frame);
  }
}
