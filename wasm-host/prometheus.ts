// The plugin's metrics as Envoy's admin endpoint `/stats/prometheus` prints them (envoy
// source/server/admin/prometheus_stats.cc): a Wasm module's stats live in the "wasmcustom" custom
// stat namespace, which the formatter strips without adding `envoy_` (names that are not valid
// Prometheus names are left out); counters get no `_total`; a histogram prints cumulative
// `_bucket{le=...}` lines over its bucket bounds and `+Inf`, then `_sum` and `_count`. Types are
// grouped counters, gauges, histograms, each sorted by name, as Envoy does. One difference: Envoy
// merges histograms from the workers every stats flush (5 s by default) and approximates bucket
// counts from its log-linear bins; here they are exact and current.
import { ENVOY_DEFAULT_BUCKETS, type Metrics, type MetricKind } from './metrics';

const PROMETHEUS_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Envoy's sanitizeName: every character outside [a-zA-Z0-9_] becomes `_`. */
const sanitize = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** A number as the exposition format reads it (integers without a fraction). */
const num = (v: number): string => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

export function prometheusText(metrics: Metrics): string {
  const out: string[] = [];
  const of = (kind: MetricKind) =>
    metrics
      .stats()
      .filter((s) => s.kind === kind)
      .map((s) => ({ s, name: sanitize(s.name) }))
      .filter((x) => PROMETHEUS_NAME.test(x.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const kind of ['counter', 'gauge'] as const)
    for (const { s, name } of of(kind)) out.push(`# TYPE ${name} ${kind}`, `${name} ${num(s.value)}`);
  for (const { s, name } of of('histogram')) {
    out.push(`# TYPE ${name} histogram`);
    let cumulative = 0;
    ENVOY_DEFAULT_BUCKETS.forEach((le, i) => {
      cumulative += s.buckets[i];
      out.push(`${name}_bucket{le="${le}"} ${cumulative}`);
    });
    out.push(`${name}_bucket{le="+Inf"} ${s.count}`, `${name}_sum ${num(s.sum)}`, `${name}_count ${s.count}`);
  }
  return out.join('\n') + '\n';
}
