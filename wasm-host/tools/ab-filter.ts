// Paired in-process A/B of two host versions on the filter bench's path (bench/plugin.bench.ts:
// build/earmark.wasm, an admitted request for a random reserved user: create, request headers,
// response headers, finish). On a shared machine single runs differ by more than most host
// changes, so: two hosts of each version in ONE process, set up in ABBA (or BAAB) order, batches
// round-robin in rotating order, CPU time per batch, and the per-round difference new - old; and
// several such runs, since a whole run shifts by up to ~150 ns (see main). Run:
//   git archive <commit> wasm-host | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/
//   npx tsx wasm-host/tools/ab-filter.ts /tmp/old/wasm-host [users=1000] [rounds=200] [batch=2000]
//   AB_ORDER=baab npx tsx wasm-host/tools/ab-filter.ts ...   (the other order)
// At 10^6 users set GLIBC_TUNABLES=glibc.malloc.hugetlb=1 in the environment (huge pages for the
// current host's slot table; see README "Shared data"), or both hosts run on 4 KiB pages.
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setUpFilterBench, TEMPLATES } from '../../bench/plugin-fixture';
const MASK = TEMPLATES - 1; // read once: under tsx an imported binding is a getter
import * as current from '../index';

type Host = typeof current;

/** The bench's set-up for one host: users, usage queue, filter, header templates (seeded). */
export const setUp = (host: Host, users: number, seed: number) => {
  const { envoy, filter, templates, response, drainQueue } = setUpFilterBench({ users, host, seed });
  /** One batch of admitted requests: CPU ns per request (the tick and queue drain not counted). */
  const batch = (from: number, n: number): number => {
    const c0 = process.cpuUsage();
    for (let i = from; i < from + n; i++) {
      const s = filter.newStream(0);
      s.sendRequestHeaders(templates[i & MASK], true);
      s.sendResponseHeaders(response, true);
      s.finish();
    }
    const c = process.cpuUsage(c0);
    envoy.advance(100);
    drainQueue();
    return ((c.user + c.system) * 1000) / n;
  };
  return { envoy, batch };
};

const main = async (): Promise<void> => {
  const [oldPath, u = '1000', r = '200', b = '2000'] = process.argv.slice(2);
  if (oldPath === undefined)
    throw new Error('usage: ab-filter.ts <old wasm-host dir> [users] [rounds] [batch]');
  const old = (await import(resolve(oldPath, 'index.ts'))) as Host;
  const [users, rounds, n] = [Number(u), Number(r), Number(b)];
  // ABBA, or BAAB with AB_ORDER=baab. One run is not enough: A/A runs (two copies of one version)
  // read -124 ± 54, +49 ± 41 and +163 ± 34 ns, as where a host's objects land shifts a whole run.
  // Compare the mean of several runs (processes), alternating the order.
  const baab = process.env.AB_ORDER === 'baab';
  const order = baab ? [current, old, old, current] : [old, current, current, old];
  const made = order.map((h, i) => setUp(h, users, i === 0 || i === 3 ? 1 : 2));
  const hosts = baab ? [made[1], made[0], made[3], made[2]] : made; // as [old, new, new, old]
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)(); // settle the heap after set-up, as the bench does
  for (let i = 0; i < 10; i++) for (const h of hosts) h.batch(i * n, n);
  const d: number[] = [];
  const o: number[] = [];
  const w: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const t = [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) t[(k + round) & 3] = hosts[(k + round) & 3].batch(round * n, n);
    o.push((t[0] + t[3]) / 2);
    w.push((t[1] + t[2]) / 2);
    d.push(w[round] - o[round]);
  }
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const se = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1) / d.length);
  console.log(
    `[${baab ? 'BAAB' : 'ABBA'}] users ${users}, ${rounds} rounds x 4 batches of ${n}: old median ${med(o).toFixed(0)}, new median ` +
      `${med(w).toFixed(0)} ns CPU/request; new - old ${mean.toFixed(0)} ± ${(2 * se).toFixed(0)} (2 SE), ` +
      `median ${med(d).toFixed(0)}, new faster in ${d.filter((v) => v < 0).length}/${d.length} rounds`,
  );
  for (const h of hosts) await h.envoy.close();
};

void main();
