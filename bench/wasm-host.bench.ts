// Host overhead on the admitted-request path, with a module that does only the host calls
// (build/fixtures/hotpath.wasm): create stream → request headers (get header, shared-data get,
// add header, 2 counter increments) → response headers → finish (on_log, on_done, on_delete).
// Prints figures, then one JSON line. Run: npx tsx bench/wasm-host.bench.ts [users]
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EnvoyProcess, HeaderMap } from '../wasm-host';

const users = Number(process.argv[2] ?? 1_000_000);
const envoy = new EnvoyProcess({ concurrency: 1 });
const p = envoy.addHttpFilter({
  name: 'hot',
  vmId: 'hot',
  wasm: join(__dirname, '..', 'build', 'fixtures', 'hotpath.wasm'),
});
const value = new Uint8Array(32).fill(0x61);
for (let i = 0; i < users; i++) envoy.sharedData.set('hot', `u${i}`, value);
// Header templates built once; the host copies a template per stream (the filter mutates it).
const headers = Array.from({ length: 4096 }, (_, i) =>
  HeaderMap.from({
    ':method': 'GET',
    ':path': '/api/items',
    ':authority': 'svc.local',
    'x-user': `u${(i * 7919) % users}`,
  }),
);
const response = HeaderMap.from({ ':status': '200' });
const vm = p.vm(0);

const once = (i: number): void => {
  const s = p.newStream(0);
  s.sendRequestHeaders(headers[i & 4095], true);
  s.sendResponseHeaders(response, true);
  s.finish();
};

for (let i = 0; i < 200_000; i++) once(i); // warm up
// Settle the heap after loading the users (their setup garbage is not part of a request's cost).
setFlagsFromString('--expose-gc');
(runInNewContext('gc') as () => void)();
const memBefore = vm.memoryBytes();
const batch = 10_000;
const samples: number[] = [];
const cpu: number[] = [];
for (let b = 0; b < 60; b++) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) once(i);
  samples.push(Number(process.hrtime.bigint() - t0) / batch);
  const c = process.cpuUsage(c0);
  cpu.push(((c.user + c.system) * 1000) / batch);
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const median = med(samples);
const p90 = [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.9)];
const cpuMedian = med(cpu);
const check = p.newStream(0);
check.sendRequestHeaders(headers[1], true);
console.log(`users in shared data: ${users}`);
console.log(
  `admitted request, full path: median ${median.toFixed(0)} ns wall, p90 ${p90.toFixed(0)} ns (batches of ${batch})`,
);
console.log(
  `process CPU time per request (median batch): ${cpuMedian.toFixed(0)} ns (less sensitive to a loaded machine)`,
);
console.log(`routing header set: ${check.requestHeaders.get('x-earmark-instance')?.length === 32}`);
console.log(`wasm memory: ${memBefore} → ${vm.memoryBytes()} bytes`);
console.log(
  JSON.stringify({
    bench: 'wasm-host',
    users,
    median_ns: Math.round(median),
    p90_ns: Math.round(p90),
    cpu_median_ns: Math.round(cpuMedian),
    memory_growth_bytes: vm.memoryBytes() - memBefore,
  }),
);
void envoy.close();
