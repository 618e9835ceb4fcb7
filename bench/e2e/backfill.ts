/**
 * What an operator sets up before Earmark runs, written to InfluxDB before the service starts:
 * the companion instances, the users' resource profiles (service time, memory) and tier, and the
 * history before the replay as `earmark import` writes a trace (per-minute request counts under
 * the node "history"; concurrency, memory and CPU are derived from the profiles by the reader).
 */
import type { Instance } from '../../control-plane/domain/instance';
import type { Point } from '../../control-plane/store/influx/line-protocol';
import { M } from '../../control-plane/store/schema';
import { Store } from '../../control-plane/store';
import type { TraceArrivals } from './arrivals';

const MINUTE = 60_000;

export interface BackfillOptions {
  url: string;
  database: string;
  spoolDir: string;
  arrivals: TraceArrivals;
  /** History: minutes [fromMinute, toMinute) of the trace (scaled as the replay). */
  fromMinute: number;
  toMinute: number;
  instances: readonly Instance[];
  tier: string;
  /** When the operator set this up (the service's start). */
  atMs: number;
}

export interface BackfillResult {
  points: number;
  requests: number;
}

export async function backfill(o: BackfillOptions): Promise<BackfillResult> {
  const store = await Store.open({ url: o.url, database: o.database, spoolDir: o.spoolDir });
  try {
    await store.schemaReady;
    const a = o.arrivals;
    await store.writeInstances(o.instances, o.atMs);
    await store.writeResourceProfiles(
      a.users.map((u) => ({
        user: u.id,
        durationMs: u.serviceMs,
        memoryMb: u.memoryMb,
        cpuFraction: 0.5,
        bytesPerRequest: 0,
        source: `e2e replay of ${a.trace.source}`,
        updatedAtMs: o.atMs,
      })),
    );
    await store.writeProfiles(a.users.map((u) => ({ user: u.id, tier: o.tier, updatedAtMs: o.atMs })));
    let points = 0;
    let requests = 0;
    let batch: Point[] = [];
    const writes: Promise<void>[] = [];
    for (let m = o.fromMinute; m < o.toMinute; m++) {
      const timeMs = a.startMs + m * MINUTE;
      for (let u = 0; u < a.users.length; u++) {
        const n = a.count(u, m);
        if (n === 0) continue;
        batch.push({
          measurement: M.usage,
          tags: { user: a.users[u].id, node: 'history' },
          fields: { requests: n },
          timeMs,
        });
        requests += n;
      }
      if (batch.length >= 5000) {
        writes.push(store.writer.write('raw', batch));
        points += batch.length;
        batch = [];
      }
    }
    if (batch.length > 0) writes.push(store.writer.write('raw', batch));
    points += batch.length;
    await Promise.all(writes);
    await store.writer.delivered(120_000);
    return { points, requests };
  } finally {
    await store.close();
  }
}
