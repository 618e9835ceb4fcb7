/**
 * The metric names Prometheus would see from Earmark, for checks of what the alert rules and the
 * Grafana dashboards query: the control plane's (every part's metrics on one registry) and the
 * filter's (as Envoy's /stats/prometheus names them), histograms with _bucket, _sum and _count.
 */
import { ApiMetrics } from '../../../../control-plane/api/metrics';
import { DistributionMetrics } from '../../../../control-plane/distribute/metrics';
import { LeaderMetrics } from '../../../../control-plane/leader/metrics';
import { CycleMetrics } from '../../../../control-plane/service/metrics';
import { createRegistry } from '../../../../control-plane/telemetry';
import type { EnvoyProcess } from '../../../../wasm-host';
import { startStack, type Stack } from '../../../plugin/support/stack';

/** Series names a set of metrics exposes. */
export function exposed(metrics: { name: string; histogram: boolean }[]): Set<string> {
  const out = new Set<string>();
  for (const m of metrics) {
    out.add(m.name);
    if (m.histogram) for (const s of ['_bucket', '_sum', '_count']) out.add(m.name + s);
  }
  return out;
}

export async function controlPlaneMetricNames(): Promise<Set<string>> {
  const registry = createRegistry({ defaultMetrics: false });
  new ApiMetrics(registry);
  new DistributionMetrics(registry);
  new CycleMetrics(registry);
  new LeaderMetrics(registry); // with leaderElection=kubernetes
  return exposed(
    (await registry.getMetricsAsJSON()).map((m) => ({
      name: m.name,
      histogram: String(m.type) === 'histogram',
    })),
  );
}

/** What the filter and sync root of a running emulated Envoy have defined. */
export function filterMetricNames(envoy: EnvoyProcess, leaveOut: string[] = []): Set<string> {
  return exposed(
    envoy.metrics
      .all()
      .filter((m) => !leaveOut.includes(m.name))
      .map((m) => ({ name: m.name, histogram: m.kind === 'histogram' })),
  );
}

/** Metric names a PromQL expression reads (Earmark's all start with earmark_). */
export const metricsIn = (expr: string): string[] =>
  [...expr.matchAll(/\bearmark_[a-z0-9_]+/g)].map((m) => m[0]);

/**
 * An emulated Envoy (filter and sync root on the compiled module) whose sync root has sent its first
 * request: both roots are configured and have defined their metrics.
 */
export async function syncedStack(): Promise<Stack> {
  const stack = await startStack();
  const s = stack.server.streams;
  await stack.until(() => s.length > 0 && s[0].requests.length > 0, 'the sync stream', 50);
  return stack;
}
