/**
 * The store's schema as it is actually written: sample data passed through the store's own point
 * builders gives, per measurement, the fields and tags that exist. The Grafana test checks its
 * queries against this, and writes the same samples to a real influxd to run them.
 */
import { DEFAULT_QUANTILES, RESOURCES, type ForecastBatch } from '../../../../control-plane/domain/demand';
import type { DemandEvent } from '../../../../control-plane/domain/event';
import type { InstanceLoad } from '../../../../control-plane/domain/instance';
import type { Plan } from '../../../../control-plane/domain/plan';
import type { UsageReport } from '../../../../control-plane/domain/usage';
import type { UserProfile } from '../../../../control-plane/domain/user';
import {
  MEASUREMENTS,
  RETENTION_POLICIES,
  usagePoints,
  type ContextObservation,
  type Point,
} from '../../../../control-plane/store';
import { eventPoint } from '../../../../control-plane/store/events';
import { forecastPoints } from '../../../../control-plane/store/forecasts';
import { instanceLoadPoint, instancePoint } from '../../../../control-plane/store/instances';
import { planPoints } from '../../../../control-plane/store/plans';
import { policyPoint } from '../../../../control-plane/store/policies';
import { ROLLUPS } from '../../../../control-plane/store/schema';
import { contextPoint, userProfilePoint } from '../../../../control-plane/store/user-profiles';
import * as seed from './seed';

export interface Samples {
  reports: UsageReport[];
  forecast: ForecastBatch;
  plan: Plan;
  loads: InstanceLoad[];
  contexts: ContextObservation[];
  profiles: UserProfile[];
  events: DemandEvent[];
}

export function samples(nowMs: number): Samples {
  const users = ['alice', 'bob'];
  const insts = seed.instances(2);
  const start = Math.floor(nowMs / 60_000) * 60_000 - 30 * 60_000;
  const reports: UsageReport[] = Array.from({ length: 20 }, (_, m) => ({
    nodeId: m % 2 ? 'envoy-a' : 'envoy-b',
    sequence: m,
    intervalStartMs: start + m * 60_000,
    intervalMs: 60_000,
    planVersion: 'p1',
    users: users.map((user, i) => ({
      user,
      requests: 20 + m + i,
      admitted: 15 + m,
      queued: 2,
      queueWaitMs: 40,
      queueWaitMaxMs: 30,
      throttled: 1,
      redirected: 1,
      peakInFlight: 4,
      bytesIn: 100,
      bytesOut: 900,
      shortfall: 1,
      unreserved: 1 + i,
    })),
  }));
  const horizon = 15;
  const values = new Float32Array(users.length * RESOURCES.length * DEFAULT_QUANTILES.length * horizon);
  values.forEach((_, i) => (values[i] = 1 + (i % 50)));
  const forecast: ForecastBatch = {
    issuedAtMs: start + 10 * 60_000,
    stepMs: 60_000,
    horizon,
    quantiles: DEFAULT_QUANTILES,
    resources: RESOURCES,
    users,
    values,
    modelOf: new Uint16Array(users.length),
    models: ['seasonal-naive'],
  };
  const plan = seed.plan(0, insts, start + 10 * 60_000);
  users.forEach((u, i) =>
    plan.reservations.set(
      u,
      seed.reservation(u, insts[i % insts.length], () => 0.5, plan.issuedAtMs),
    ),
  );
  const wanted = { slots: 4, cpuMillicores: 400, memoryMb: 512, bandwidthKbps: 2000 };
  plan.squeezed = [
    { user: 'bob', tier: 'free', wanted, granted: { ...wanted, slots: 2 }, reason: 'capacity' },
  ];
  const loads = insts.flatMap((i, k) =>
    Array.from({ length: 10 }, (_, m) => ({
      instanceId: i.id,
      atMs: start + m * 60_000,
      cpuMillicores: 500 + 10 * m + k,
      memoryMb: 1024,
      bandwidthKbps: 300,
      inFlight: 3,
    })),
  );
  const contexts = users.map((user, i) => ({
    user,
    atMs: start,
    context: { device: 'mobile', network: '5g', networkQuality: 0.5 + i / 10, location: 'eu-west' },
  }));
  const profiles = users.map((user) => ({
    user,
    tier: 'gold',
    preferences: { lang: 'en' },
    context: { device: 'mobile' },
    updatedAtMs: start,
  }));
  const events = [
    {
      id: 'sale',
      name: 'sale',
      startMs: start,
      endMs: start + 3_600_000,
      users: ['alice'],
      tiers: ['gold'],
      multiplier: 2,
      description: 'd',
      updatedAtMs: start,
    },
  ];
  return { reports, forecast, plan, loads, contexts, profiles, events };
}

export interface MeasurementShape {
  rp: string;
  fields: Set<string>;
  tags: Set<string>;
}

function add(into: Map<string, MeasurementShape>, rp: string, points: Point[]): void {
  for (const p of points) {
    let m = into.get(p.measurement);
    if (!m) into.set(p.measurement, (m = { rp, fields: new Set(), tags: new Set() }));
    for (const [k, v] of Object.entries(p.fields)) if (v !== undefined) m.fields.add(k);
    for (const k of Object.keys(p.tags ?? {})) m.tags.add(k);
  }
}

/** Measurement → its retention policy, fields and tags, as the store writes them. */
export function writtenSchema(s: Samples): Map<string, MeasurementShape> {
  const out = new Map<string, MeasurementShape>();
  const raw = RETENTION_POLICIES.raw.name;
  const state = RETENTION_POLICIES.state.name;
  add(out, raw, s.reports.flatMap(usagePoints));
  add(out, raw, forecastPoints(s.forecast));
  const { raw: planRaw, header } = planPoints(s.plan);
  add(out, raw, planRaw);
  add(out, state, [header]);
  add(out, raw, s.loads.map(instanceLoadPoint));
  add(out, raw, s.contexts.map(contextPoint));
  add(out, state, s.profiles.map(userProfilePoint));
  add(
    out,
    state,
    s.events.map((e) => eventPoint(e)),
  );
  add(
    out,
    state,
    seed.instances(1).map((i) => instancePoint(i, 0)),
  );
  add(out, state, [policyPoint({ version: '1', yaml: 'tiers: {}', author: 't', savedAtMs: 0 })]);
  // Roll-ups: the aliases of each continuous query, with the source's tags (GROUP BY *).
  for (const r of ROLLUPS) {
    const source = out.get(r.source);
    out.set(r.target, {
      rp: RETENTION_POLICIES.hourly.name,
      fields: new Set([...r.select.matchAll(/ AS (\w+)/g)].map((m) => m[1])),
      tags: new Set(source?.tags ?? []),
    });
  }
  for (const name of out.keys()) {
    if (!Object.values(MEASUREMENTS).includes(name as never))
      throw new Error(`store wrote unknown measurement ${name}`);
  }
  return out;
}
