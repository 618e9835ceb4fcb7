/**
 * The filter's own verdict on its configuration: load build/earmark.wasm in our proxy-wasm host
 * (wasm-host/), start the VM and call on_configure with exactly what Envoy or Istio would pass,
 * as Envoy's config canary does. A rejection is reported with the filter's own log lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WasmPluginRef } from './envoy-config';
import { Finding } from './findings';
import { nodeAt } from './located';

/** The slice of wasm-host's API (wasm-host/README.md) this check uses. */
interface ConfigCheck {
  ok: boolean;
  error?: string;
  logs: { level: string; message: string }[];
}
interface HostProcess {
  checkConfiguration(config: {
    name: string;
    rootId?: string;
    vmId?: string;
    wasm: string | Uint8Array;
    configuration?: string;
    environmentVariables?: Record<string, string>;
  }): ConfigCheck;
  close(): Promise<void>;
}
type HostModule = { EnvoyProcess: new (o?: Record<string, unknown>) => HostProcess };

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_WASM = path.join(REPO_ROOT, 'build', 'earmark.wasm');

export interface PluginCheckResult {
  findings: Finding[];
  /** Set when the check could not run (no module or no host): what is missing. */
  skipped?: string;
  checked: number;
}

function loadHost(): HostModule | string {
  const entry = path.join(REPO_ROOT, 'wasm-host', 'index.ts');
  if (!fs.existsSync(entry)) return 'wasm-host/index.ts is not there yet';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional part, loaded only when present
    const mod = require(entry) as Partial<HostModule>;
    return typeof mod.EnvoyProcess === 'function' ? (mod as HostModule) : 'wasm-host exports no EnvoyProcess';
  } catch (err) {
    return `wasm-host failed to load: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export async function checkPluginConfigs(
  refs: WasmPluginRef[],
  wasmPath = DEFAULT_WASM,
): Promise<PluginCheckResult> {
  if (!refs.length) return { findings: [], checked: 0 };
  if (!fs.existsSync(wasmPath)) {
    return {
      findings: [],
      checked: 0,
      skipped: `${path.relative(process.cwd(), wasmPath)} is missing (npm run build:plugin)`,
    };
  }
  const host = loadHost();
  if (typeof host === 'string') return { findings: [], checked: 0, skipped: host };
  const wasm = new Uint8Array(fs.readFileSync(wasmPath));
  const findings: Finding[] = [];
  for (const ref of refs) {
    const base = {
      file: ref.file,
      pos: ref.pos,
      path: ref.path,
      rule: 'plugin-config' as const,
      severity: 'error' as const,
    };
    if (ref.opaque) {
      findings.push({
        ...base,
        message: `configuration is a ${ref.opaque}; the filter reads a JSON google.protobuf.StringValue`,
      });
      continue;
    }
    const envoy = new host.EnvoyProcess({ concurrency: 1, clock: 'virtual', logLevel: 'info' });
    try {
      const r = envoy.checkConfiguration({
        name: ref.rootId || 'earmark',
        rootId: ref.rootId,
        vmId: 'earmark',
        wasm,
        configuration: ref.configuration ?? '',
        environmentVariables: ref.env,
      });
      if (!r.ok) {
        const said = r.logs.filter((l) => /warn|error|critical/.test(l.level)).map((l) => l.message);
        const envoySays = r.error ?? 'on_configure returned false';
        const why = said.length ? `${said.join(' | ')} (Envoy: ${envoySays})` : envoySays;
        // The filter names the field first ("sync.cluster: is required"); in YAML we can point at it.
        const field = /configuration: ([\w.]+): /.exec(why)?.[1];
        const steps = field?.split('.') ?? [];
        const node = ref.configNode && steps.length ? nodeAt(ref.configNode, steps) : undefined;
        findings.push({
          ...base,
          ...(node ? { pos: node.pos, path: [...ref.path, ...steps] } : {}),
          message: `the Earmark filter (root_id "${ref.rootId}") rejects this configuration: ${why}`,
        });
      }
    } finally {
      await envoy.close();
    }
  }
  return { findings, checked: refs.length };
}
