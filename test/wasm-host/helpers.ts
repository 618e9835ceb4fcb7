/** Shared set-up for the wasm-host tests: the fixture modules and a few readers. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvoyProcess, type HttpStream, type PluginConfig, type ProcessOptions } from '../../wasm-host';

const ROOT = resolve(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'build', 'fixtures');

/** Path of a built fixture; builds them once when a test runs before `npm run build`. */
export const fixture = (name: string): string => {
  const path = join(FIXTURES, name);
  if (!existsSync(path))
    execFileSync('npx', ['tsx', 'wasm-host/fixtures/build.ts'], { cwd: ROOT, stdio: 'ignore' });
  return path;
};

export const PROBE = (): string => fixture('probe.wasm');

export const newEnvoy = (options: ProcessOptions = {}): EnvoyProcess =>
  new EnvoyProcess({ concurrency: 2, ...options });

export const probe = (envoy: EnvoyProcess, config: Partial<PluginConfig> = {}) =>
  envoy.addHttpFilter({ name: 'probe', rootId: 'probe_root', vmId: 'probe_vm', wasm: PROBE(), ...config });

/** Module log lines (proxy_log / stdout), optionally only those containing `part`. */
export const wasmLogs = (envoy: EnvoyProcess, part = ''): string[] =>
  envoy.logs.filter((l) => l.source === 'wasm' && l.message.includes(part)).map((l) => l.message);

/** Send request headers carrying the probe's ops; returns the filter result. */
export const send = (s: HttpStream, ops: string, extra: Record<string, string> = {}, endOfStream = false) =>
  s.sendRequestHeaders(
    { ':method': 'GET', ':path': '/p?q=1', ':authority': 'svc', ...extra, 'x-op': ops },
    endOfStream,
  );

/** A result header the probe added ("x-r-<name>"). */
export const r = (s: HttpStream, name: string): string | undefined => s.requestHeaders.get(`x-r-${name}`);
