/**
 * A whole proxy for the sync tests: the singleton sync root (or, in embedded mode, none) and the
 * filter on several workers of one emulated Envoy, talking gRPC to the test control plane.
 */
import { EnvoyProcess, type Plugin } from '../../../wasm-host';
import { FILTER_ROOT, SYNC_ROOT, VM_ID, wasmPath } from './harness';
import { decodeMeta, decodeRecord, keys } from './records';
import { TestControlPlane, type TestServerOptions } from './xds-server';

export const TOKEN = 'test-token';

export interface Stack {
  server: TestControlPlane;
  envoy: EnvoyProcess;
  sync?: Plugin;
  filter: Plugin;
  k: ReturnType<typeof keys>;
  record(user: string): ReturnType<typeof decodeRecord>;
  meta(): ReturnType<typeof decodeMeta>;
  /** Routing header the filter sets for `user` on `worker` (undefined = not reserved). */
  route(user: string, worker?: number): string | undefined;
  /** Waits (draining the host) until `pred` holds, advancing virtual time by `stepMs` per round. */
  until(pred: () => boolean, what: string, stepMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  workers?: number;
  embedded?: boolean;
  server?: TestServerOptions;
  /** Extra settings of the configuration document (merged, sync merged too). */
  config?: Record<string, unknown>;
  sync?: Record<string, unknown>;
  token?: string;
  logLevel?: 'debug' | 'info';
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const server = await TestControlPlane.start({ token: TOKEN, ...o.server });
  const envoy = new EnvoyProcess({
    concurrency: o.workers ?? 2,
    clock: 'virtual',
    logLevel: o.logLevel ?? 'info',
    node: { id: 'edge-1', cluster: 'edge' },
    clusters: { earmark_control_plane: server.address },
  });
  const config = JSON.stringify({
    plan_ttl_ms: 5000,
    ...o.config,
    sync: {
      mode: o.embedded ? 'embedded' : 'service',
      cluster: 'earmark_control_plane',
      token: o.token ?? TOKEN,
      backoff_initial_ms: 200,
      backoff_max_ms: 1000,
      report_interval_ms: 1000,
      ...o.sync,
    },
  });
  const wasm = wasmPath();
  const sync = o.embedded
    ? undefined
    : envoy.addWasmService({
        name: 'earmark-sync',
        rootId: SYNC_ROOT,
        vmId: VM_ID,
        wasm,
        configuration: config,
        singleton: true,
      });
  const filter = envoy.addHttpFilter({
    name: 'earmark',
    rootId: FILTER_ROOT,
    vmId: VM_ID,
    wasm,
    configuration: config,
  });
  const k = keys();
  const stack: Stack = {
    server,
    envoy,
    sync,
    filter,
    k,
    record: (user) => {
      const e = envoy.sharedData.get(VM_ID, k.record(user));
      return e === undefined ? undefined : decodeRecord(e.value);
    },
    meta: () => {
      const e = envoy.sharedData.get(VM_ID, k.meta);
      return e === undefined ? undefined : decodeMeta(e.value);
    },
    route: (user, worker = 0) => {
      const s = filter.newStream(worker);
      s.sendRequestHeaders(
        { ':method': 'GET', ':path': '/', ':authority': 'svc', 'x-earmark-user': user },
        true,
      );
      const v = s.requestHeaders.get('x-earmark-instance');
      s.finish();
      return v;
    },
    until: async (pred, what, stepMs = 0) => {
      const deadline = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
        if (stepMs > 0) envoy.advance(stepMs);
        envoy.drain();
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: async () => {
      await envoy.close();
      await server.stop();
    },
  };
  return stack;
}
