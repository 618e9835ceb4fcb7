// Demo load: USERS users with skewed popularity and a compressed day/night cycle, each request
// carrying an RS256 JWT (sub = user id) signed with the demo key from jwt-keys.mjs.
// Prints a summary every 10 s: requests by status, 429s, p50/p99 latency, who served them.
import { readFileSync } from 'node:fs';
import { setInterval, setTimeout } from 'node:timers';
import { performance } from 'node:perf_hooks';
import { signToken } from './jwt.mjs';

const target = process.env.TARGET ?? 'http://envoy:10000';
const users = Number(process.env.USERS ?? 200);
const peakRps = Number(process.env.PEAK_RPS ?? 50);
const dayS = Number(process.env.DAY_SECONDS ?? 600); // one simulated day, in seconds
const durationS = Number(process.env.DURATION_SECONDS ?? 0); // 0: run until stopped
const key = readFileSync(process.env.SIGNING_KEY ?? '/keys/signing-key.pem', 'utf8');

const tokens = new Map();
function token(user) {
  const cached = tokens.get(user);
  if (cached && cached.exp - Date.now() / 1000 > 60) return cached.jwt;
  const t = signToken(key, user);
  tokens.set(user, t);
  return t.jwt;
}

// Zipf-like popularity: user i is picked with weight 1/(i+1).
const weights = Array.from({ length: users }, (_, i) => 1 / (i + 1));
const total = weights.reduce((a, b) => a + b, 0);
function pickUser() {
  let r = Math.random() * total;
  for (let i = 0; i < users; i++) if ((r -= weights[i]) <= 0) return `user-${i}`;
  return `user-${users - 1}`;
}

const stats = { byStatus: new Map(), byInstance: new Map(), latencies: [] };
async function one() {
  const user = pickUser();
  const t0 = performance.now();
  try {
    const r = await fetch(`${target}/work`, { headers: { authorization: `Bearer ${token(user)}` } });
    await r.arrayBuffer();
    stats.byStatus.set(r.status, (stats.byStatus.get(r.status) ?? 0) + 1);
    const by = r.headers.get('x-served-by') ?? '-';
    stats.byInstance.set(by, (stats.byInstance.get(by) ?? 0) + 1);
  } catch {
    stats.byStatus.set('error', (stats.byStatus.get('error') ?? 0) + 1);
  }
  stats.latencies.push(performance.now() - t0);
}

const started = Date.now();
setInterval(() => {
  const l = stats.latencies.sort((a, b) => a - b);
  const q = (p) => (l.length ? l[Math.min(l.length - 1, Math.floor(p * l.length))].toFixed(1) : '-');
  console.log(
    `loadgen: ${l.length} req | status ${JSON.stringify(Object.fromEntries(stats.byStatus))} | served by ${JSON.stringify(Object.fromEntries(stats.byInstance))} | p50 ${q(0.5)} ms p99 ${q(0.99)} ms`,
  );
  stats.byStatus.clear();
  stats.byInstance.clear();
  stats.latencies = [];
}, 10_000);

async function loop() {
  for (;;) {
    const elapsed = (Date.now() - started) / 1000;
    if (durationS && elapsed >= durationS) process.exit(0);
    const phase = (elapsed % dayS) / dayS; // 0..1, a day
    const rps = Math.max(1, peakRps * (0.55 - 0.45 * Math.cos(2 * Math.PI * phase)));
    void one();
    await new Promise((r) => setTimeout(r, (1000 / rps) * (0.5 + Math.random())));
  }
}
console.log(`loadgen: ${users} users against ${target}, peak ${peakRps} req/s, a day every ${dayS}s`);
loop();
