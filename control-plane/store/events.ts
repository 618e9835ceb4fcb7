/**
 * Scheduled demand events (`event`, state RP). One series per event id; each save is a new point
 * at its updatedAtMs and the newest point wins, so moving or cancelling an event is just a write.
 */
import type { DemandEvent } from '../domain/event';
import type { StoreContext } from './context';
import { num, str } from './influx/influxql';
import { latestByTag } from './latest';
import type { Point } from './influx/line-protocol';
import { M, RP } from './schema';

export function eventPoint(e: DemandEvent, deleted = false): Point {
  if (!e.id) throw new Error('event without an id');
  if (!deleted && !(e.endMs > e.startMs)) throw new Error(`event ${e.id}: endMs must be after startMs`);
  if (!deleted && !(e.multiplier >= 0)) throw new Error(`event ${e.id}: multiplier must be ≥ 0`);
  return {
    measurement: M.event,
    tags: { id: e.id },
    fields: {
      name: e.name,
      start_ms: e.startMs,
      end_ms: e.endMs,
      users: e.users?.length ? JSON.stringify(e.users) : '',
      tiers: e.tiers?.length ? JSON.stringify(e.tiers) : '',
      multiplier: e.multiplier,
      description: e.description ?? '',
      deleted,
    },
    timeMs: e.updatedAtMs,
  };
}

export async function writeEvents(ctx: StoreContext, events: readonly DemandEvent[]): Promise<void> {
  await ctx.writer.write(
    RP.state.name,
    events.map((e) => eventPoint(e)),
    { now: true },
  );
}

/** A tombstone at atMs: the event no longer appears in readEvents(). */
export async function deleteEvent(ctx: StoreContext, id: string, atMs: number): Promise<void> {
  const blank: DemandEvent = { id, name: '', startMs: 0, endMs: 0, multiplier: 0, updatedAtMs: atMs };
  await ctx.writer.write(RP.state.name, [eventPoint(blank, true)], { now: true });
}

/** Current events overlapping [fromMs, toMs) (default: all), by start time. */
export async function readEvents(
  ctx: StoreContext,
  fromMs = -Infinity,
  toMs = Infinity,
): Promise<DemandEvent[]> {
  const out: DemandEvent[] = [];
  for (const r of await latestByTag(ctx, { rp: RP.state.name, measurement: M.event, tag: 'id' })) {
    if (r.deleted === true) continue;
    const e: DemandEvent = {
      id: str(r.id),
      name: str(r.name),
      startMs: num(r.start_ms),
      endMs: num(r.end_ms),
      multiplier: num(r.multiplier, 1),
      updatedAtMs: num(r.time),
    };
    if (str(r.users)) e.users = JSON.parse(str(r.users));
    if (str(r.tiers)) e.tiers = JSON.parse(str(r.tiers));
    if (str(r.description)) e.description = str(r.description);
    if (e.endMs > fromMs && e.startMs < toMs) out.push(e);
  }
  return out.sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1));
}
