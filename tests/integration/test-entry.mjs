// The TEST build's Worker entry (Makefile build-test copies it to build-test/worker/): src/entry.mjs
// unchanged, plus two things that cannot be had for real on this machine (issue #17's tests):
//
// - FAKE https hosts for client ID metadata documents. The authorization server fetches a CIMD
//   client's `client_id` URL, which must be https (the library refuses anything else, as the
//   draft requires). No https origin with a certificate workerd trusts can run here, so requests
//   to the reserved name FAKE_CIMD_HOST are answered by a plain-http server the test starts on
//   127.0.0.1:8806 (oauth-cimd.test.mjs). Every other fetch, and everything the library does with
//   the document, is the real thing.
// - A FAULT switch for OAUTH_KV, like the Rust `faults` feature's: `X-Porygon-Fault: oauth-kv-error`
//   makes every OAUTH_KV call of that request throw, as an outage would.
//
// Deployed builds never contain this file (`make check-deploy` bundles src/entry.mjs).
import Entry from './entry.mjs';

export * from './entry.mjs';

const FAKE_CIMD_HOST = 'clients.porygon-test.example';
const FAKE_CIMD_ORIGIN = 'http://127.0.0.1:8806';

const realFetch = globalThis.fetch;
globalThis.fetch = function fetchWithFakeCimdHost(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol === 'https:' && url.hostname === FAKE_CIMD_HOST) {
    const to = `${FAKE_CIMD_ORIGIN}${url.pathname}${url.search}`;
    return realFetch(input instanceof Request ? new Request(to, input) : to, init);
  }
  return realFetch(input, init);
};

const FAULTY_KV = new Proxy(
  {},
  {
    get: (_, method) => () => Promise.reject(new Error(`OAUTH_KV.${String(method)}: injected fault`)),
  },
);

export default class TestEntry extends Entry {
  fetch(request) {
    const faults = (request.headers.get('X-Porygon-Fault') ?? '').split(',').map((f) => f.trim());
    if (faults.includes('oauth-kv-error')) this.env = new Proxy(this.env, { get: (env, name) => (name === 'OAUTH_KV' ? FAULTY_KV : env[name]) });
    return super.fetch(request);
  }
}
