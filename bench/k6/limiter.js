// k6: the rate limiter under load — many VUs hammering /mcp (ping) from ONE client key for a bit
// over a minute. Every admitted request is written to the console output as one JSON line
// ({"admitted": true, "sent": ms, "received": ms, "ratelimit": header}) so that `bench/load.mjs`
// can count admissions per 60 s window; 429s are counted, and their Retry-After checked.
//
//   k6 run --vus 120 --duration 75s --console-output admitted.log -e BASE_URL=http://127.0.0.1:8796 \
//     -e CLIENT_IP=198.18.7.7 bench/k6/limiter.js
//
// CLIENT_IP is sent as CF-Connecting-IP (local `wrangler dev` only; Cloudflare overwrites it).
// Without it the run uses a fresh address of 198.18.0.0/15 (the benchmarking range).
import { Counter, Rate } from "k6/metrics";
import { Client, declareOps } from "./lib.js";

declareOps("ping");
const retryAfterOk = new Rate("retry_after_ok");
const admitted = new Counter("admitted");

export const options = {
  vus: 120,
  duration: "75s",
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(95)", "p(99)", "count"],
};

export function setup() {
  const n = Math.floor(Math.random() * 0x1ffff);
  return { ip: __ENV.CLIENT_IP || `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}` };
}

let client = null;

export default function (data) {
  if (!client) client = new Client({ ip: data.ip, apiKey: "" });
  const sent = Date.now();
  const r = client.ping();
  const received = Date.now();
  if (r.limited) {
    const ra = r.res.headers["Retry-After"];
    retryAfterOk.add(ra !== undefined && /^\d+$/.test(ra));
  } else if (r.res.status === 200) {
    admitted.add(1);
    console.log(JSON.stringify({ admitted: true, sent, received, ratelimit: r.res.headers["Ratelimit"] || null }));
  }
}
