/** Builders for allocator tests: small policies from YAML text and forecasts from a function. */
import type { ForecastBatch, ResourceKind } from '../../../control-plane/domain/demand';
import type { Capacity, Instance } from '../../../control-plane/domain/instance';
import type { UserProfile } from '../../../control-plane/domain/user';
import { parsePolicy } from '../../../control-plane/allocate/load-policy';
import type { Policy } from '../../../control-plane/allocate/policy';

export const RES: readonly ResourceKind[] = ['requests', 'concurrency', 'cpu', 'memory', 'bandwidth'];

/** A policy with gold (q0.99, priority 100) and free (q0.5, priority 10), plus any extra YAML. */
export function testPolicy(
  extra = '',
  capacity = 'slots: 10, cpuMillicores: 1000, memoryMb: 1000, bandwidthKbps: 10000',
): Policy {
  return parsePolicy(
    [
      'tiers:',
      '  gold: { quantile: 0.99, priority: 100, onExhausted: top_up }',
      '  free: { quantile: 0.5, priority: 10, onExhausted: reject }',
      'instanceClasses:',
      `  standard: { capacity: { ${capacity} }, costPerHour: 1, warmup: 60s }`,
      extra.includes('scaling:') ? '' : 'scaling: { minInstances: 0, maxInstances: 100 }',
      extra,
    ].join('\n'),
    'test-policy.yaml',
  );
}

/** A batch whose value for (user, resource, quantile, step) comes from `fn`. */
export function batchOf(
  users: string[],
  fn: (u: number, r: ResourceKind, q: number, h: number) => number,
  o: {
    horizon?: number;
    quantiles?: number[];
    resources?: readonly ResourceKind[];
    issuedAtMs?: number;
  } = {},
): ForecastBatch {
  const H = o.horizon ?? 5;
  const quantiles = o.quantiles ?? [0.5, 0.9, 0.99];
  const resources = o.resources ?? RES;
  const R = resources.length;
  const Q = quantiles.length;
  const values = new Float32Array(users.length * R * Q * H);
  for (let u = 0; u < users.length; u++)
    for (let r = 0; r < R; r++)
      for (let q = 0; q < Q; q++)
        for (let h = 0; h < H; h++)
          values[((u * R + r) * Q + q) * H + h] = fn(u, resources[r], quantiles[q], h);
  return {
    issuedAtMs: o.issuedAtMs ?? 0,
    stepMs: 60_000,
    horizon: H,
    quantiles,
    resources,
    users,
    values,
    modelOf: new Uint16Array(users.length),
    models: ['test'],
  };
}

/** Demand of `slots` concurrent requests with 10 mCPU, 10 MB and 100 kbps per slot, at every quantile. */
export function perSlotDemand(slots: number): (r: ResourceKind) => number {
  return (r) =>
    ({
      requests: slots * 60,
      concurrency: slots,
      cpu: slots * 10,
      memory: slots * 10,
      bandwidth: slots * 100,
    })[r];
}

export function instances(n: number, capacity: Capacity, prefix = 'i'): Instance[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    address: `10.0.0.${i + 1}:8080`,
    instanceClass: 'standard',
    capacity: { ...capacity },
    state: 'ready' as const,
  }));
}

export function profiles(tiers: Record<string, string>): Map<string, UserProfile> {
  return new Map(Object.entries(tiers).map(([user, tier]) => [user, { user, tier, updatedAtMs: 0 }]));
}

export const CAP10: Capacity = { slots: 10, cpuMillicores: 1000, memoryMb: 1000, bandwidthKbps: 10000 };

/** A one-tier policy whose tier sets `field: value` (YAML), to test how the loader takes that field. */
export function withTierField(field: string, value: string): Policy {
  return parsePolicy(
    [
      'tiers:',
      `  silver: { quantile: 0.9, priority: 50, ${field}: ${value} }`,
      'instanceClasses:',
      '  standard: { capacity: { slots: 10, cpuMillicores: 1000, memoryMb: 1000, bandwidthKbps: 10000 }, costPerHour: 1 }',
    ].join('\n'),
    `${field}.yaml`,
  );
}
