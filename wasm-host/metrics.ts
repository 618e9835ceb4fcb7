// Plugin metrics as Envoy keeps them (envoy source/extensions/common/wasm/context.cc defineMetric,
// incrementMetric, recordMetric, getMetric): ids are per VM (type in the low 2 bits, +4 per
// definition, cpp-host wasm.h), but the stats live in the process-wide store under
// "wasmcustom.<name>", so every worker's VM that defines the same name shares one counter.

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/**
 * Envoy's default histogram bucket bounds (stats_config.histogram_bucket_settings unset; envoy
 * source/common/stats/histogram_impl.cc, HistogramSettingsImpl::defaultBuckets), in the metric's
 * own unit: /stats/prometheus prints each as a cumulative `_bucket{le=...}`.
 */
export const ENVOY_DEFAULT_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

export interface Stat {
  kind: MetricKind;
  name: string;
  value: number; // counter total or gauge value
  count: number; // histogram: number of recorded values
  sum: number;
  min: number;
  max: number;
  samples: number[]; // histogram: the most recent values (a ring of MAX_SAMPLES)
  next: number; // histogram: where the next sample goes in the ring
  /** Histogram: how many values fell in each of ENVOY_DEFAULT_BUCKETS (per bucket; prometheus.ts sums them up). */
  buckets: number[];
}

const MAX_SAMPLES = 10_000;

export class Metrics {
  private readonly byKey = new Map<string, Stat>();

  /** The stat for (kind, name), created on first definition. */
  define(kind: MetricKind, name: string): Stat {
    const key = kind + ':' + name;
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = {
        kind,
        name,
        value: 0,
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        samples: [],
        next: 0,
        buckets: kind === 'histogram' ? ENVOY_DEFAULT_BUCKETS.map(() => 0) : [],
      };
      this.byKey.set(key, s);
    }
    return s;
  }

  static record(s: Stat, v: number): void {
    s.count++;
    s.sum += v;
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
    if (s.samples.length < MAX_SAMPLES) s.samples.push(v);
    else s.samples[s.next] = v;
    s.next = (s.next + 1) % MAX_SAMPLES;
    // The first bound the value does not exceed (values above the last go only to +Inf, i.e. count).
    const b = ENVOY_DEFAULT_BUCKETS;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    if (i < b.length) s.buckets[i]++;
  }

  /** Counter or gauge value by the name the plugin defined; undefined if never defined. */
  get(name: string): number | undefined {
    return (this.byKey.get('counter:' + name) ?? this.byKey.get('gauge:' + name))?.value;
  }

  counter(name: string): number | undefined {
    return this.byKey.get('counter:' + name)?.value;
  }

  gauge(name: string): number | undefined {
    return this.byKey.get('gauge:' + name)?.value;
  }

  histogram(
    name: string,
  ): { count: number; sum: number; min: number; max: number; samples: number[] } | undefined {
    const s = this.byKey.get('histogram:' + name);
    return s === undefined
      ? undefined
      : { count: s.count, sum: s.sum, min: s.min, max: s.max, samples: [...s.samples] };
  }

  /** Every stat with its kind (histograms with their buckets), in definition order. */
  stats(): readonly Readonly<Stat>[] {
    return [...this.byKey.values()];
  }

  /** Every stat, named as Envoy's admin would show it ("wasmcustom." prefix stripped). */
  all(): Array<{ kind: MetricKind; name: string; value: number; count?: number }> {
    return [...this.byKey.values()].map((s) =>
      s.kind === 'histogram'
        ? { kind: s.kind, name: s.name, value: s.sum, count: s.count }
        : { kind: s.kind, name: s.name, value: s.value },
    );
  }
}
