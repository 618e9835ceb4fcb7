/**
 * Companion instances: the registry (`instance`, state RP, latest point per instance wins) and
 * their live load (`instance_load`, raw RP), which instances may also write themselves in line
 * protocol, as Telegraf would (see README).
 */
import type { Capacity, Instance, InstanceLoad, InstanceState } from '../domain/instance';
import type { StoreContext } from './context';
import { anyOf, ident, ms, num, qualified, str, where } from './influx/influxql';
import { latestByTag } from './latest';
import type { Point } from './influx/line-protocol';
import { M, RP } from './schema';

/** A load sample, optionally with the capacity the instance reports for itself (e.g. its cgroup limits). */
export interface InstanceLoadSample extends InstanceLoad {
  capacity?: Capacity;
}

export const LOAD_METRICS = ['cpuMillicores', 'memoryMb', 'bandwidthKbps', 'inFlight'] as const;
export type LoadMetric = (typeof LOAD_METRICS)[number];
const LOAD_FIELDS: Record<LoadMetric, string> = {
  cpuMillicores: 'cpu_millicores',
  memoryMb: 'memory_mb',
  bandwidthKbps: 'bandwidth_kbps',
  inFlight: 'in_flight',
};

/** Per-instance, per-step mean load; NaN where an instance reported nothing (absent is not idle). */
export interface InstanceLoadWindows {
  instances: string[];
  metrics: readonly LoadMetric[];
  startMs: number;
  stepMs: number;
  steps: number;
  /** values[(i * metrics.length + m) * steps + t] */
  values: Float32Array;
}

export function instancePoint(i: Instance, atMs: number, removed = false): Point {
  if (!i.id) throw new Error('instance without an id');
  return {
    measurement: M.instance,
    tags: { instance: i.id },
    fields: {
      address: i.address,
      class: i.instanceClass,
      state: i.state,
      slots: i.capacity.slots,
      cpu_millicores: i.capacity.cpuMillicores,
      memory_mb: i.capacity.memoryMb,
      bandwidth_kbps: i.capacity.bandwidthKbps,
      ready_at_ms: i.readyAtMs,
      removed,
    },
    timeMs: atMs,
  };
}

export async function writeInstances(
  ctx: StoreContext,
  instances: readonly Instance[],
  atMs: number,
): Promise<void> {
  await ctx.writer.write(
    RP.state.name,
    instances.map((i) => instancePoint(i, atMs)),
    { now: true },
  );
}

/** A tombstone: the instance is gone from readInstances() from atMs on. */
export async function removeInstance(ctx: StoreContext, id: string, atMs: number): Promise<void> {
  const blank: Instance = {
    id,
    address: '',
    instanceClass: '',
    state: 'draining',
    capacity: { slots: 0, cpuMillicores: 0, memoryMb: 0, bandwidthKbps: 0 },
  };
  await ctx.writer.write(RP.state.name, [instancePoint(blank, atMs, true)], { now: true });
}

/** The registry: latest point per instance, tombstoned ones left out, sorted by id. */
export async function readInstances(ctx: StoreContext): Promise<Instance[]> {
  const out: Instance[] = [];
  for (const r of await latestByTag(ctx, { rp: RP.state.name, measurement: M.instance, tag: 'instance' })) {
    if (r.removed === true) continue;
    out.push({
      id: str(r.instance),
      address: str(r.address),
      instanceClass: str(r.class),
      state: str(r.state, 'ready') as InstanceState,
      capacity: {
        slots: num(r.slots),
        cpuMillicores: num(r.cpu_millicores),
        memoryMb: num(r.memory_mb),
        bandwidthKbps: num(r.bandwidth_kbps),
      },
      readyAtMs: typeof r.ready_at_ms === 'number' ? r.ready_at_ms : undefined,
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function instanceLoadPoint(l: InstanceLoadSample): Point {
  if (!l.instanceId) throw new Error('instance load without an instance id');
  return {
    measurement: M.instanceLoad,
    tags: { instance: l.instanceId },
    fields: {
      cpu_millicores: l.cpuMillicores,
      memory_mb: l.memoryMb,
      bandwidth_kbps: l.bandwidthKbps,
      in_flight: l.inFlight,
      cap_slots: l.capacity?.slots,
      cap_cpu_millicores: l.capacity?.cpuMillicores,
      cap_memory_mb: l.capacity?.memoryMb,
      cap_bandwidth_kbps: l.capacity?.bandwidthKbps,
    },
    timeMs: l.atMs,
  };
}

export async function writeInstanceLoad(
  ctx: StoreContext,
  loads: readonly InstanceLoadSample[],
): Promise<void> {
  await ctx.writer.write(RP.raw.name, loads.map(instanceLoadPoint));
}

/** The newest sample of every instance that reported since `sinceMs`. */
export async function readLatestInstanceLoad(
  ctx: StoreContext,
  sinceMs: number,
): Promise<Map<string, InstanceLoadSample>> {
  const out = new Map<string, InstanceLoadSample>();
  for (const r of await latestByTag(ctx, {
    rp: RP.raw.name,
    measurement: M.instanceLoad,
    tag: 'instance',
    sinceMs,
  })) {
    const sample: InstanceLoadSample = {
      instanceId: str(r.instance),
      atMs: num(r.time),
      cpuMillicores: num(r.cpu_millicores),
      memoryMb: num(r.memory_mb),
      bandwidthKbps: num(r.bandwidth_kbps),
      inFlight: num(r.in_flight),
    };
    if (typeof r.cap_slots === 'number') {
      sample.capacity = {
        slots: r.cap_slots,
        cpuMillicores: num(r.cap_cpu_millicores),
        memoryMb: num(r.cap_memory_mb),
        bandwidthKbps: num(r.cap_bandwidth_kbps),
      };
    }
    out.set(sample.instanceId, sample);
  }
  return out;
}

export interface InstanceLoadQuery {
  fromMs: number;
  toMs: number;
  stepMs?: number;
  /** These instances in this order; default every instance that reported in range, sorted. */
  instances?: readonly string[];
}

export async function readInstanceLoadWindows(
  ctx: StoreContext,
  q: InstanceLoadQuery,
): Promise<InstanceLoadWindows> {
  const stepMs = q.stepMs ?? 60_000;
  const startMs = Math.floor(q.fromMs / stepMs) * stepMs;
  const steps = Math.max(0, Math.ceil(q.toMs / stepMs) - startMs / stepMs);
  const select = LOAD_METRICS.map((m) => `mean(${ident(LOAD_FIELDS[m])})`).join(', ');
  const filter = q.instances && q.instances.length <= 200 ? anyOf('instance', q.instances) : '';
  const query =
    `SELECT ${select} FROM ${qualified(ctx.db, RP.raw.name, M.instanceLoad)}` +
    where(`time >= ${ms(startMs)}`, `time < ${ms(startMs + steps * stepMs)}`, filter) +
    ` GROUP BY time(${stepMs}ms), ${ident('instance')} fill(none)`;
  const [res] = await ctx.http.query(query, ctx.db);
  const seen = res.series.map((s) => s.tags?.instance ?? '');
  const ids = q.instances ? [...q.instances] : [...new Set(seen)].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const nm = LOAD_METRICS.length;
  const values = new Float32Array(ids.length * nm * steps).fill(NaN);
  for (const s of res.series) {
    const i = index.get(s.tags?.instance ?? '');
    if (i === undefined) continue;
    for (const row of s.values) {
      const t = ((row[0] as number) - startMs) / stepMs;
      for (let m = 0; m < nm; m++) {
        const v = row[m + 1];
        if (typeof v === 'number') values[(i * nm + m) * steps + t] = v;
      }
    }
  }
  return { instances: ids, metrics: LOAD_METRICS, startMs, stepMs, steps, values };
}
