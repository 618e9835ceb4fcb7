/** Deterministic plans, forecasts and usage for API and dashboard tests (a seeded PRNG, no I/O). */
import { DEFAULT_QUANTILES } from '../../../../control-plane/domain/demand';
import type { Instance } from '../../../../control-plane/domain/instance';
import type { Plan } from '../../../../control-plane/domain/plan';
import type { Reservation } from '../../../../control-plane/domain/reservation';
import type { DecisionPoint, ForecastSeries } from '../../../../control-plane/api/port';

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function instances(n: number): Instance[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `inst-${i}`,
    address: `10.0.0.${i + 1}:8080`,
    instanceClass: 'small',
    capacity: { slots: 100, cpuMillicores: 4000, memoryMb: 8192, bandwidthKbps: 100_000 },
    state: 'ready' as const,
  }));
}

export function reservation(user: string, instance: Instance, rnd: () => number, nowMs: number): Reservation {
  const slots = 1 + Math.floor(rnd() * 8);
  return {
    user,
    instanceId: instance.id,
    instanceAddress: instance.address,
    slots,
    ratePerMinute: slots * 60,
    burst: 0,
    cpuMillicores: slots * 100,
    memoryMb: slots * 128,
    bandwidthKbps: slots * 500,
    tier: rnd() < 0.3 ? 'gold' : 'free',
    priority: 1,
    maxQueueWaitMs: 250,
    onExhausted: 'queue',
    notBeforeMs: nowMs,
    expiresMs: nowMs + 15 * 60_000,
    fallback: '',
  };
}

export function plan(users: number, insts: Instance[], nowMs: number, seed = 7): Plan {
  const rnd = prng(seed);
  const reservations = new Map<string, Reservation>();
  for (let u = 0; u < users; u++) {
    const user = `user-${String(u).padStart(4, '0')}`;
    reservations.set(user, reservation(user, insts[u % insts.length], rnd, nowMs));
  }
  return {
    version: `v${seed}-${nowMs}`,
    issuedAtMs: nowMs,
    reservations,
    squeezed: [],
    scaling: [
      {
        instanceClass: 'small',
        delta: 1,
        desired: insts.length + 1,
        neededAtMs: nowMs + 120_000,
        reason: 'forecast peak',
      },
    ],
  };
}

/** A diurnal-ish usage curve with decisions, one point per minute over [from, to). */
export function usage(fromMs: number, toMs: number, seed: number): DecisionPoint[] {
  const rnd = prng(seed);
  const out: DecisionPoint[] = [];
  for (let t = fromMs; t < toMs; t += 60_000) {
    const requests = Math.round(50 + 40 * Math.sin(t / 3_600_000) + rnd() * 20);
    const queued = Math.floor(rnd() * 5);
    const redirected = Math.floor(rnd() * 3);
    const throttled = Math.floor(rnd() * 2);
    const reserved = Math.max(0, requests - queued - redirected - throttled);
    out.push({
      atMs: t,
      requests,
      reserved,
      queued,
      redirected,
      throttled,
      unreserved: 0,
      shortfall: queued,
      peakInFlight: Math.ceil(requests / 10),
    });
  }
  return out;
}

/** A forecast around the usage curve at the default quantiles. */
export function forecast(user: string, fromMs: number, toMs: number, seed: number): ForecastSeries {
  const points = usage(fromMs, toMs, seed).map((p) => {
    const base = p.requests;
    return {
      atMs: p.atMs,
      issuedAtMs: p.atMs - 5 * 60_000,
      values: DEFAULT_QUANTILES.map((q) => base * (0.7 + q * 0.6)),
    };
  });
  return {
    user,
    resource: 'requests',
    stepMs: 60_000,
    quantiles: [...DEFAULT_QUANTILES],
    points,
    model: 'seasonal-naive',
  };
}
