/**
 * Driving build/earmark.wasm through our proxy-wasm host (wasm-host/) the way Envoy would: a
 * process with several workers running the filter, optionally the singleton sync root, shared
 * data planted or written by the sync root, virtual time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvoyProcess, type HttpStream, type Plugin, type ProcessOptions } from '../../../wasm-host';
import { type Live, type Reservation, decodeRecord, encodeMeta, encodeRecord, keys } from './records';

const ROOT = resolve(__dirname, '..', '..', '..');
export const WASM = join(ROOT, 'build', 'earmark.wasm');
export const VM_ID = 'earmark';
export const FILTER_ROOT = 'earmark_filter';
export const SYNC_ROOT = 'earmark_sync';

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

let checked = false;
/** The compiled filter, rebuilt first if a plugin source is newer (tests run on the real build). */
export function wasmPath(): string {
  if (!checked) {
    const stale =
      !existsSync(WASM) ||
      statSync(WASM).mtimeMs <
        Math.max(newestSource(join(ROOT, 'plugin')), statSync(join(ROOT, 'asconfig.json')).mtimeMs);
    if (stale)
      execFileSync('npx', ['asc', '--config', 'asconfig.json', '--target', 'release'], {
        cwd: ROOT,
        stdio: 'ignore',
      });
    checked = true;
  }
  return WASM;
}

export interface Harness {
  envoy: EnvoyProcess;
  filter: Plugin;
  k: ReturnType<typeof keys>;
  /** Writes a reservation record for a user, as the sync root would. */
  plant(user: string, r: Reservation, live?: Partial<Live>): void;
  /** Marks the plan present and current (as a connected sync root does). */
  fresh(at?: number): void;
  /** Sends request headers (end of stream) for `user` on a worker; returns the stream. */
  request(user: string | undefined, worker?: number, extra?: Record<string, string>): HttpStream;
  record(user: string): ReturnType<typeof decodeRecord>;
  /** Counters are flushed on tick: advance time by one tick and read a metric. */
  metric(name: string): number;
  /** Log lines of the filter at warn level and above. */
  problems(): string[];
}

export interface HarnessOptions extends ProcessOptions {
  /** Plan meta planted before the filter starts (default true). */
  fresh?: boolean;
  tickMs?: number;
}

export function startFilter(config: Record<string, unknown> = {}, options: HarnessOptions = {}): Harness {
  const envoy = new EnvoyProcess({ concurrency: 2, clock: 'virtual', logLevel: 'info', ...options });
  const k = keys((config.key_prefix as string | undefined) ?? 'earmark/');
  const fresh = (at = envoy.clock.now()) => {
    envoy.sharedData.set(VM_ID, k.meta, encodeMeta({ freshMs: at, generation: 1 }));
  };
  if (options.fresh !== false) fresh();
  const filter = envoy.addHttpFilter({
    name: 'earmark',
    rootId: FILTER_ROOT,
    vmId: VM_ID,
    wasm: wasmPath(),
    configuration: JSON.stringify(config),
  });
  return {
    envoy,
    filter,
    k,
    plant: (user, r, live) => {
      envoy.sharedData.set(VM_ID, k.record(user), encodeRecord(r, { updatedMs: envoy.clock.now(), ...live }));
    },
    fresh,
    request: (user, worker = 0, extra = {}) => {
      const s = filter.newStream(worker);
      const h: Record<string, string> = { ':method': 'GET', ':path': '/api', ':authority': 'svc', ...extra };
      if (user !== undefined) h['x-earmark-user'] = user;
      s.sendRequestHeaders(h, true);
      return s;
    },
    record: (user) => {
      const e = envoy.sharedData.get(VM_ID, k.record(user));
      return e === undefined ? undefined : decodeRecord(e.value);
    },
    metric: (name) => {
      envoy.advance(options.tickMs ?? 100);
      return envoy.metrics.get(name) ?? 0;
    },
    problems: () =>
      envoy.logs.filter((l) => ['warn', 'error', 'critical'].includes(l.level)).map((l) => l.message),
  };
}

/** The local reply's JSON body. */
export const replyJson = (s: HttpStream): Record<string, unknown> =>
  JSON.parse(s.localReply!.body) as Record<string, unknown>;
