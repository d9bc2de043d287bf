// The TEST build's Worker entry (Makefile build-test copies it to build-test/worker/): src/entry.mjs
// unchanged, plus FAKE https hosts for client ID metadata documents (issue #17's CIMD test).
//
// The authorization server fetches a CIMD client's `client_id` URL, and that URL must be https
// (the library refuses anything else, as the draft requires). No https origin with a certificate
// workerd trusts can run on this machine, so requests to the reserved name FAKE_CIMD_HOST are
// answered by a plain-http server the test starts on 127.0.0.1:8806 (oauth-cimd.test.mjs). Every
// other fetch, and everything the library does with the document, is the real thing. Deployed
// builds never contain this file (`make check-deploy` bundles src/entry.mjs).
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

export default Entry;
