/**
 * Synthetic forecasts and instances for the allocator's tests and benchmark: deterministic for a
 * seed, columnar like the real ForecastBatch, with the mix the real fleet has (most users small or
 * idle, a few large ones).
 */
import { mulberry32 } from '../../../sim/random';
import type { ForecastBatch, ResourceKind } from '../../domain/demand';
import type { Capacity, Instance } from '../../domain/instance';

export interface SyntheticForecastOptions {
  users: number;
  horizon?: number;
  quantiles?: readonly number[];
  resources?: readonly ResourceKind[];
  issuedAtMs?: number;
  stepMs?: number;
  seed?: number;
  /** Share of users with no demand at all (default 0.3). */
  idleShare?: number;
  /** Mean concurrency of an active user (default 1.5). */
  meanConcurrency?: number;
}

/** Per unit of concurrency; sized so 100 average users fill about half an instance of the default policy. */
const UNIT: Record<ResourceKind, number> = {
  requests: 60,
  concurrency: 1,
  cpu: 12,
  memory: 48,
  bandwidth: 400,
};

export function syntheticForecast(o: SyntheticForecastOptions): ForecastBatch {
  const H = o.horizon ?? 15;
  const quantiles = o.quantiles ?? [0.5, 0.9, 0.95, 0.99];
  const resources = o.resources ?? ['requests', 'concurrency', 'cpu', 'memory', 'bandwidth'];
  const R = resources.length;
  const Q = quantiles.length;
  const rand = mulberry32(o.seed ?? 1);
  const values = new Float32Array(o.users * R * Q * H);
  const users = new Array<string>(o.users);
  const idle = o.idleShare ?? 0.3;
  const mean = o.meanConcurrency ?? 1.5;
  const unit = Float64Array.from(resources, (r) => UNIT[r]);
  const spread = Float64Array.from(quantiles, (q) => 1 + 2.5 * (q - 0.5));
  for (let u = 0; u < o.users; u++) {
    users[u] = `u${u}`;
    if (rand() < idle) continue;
    // Heavy-tailed level: most users need one slot, a few need tens.
    const level =
      mean * 0.35 * Math.exp(1.2 * Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(6.283 * rand()));
    const phase = rand() * 6.283;
    for (let h = 0; h < H; h++) {
      const m = level * (1 + 0.3 * Math.sin(phase + h / 3));
      for (let r = 0; r < R; r++)
        for (let q = 0; q < Q; q++) values[((u * R + r) * Q + q) * H + h] = m * spread[q] * unit[r];
    }
  }
  return {
    issuedAtMs: o.issuedAtMs ?? 0,
    stepMs: o.stepMs ?? 60_000,
    horizon: H,
    quantiles,
    resources,
    users,
    values,
    modelOf: new Uint16Array(o.users),
    models: ['synthetic'],
  };
}

export function syntheticInstances(n: number, capacity: Capacity, instanceClass = 'standard'): Instance[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `i-${i}`,
    address: `10.0.${(i >> 8) & 255}.${i & 255}:8080`,
    instanceClass,
    capacity: { ...capacity },
    state: 'ready' as const,
  }));
}
