// The TEST build's Worker entry (Makefile build-test copies it to build-test/worker/): src/entry.mjs
// unchanged, plus two things that cannot be had for real on this machine (issue #17's tests):
//
// - FAKE https hosts. The authorization server fetches a CIMD client's `client_id` URL, which must
//   be https (the library refuses anything else, as the draft requires), and GitHub sign-in talks
//   to github.com and api.github.com. No https origin with a certificate workerd trusts can run
//   here, and the real GitHub cannot be reached, so requests to the hosts of FAKE_HTTPS_HOSTS are
//   answered by the tests' plain-http fakes. Every other fetch, and everything the library and
//   the entry do with the answers, is the real thing.
// - A FAULT switch for OAUTH_KV, like the Rust `faults` feature's: `X-Porygon-Fault: oauth-kv-error`
//   makes every OAUTH_KV call of that request throw, as an outage would.
//
// Deployed builds never contain this file (`make check-deploy` bundles src/entry.mjs).
import Entry from './entry.mjs';

export * from './entry.mjs';

const FAKE_HTTPS_HOSTS = {
  'clients.porygon-test.example': 'http://127.0.0.1:8806', // CIMD documents (oauth-cimd.test.mjs)
  'github.com': 'http://127.0.0.1:8805', // the fake identity provider's GitHub paths (fake-idp.mjs)
  'api.github.com': 'http://127.0.0.1:8805',
};

const realFetch = globalThis.fetch;
globalThis.fetch = function fetchWithFakeHttpsHosts(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const fake = url.protocol === 'https:' ? FAKE_HTTPS_HOSTS[url.hostname] : undefined;
  if (fake) {
    const to = `${fake}${url.pathname}${url.search}`;
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
