// Paired in-process A/B of two builds of the filter (or two configurations of one) on the
// bench's path (bench/plugin.bench.ts: 8,192 header templates of random reserved users, an
// admitted request = create, request headers, response headers, finish; tick and usage-queue
// drain every 10,000 requests). Not a test: a tool for judging filter changes on a shared machine.
//
// Four envs in ONE process, set up A, B, B, A; each round runs a batch on every env in a rotating
// order and takes CPU time (process.cpuUsage) per batch; prints the median per-round B - A.
// Caveat measured with identical bytes under two paths: the module compiled SECOND runs ~40-150 ns
// slower, so run both orders and take half the difference of the two medians as the effect:
//   npx asc --config asconfig.json --target release -o /tmp/new.wasm   (and /tmp/old.wasm from the old tree)
//   npx tsx test/plugin/support/ab-wasm.ts /tmp/old.wasm /tmp/new.wasm 1000000 300
//   npx tsx test/plugin/support/ab-wasm.ts /tmp/new.wasm /tmp/old.wasm 1000000 300
// Optional 5th/6th arguments: JSON configuration overrides for A and B. BATCH=n sets the batch.
import { setUpFilterBench, TEMPLATES } from '../../../bench/plugin-fixture';
const MASK = TEMPLATES - 1; // read once: under tsx an imported binding is a getter

const [wasmA, wasmB, usersArg, roundsArg, cfgA, cfgB] = process.argv.slice(2);
const USERS = Number(usersArg ?? 1_000_000);
const ROUNDS = Number(roundsArg ?? 200);
const BATCH = Number(process.env.BATCH ?? 2000);

function setUp(wasm: string, configuration: object) {
  const { envoy, filter, templates, response, drainQueue } = setUpFilterBench({
    users: USERS,
    wasm,
    configuration,
  });
  let n = 0;
  const once = () => {
    const s = filter.newStream(0);
    s.sendRequestHeaders(templates[n & MASK], true);
    s.sendResponseHeaders(response, true);
    s.finish();
    if (++n % 10_000 === 0) {
      envoy.advance(100);
      drainQueue();
    }
  };
  return { once, vm: filter.vm(0) };
}

const a0 = JSON.parse(cfgA ?? '{}') as object;
const b0 = JSON.parse(cfgB ?? '{}') as object;
const envs = [setUp(wasmA, a0), setUp(wasmB, b0), setUp(wasmB, b0), setUp(wasmA, a0)];
for (let i = 0; i < 50_000; i++) for (const e of envs) e.once();
const mem0 = envs.map((e) => e.vm.memoryBytes());
const cpuNs = (f: () => void) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < BATCH; i++) f();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / BATCH;
};
const a: number[] = [];
const b: number[] = [];
const d: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t = [0, 0, 0, 0];
  for (let j = 0; j < 4; j++) t[(j + r) & 3] = cpuNs(envs[(j + r) & 3].once);
  a.push((t[0] + t[3]) / 2);
  b.push((t[1] + t[2]) / 2);
  d.push((t[1] + t[2] - t[0] - t[3]) / 2);
}
const q = (v: number[], f: number) => Math.round([...v].sort((x, y) => x - y)[Math.floor(v.length * f)]);
console.log(
  JSON.stringify({
    users: USERS,
    rounds: ROUNDS,
    batch: BATCH,
    A_median_ns: q(a, 0.5),
    B_median_ns: q(b, 0.5),
    diff_median_ns: q(d, 0.5),
    diff_p25_ns: q(d, 0.25),
    diff_p75_ns: q(d, 0.75),
    memory_growth: envs.map((e, i) => e.vm.memoryBytes() - mem0[i]),
  }),
);
