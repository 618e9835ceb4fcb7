// The set-up shared by the plugin bench (bench/plugin.bench.ts) and the two A/B tools that judge
// changes on its path (wasm-host/tools/ab-filter.ts, test/plugin/support/ab-wasm.ts): `users`
// reserved users in shared data, the usage queue registered as the sync root would, one filter,
// and 8,192 header templates of random reserved users (seeded), so all three time the same path.
import { join } from 'node:path';
import * as wasmHost from '../wasm-host';
import { encodeMeta, encodeRecord, keys } from '../test/plugin/support/records';

export const VM_ID = 'earmark';
export const TEMPLATES = 8192;
export const WASM = join(__dirname, '..', 'build', 'earmark.wasm');

/** The host's module: this tree's, or an older copy loaded by an A/B tool. */
export type FilterBenchHost = Pick<typeof wasmHost, 'EnvoyProcess' | 'HeaderMap'>;

export interface FilterBenchOptions {
  users: number;
  host?: FilterBenchHost;
  wasm?: string;
  /** Seed of the templates' user draw. */
  seed?: number;
  /** Merged into the filter's configuration. */
  configuration?: object;
  countHostCalls?: boolean;
}

export function setUpFilterBench(o: FilterBenchOptions) {
  const host = o.host ?? wasmHost;
  const { users } = o;
  const envoy = new host.EnvoyProcess({
    concurrency: 1,
    clock: 'virtual',
    logLevel: 'warn',
    countHostCalls: o.countHostCalls ?? false,
  });
  const k = keys();
  envoy.sharedData.set(VM_ID, k.meta, encodeMeta({ freshMs: envoy.clock.now(), generation: 1 }));
  for (let i = 0; i < users; i++) {
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`;
    const record = encodeRecord({ address, slots: 64, ratePerMinute: 6_000_000, burst: 1000 });
    envoy.sharedData.set(VM_ID, k.record(`user-${i}`), record);
  }
  // The sync root would register the usage queue and drain it; here the caller drains it between
  // batches (outside the timed section) so the workers' batches are enqueued as in production.
  const token = envoy.sharedQueues.register(VM_ID, k.usageQueue, {
    vmKey: 'bench',
    contextId: 0,
    post: () => undefined,
    notify: () => undefined,
  });
  const filter = envoy.addHttpFilter({
    name: 'earmark',
    rootId: 'earmark_filter',
    vmId: VM_ID,
    wasm: o.wasm ?? WASM,
    configuration: JSON.stringify({ plan_ttl_ms: 86_400_000, ...o.configuration }),
  });
  let seed = o.seed ?? 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const templates = Array.from({ length: TEMPLATES }, () =>
    host.HeaderMap.from({
      ':method': 'GET',
      ':path': '/api/items',
      ':authority': 'svc.local',
      'x-earmark-user': `user-${rnd() % users}`,
    }),
  );
  const response = host.HeaderMap.from({ ':status': '200' });
  envoy.advance(100); // the first tick: the filter finds the usage queue
  const drainQueue = (): void => {
    while (typeof envoy.sharedQueues.dequeue(token) !== 'number');
  };
  return { envoy, filter, templates, response, drainQueue };
}
