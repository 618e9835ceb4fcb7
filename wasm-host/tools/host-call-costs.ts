// CPU cost of one host call with hot data, by kind, through the whole host (Wasm→JS transition,
// wrapper, the call, the module's allocator where the call copies out): a stream whose
// on_request_headers makes the call 41 times, minus one that makes it once, per call; plus the
// stream itself with no host call (6 callbacks, create to delete). With an old host directory,
// both run in one process in alternating rounds and the difference is printed (see ab-filter.ts).
// Run: npx tsx wasm-host/tools/host-call-costs.ts [old wasm-host dir]   (needs build/fixtures)
import { resolve } from 'node:path';
import * as current from '../index';

type Host = typeof current;
const WASM = resolve(__dirname, '..', '..', 'build', 'fixtures', 'call-cost.wasm');
const KINDS = [
  'get_header_map_value',
  'get_shared_data',
  'set_shared_data',
  'replace_header_map_value',
  'bare call',
];

const make = (host: Host) => {
  const envoy = new host.EnvoyProcess({ concurrency: 1, logLevel: 'warn' });
  envoy.sharedData.set('cost', 'u1', new Uint8Array(85).fill(7));
  const f = envoy.addHttpFilter({ name: 'cost', vmId: 'cost', wasm: WASM });
  const vm = f.vm(0);
  const req = host.HeaderMap.from({ ':method': 'GET', ':path': '/', ':authority': 'a', 'x-user': 'u1' });
  const resp = host.HeaderMap.from({ ':status': '200' });
  const streams = (kind: number, reps: number, n: number): number => {
    const dv = new DataView(vm.mem.u8.buffer);
    dv.setInt32(300, kind, true);
    dv.setInt32(304, reps, true);
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const s = f.newStream(0);
      s.sendRequestHeaders(req, true);
      s.sendResponseHeaders(resp, true);
      s.finish();
    }
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / n;
  };
  /** Row 0: a stream with no host call; rows 1..: one call of kind row-1. */
  const row = (r: number): number =>
    r === 0 ? streams(0, 0, 20_000) : (streams(r - 1, 41, 2000) - streams(r - 1, 1, 2000)) / 40;
  return { envoy, row };
};

const main = async (): Promise<void> => {
  const oldPath = process.argv[2];
  const hosts = [make(current)];
  if (oldPath !== undefined) hosts.unshift(make((await import(resolve(oldPath, 'index.ts'))) as Host));
  const names = ['stream, no host call', ...KINDS];
  for (const h of hosts) for (let r = 0; r < names.length; r++) h.row(r);
  const runs = names.map(() => hosts.map((): number[] => []));
  for (let round = 0; round < 30; round++)
    for (let r = 0; r < names.length; r++)
      for (let k = 0; k < hosts.length; k++) {
        const j = (k + round) % hosts.length;
        runs[r][j].push(hosts[j].row(r));
      }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (let r = 0; r < names.length; r++) {
    const cur = runs[r][hosts.length - 1];
    let line = `${names[r].padEnd(26)} ${med(cur).toFixed(0).padStart(5)} ns`;
    if (hosts.length === 2) {
      const diff = cur.map((v, i) => v - runs[r][0][i]);
      line += `   old ${med(runs[r][0]).toFixed(0).padStart(5)} ns, new - old median ${med(diff).toFixed(0)}`;
    }
    console.log(line);
  }
  for (const h of hosts) await h.envoy.close();
};

void main();
