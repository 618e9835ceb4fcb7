/**
 * Large writes (a plan's 10^6 allocations, a cycle's 3·10^6 forecast points) are built and
 * formatted in chunks with a turn of the event loop after each: the service's one thread also
 * serves the proxies' streams and renews the leader lease, and formatting a point takes ~5 µs.
 * The writer keeps order, so chunks are stored in the order they were queued, and each chunk is
 * built only once the one before it has room in the writer (backpressure from a slow InfluxDB).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StoreContext } from './context';
import type { Point } from './influx/line-protocol';

/** Points built and formatted between two turns of the event loop. */
export const POINTS_PER_TURN = 8192;

export interface QueuedChunks {
  /** Resolves once every queued chunk is stored; rejects with the first refusal. */
  stored: Promise<void>;
}

/**
 * Queues `chunks` for retention policy `rp`, one write per chunk, a turn after each. Rejects with
 * the refusal when a chunk is refused while they are queued (the later ones are not built), so
 * callers queue nothing after a write that cannot be whole (a plan's header, say).
 */
export async function queueChunks(
  ctx: StoreContext,
  rp: string,
  chunks: Iterable<Point[]>,
): Promise<QueuedChunks> {
  const writes: Promise<void>[] = [];
  let failed = false;
  for (const chunk of chunks) {
    const w = ctx.writer.write(rp, chunk);
    // Handled now (`stored` reports it): a chunk refused while later ones are built would
    // otherwise be an unhandled rejection, which ends the process.
    w.catch(() => (failed = true));
    writes.push(w);
    // Room for this chunk before the next is built: with InfluxDB slow, a 10^6-user cycle's
    // ~4·10^6 lines would otherwise wait formatted in memory; now at most the writer's buffer
    // and one chunk do.
    await ctx.writer.admitted();
    await nextTurn();
    if (failed) break;
  }
  const stored = Promise.all(writes).then(() => undefined);
  if (failed) await stored; // rejects with the refusal
  stored.catch(() => undefined); // the caller may queue more, with turns, before awaiting it
  return { stored };
}

/** `points` in chunks of `size`, as the generator makes them (nothing is built ahead). */
export function* chunksOf(points: Iterable<Point>, size = POINTS_PER_TURN): Generator<Point[]> {
  let chunk: Point[] = [];
  for (const p of points) {
    chunk.push(p);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
