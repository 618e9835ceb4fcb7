/**
 * Plans. Every point of a plan carries the plan's issuedAtMs: one `allocation` per reservation,
 * `squeeze` and `scaling` points (raw RP), and last a `plan` header (state RP). The writer keeps
 * order, so a header is only ever stored after all of its reservations: the latest header names a
 * complete plan, and reading it back is one query at that exact timestamp.
 */
import type { Capacity } from '../domain/instance';
import type { Plan, ScalingRecommendation, Squeeze } from '../domain/plan';
import { EXHAUSTED_ACTIONS, type ExhaustedAction, type Reservation } from '../domain/reservation';
import { chunksOf, queueChunks } from './chunked-write';
import type { StoreContext } from './context';
import { ms, num, qualified, rows, str, where } from './influx/influxql';
import type { Point } from './influx/line-protocol';
import type { Logger } from './writer/logger';
import { M, RP } from './schema';

function capFields(prefix: string, c: Capacity): Record<string, number> {
  return {
    [`${prefix}_slots`]: c.slots,
    [`${prefix}_cpu_millicores`]: c.cpuMillicores,
    [`${prefix}_memory_mb`]: c.memoryMb,
    [`${prefix}_bandwidth_kbps`]: c.bandwidthKbps,
  };
}

function capOf(prefix: string, r: Record<string, unknown>): Capacity {
  return {
    slots: num(r[`${prefix}_slots`]),
    cpuMillicores: num(r[`${prefix}_cpu_millicores`]),
    memoryMb: num(r[`${prefix}_memory_mb`]),
    bandwidthKbps: num(r[`${prefix}_bandwidth_kbps`]),
  };
}

/**
 * One reservation's point; `room` is the overflow room the allocator kept beside it
 * (Plan.overflowRoom), stored with it so that a restarted control plane counts that room's use as
 * expected load exactly as the running one did (DESIGN: a restart loses nothing).
 */
export function allocationPoint(r: Reservation, atMs: number, room?: Capacity): Point {
  return {
    measurement: M.allocation,
    tags: { user: r.user, instance: r.instanceId, tier: r.tier },
    fields: {
      address: r.instanceAddress,
      slots: r.slots,
      rate_per_minute: r.ratePerMinute,
      burst: r.burst,
      cpu_millicores: r.cpuMillicores,
      memory_mb: r.memoryMb,
      bandwidth_kbps: r.bandwidthKbps,
      priority: r.priority,
      max_queue_wait_ms: r.maxQueueWaitMs,
      on_exhausted: r.onExhausted,
      not_before_ms: r.notBeforeMs,
      expires_ms: r.expiresMs,
      fallback: r.fallback || undefined,
      ...(room && capFields('room', room)),
    },
    timeMs: atMs,
  };
}

/** All points of a plan, header last. */
export function planPoints(plan: Plan): { raw: Point[]; header: Point } {
  return { raw: [...rawPoints(plan)], header: headerPoint(plan) };
}

/**
 * The plan's raw points: allocations, then squeezes and scaling. The whole plan is checked before
 * the first, so that a bad plan writes nothing.
 */
function* rawPoints(plan: Plan): Generator<Point> {
  if (!plan.version) throw new Error('plan without a version');
  for (const [user, r] of plan.reservations)
    if (user !== r.user) throw new Error(`plan ${plan.version}: reservation keyed ${user} is for ${r.user}`);
  const at = plan.issuedAtMs;
  for (const [user, r] of plan.reservations) yield allocationPoint(r, at, plan.overflowRoom?.get(user));
  for (const q of plan.squeezed as Squeeze[])
    yield {
      measurement: M.squeeze,
      tags: { user: q.user, tier: q.tier },
      fields: { ...capFields('wanted', q.wanted), ...capFields('granted', q.granted), reason: q.reason },
      timeMs: at,
    };
  for (const [n, r] of (plan.scaling as ScalingRecommendation[]).entries())
    yield {
      measurement: M.scaling,
      tags: { instance_class: r.instanceClass, n: String(n) },
      fields: { delta: r.delta, desired: r.desired, needed_at_ms: r.neededAtMs, reason: r.reason },
      timeMs: at,
    };
}

function headerPoint(plan: Plan): Point {
  return {
    measurement: M.plan,
    fields: {
      version: plan.version,
      reservations: plan.reservations.size,
      squeezed: plan.squeezed.length,
      scaling: plan.scaling.length,
    },
    timeMs: plan.issuedAtMs,
  };
}

/** Resolves once the whole plan is durable (queuePlan, then its writes). */
export async function writePlan(ctx: StoreContext, plan: Plan): Promise<void> {
  return (await queuePlan(ctx, plan)).durable;
}

/**
 * Queues the plan's points with the writer; resolves once all are queued (its header last), with
 * `durable`, which resolves once they are stored. The points are built and formatted in chunks
 * with a turn of the event loop between them: at 10^6 users that is ~5 s of work, on the thread
 * that serves the proxies and renews the leader lease. Writes queued after this resolves are stored
 * after the whole plan (the writer keeps order), and a plan read back whole is one whose every
 * chunk went before its header (readLatestPlan reads by the header). `beforeHeader` runs just
 * before the header is queued and may throw to leave the plan without one (the leader fence).
 * Top-ups granted during the turns may change some reservations of the plan in force: each is
 * stored as it was at its chunk, before or after its top-up.
 */
export async function queuePlan(
  ctx: StoreContext,
  plan: Plan,
  o: { beforeHeader?: () => void } = {},
): Promise<{ durable: Promise<void> }> {
  // Rejects, with no header queued, when a chunk is refused while the plan is queued. (A refusal
  // InfluxDB answers after the header was queued leaves the header, as before chunking;
  // readLatestPlan then warns of the shortfall.)
  const raw = await queueChunks(ctx, RP.raw.name, chunksOf(rawPoints(plan)));
  o.beforeHeader?.(); // may throw: the plan is then left without a header
  const header = ctx.writer.write(RP.state.name, [headerPoint(plan)], { now: true });
  const durable = Promise.all([raw.stored, header]).then(() => undefined);
  // Handled here as well: the caller queues more (the forecasts, with turns) before awaiting it.
  durable.catch(() => undefined);
  return { durable };
}

function toReservation(r: Record<string, unknown>): Reservation {
  const action = str(r.on_exhausted) as ExhaustedAction;
  return {
    user: str(r.user),
    instanceId: str(r.instance),
    instanceAddress: str(r.address),
    slots: num(r.slots),
    ratePerMinute: num(r.rate_per_minute),
    burst: num(r.burst),
    cpuMillicores: num(r.cpu_millicores),
    memoryMb: num(r.memory_mb),
    bandwidthKbps: num(r.bandwidth_kbps),
    tier: str(r.tier),
    priority: num(r.priority),
    maxQueueWaitMs: num(r.max_queue_wait_ms),
    onExhausted: EXHAUSTED_ACTIONS.includes(action) ? action : 'queue',
    notBeforeMs: num(r.not_before_ms),
    expiresMs: num(r.expires_ms),
    fallback: str(r.fallback),
  };
}

/**
 * The newest stored plan, or undefined. Its reservations live in the raw RP (14 days): a plan older
 * than that comes back with fewer reservations than its header counts (logged); they expired long ago.
 */
export async function readLatestPlan(ctx: StoreContext, log?: Logger): Promise<Plan | undefined> {
  const [head] = await ctx.http.query(
    `SELECT * FROM ${qualified(ctx.db, RP.state.name, M.plan)} ORDER BY time DESC LIMIT 1`,
    ctx.db,
  );
  const h = head.series.flatMap(rows)[0];
  if (!h) return undefined;
  const at = num(h.time);
  const atTime = where(`time = ${ms(at)}`);
  const [alloc, squeeze, scaling] = await ctx.http.query(
    [M.allocation, M.squeeze, M.scaling]
      .map((m) => `SELECT * FROM ${qualified(ctx.db, RP.raw.name, m)}${atTime}`)
      .join('; '),
    ctx.db,
  );
  const reservations = new Map<string, Reservation>();
  const overflowRoom = new Map<string, Capacity>();
  for (const r of alloc.series.flatMap(rows)) {
    reservations.set(str(r.user), toReservation(r));
    // Only points with kept room have these fields; other rows read them as null.
    if (typeof r.room_slots === 'number') overflowRoom.set(str(r.user), capOf('room', r));
  }
  if (reservations.size !== num(h.reservations)) {
    log?.warn(
      `plan ${str(h.version)}: header counts ${num(h.reservations)} reservations, ${reservations.size} found`,
    );
  }
  const squeezed: Squeeze[] = squeeze.series.flatMap(rows).map((r) => ({
    user: str(r.user),
    tier: str(r.tier),
    wanted: capOf('wanted', r),
    granted: capOf('granted', r),
    reason: str(r.reason),
  }));
  const scalingRecs = scaling.series
    .flatMap(rows)
    .sort((a, b) => Number(a.n) - Number(b.n))
    .map((r) => ({
      instanceClass: str(r.instance_class),
      delta: num(r.delta),
      desired: num(r.desired),
      neededAtMs: num(r.needed_at_ms),
      reason: str(r.reason),
    }));
  const plan: Plan = {
    version: str(h.version),
    issuedAtMs: at,
    reservations,
    squeezed,
    scaling: scalingRecs,
  };
  if (overflowRoom.size > 0) plan.overflowRoom = overflowRoom;
  return plan;
}
