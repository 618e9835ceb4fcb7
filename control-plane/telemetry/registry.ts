/**
 * The one Prometheus registry of a control-plane process. The service creates it here and passes it
 * to every part (distribution, cycle, API, store writer), which registers its own metrics on it;
 * nothing registers on prom-client's global registry, so tests can build many services side by side.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface RegistryOptions {
  /** Node process metrics (process_*, nodejs_*). Default true; tests that build many apps turn it off. */
  defaultMetrics?: boolean;
  /** Labels added to every series, e.g. { instance: 'cp-1' }. */
  labels?: Record<string, string>;
  /** Reported in earmark_build_info. */
  version?: string;
}

/** The package version, read once; "unknown" outside the repository. */
function packageVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- JSON read at start-up only
    return String(require('../../package.json').version);
  } catch {
    return 'unknown';
  }
}

export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'earmark_build_info',
    help: 'Always 1; the labels say which Earmark and Node.js this process runs.',
    labelNames: ['version', 'node'],
    registers: [registry],
  });
  info.set({ version: options.version ?? packageVersion(), node: process.versions.node }, 1);
  return registry;
}
