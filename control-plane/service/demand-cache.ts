/**
 * The read stage's history, kept between cycles: each cycle re-reads only the last few steps (late
 * usage reports land there) and the full history of users seen for the first time, instead of the
 * whole window. Reading 720 steps of raw usage is most of a cycle's time (it grows with proxies and
 * report frequency); a full read still happens at start, after a gap, and every `fullEvery` cycles,
 * so imports, backfills and profile changes are picked up.
 */
import type { DemandWindows } from '../domain/demand';
import type { DemandQuery } from '../store';

export interface DemandReader {
  readDemandWindows(q: DemandQuery): Promise<DemandWindows>;
}

export interface DemandCacheOptions {
  stepMs: number;
  historySteps: number;
  /** Trailing steps re-read every cycle (default 5: late and partial reports). */
  refreshSteps?: number;
  /** A full read every this many reads (default 60). */
  fullEvery?: number;
}

export class DemandCache {
  private w: DemandWindows | undefined;
  private reads = 0;
  /** Whether the last read() was a full one (for the tests and the status). */
  lastWasFull = false;

  constructor(
    private readonly store: DemandReader,
    private readonly o: DemandCacheOptions,
  ) {}

  /** The history window [originMs - historySteps·step, originMs), every user with usage in it. */
  async read(originMs: number, extraSteps = 0): Promise<DemandWindows> {
    const { stepMs, historySteps } = this.o;
    const steps = historySteps + extraSteps;
    const fromMs = originMs - steps * stepMs;
    const refresh = this.o.refreshSteps ?? 5;
    const prev = this.w;
    const full =
      !prev ||
      extraSteps > 0 ||
      prev.steps !== steps ||
      originMs < prev.startMs + prev.steps * stepMs ||
      originMs - (prev.startMs + prev.steps * stepMs) > (steps - refresh) * stepMs ||
      this.reads % (this.o.fullEvery ?? 60) === 0;
    this.reads++;
    this.lastWasFull = full;
    if (full) {
      const w = await this.store.readDemandWindows({ fromMs, toMs: originMs, stepMs });
      if (extraSteps === 0) this.w = w;
      return w;
    }
    // Steps from `tailFrom` on are read again; older ones are shifted from the cached window.
    const tailFrom = Math.min(prev!.startMs + prev!.steps * stepMs, originMs) - refresh * stepMs;
    const tail = await this.store.readDemandWindows({ fromMs: tailFrom, toMs: originMs, stepMs });
    const known = new Set(prev!.users);
    const fresh = tail.users.filter((u) => !known.has(u));
    const head =
      fresh.length > 0
        ? await this.store.readDemandWindows({ fromMs, toMs: tailFrom, stepMs, users: fresh })
        : undefined;
    const w = merge(prev!, tail, head, fromMs, steps);
    this.w = w;
    return w;
  }
}

/** The new window: cached values shifted, the tail overwritten, new users' history added; idle users dropped. */
function merge(
  prev: DemandWindows,
  tail: DemandWindows,
  head: DemandWindows | undefined,
  fromMs: number,
  steps: number,
): DemandWindows {
  const R = prev.resources.length;
  const step = prev.stepMs;
  const users = [...new Set([...prev.users, ...tail.users])].sort();
  const values = new Float32Array(users.length * R * steps);
  const shift = (fromMs - prev.startMs) / step;
  const tailAt = (tail.startMs - fromMs) / step;
  const index = (list: string[]) => new Map(list.map((u, i) => [u, i]));
  const [pi, ti, hi] = [index(prev.users), index(tail.users), index(head?.users ?? [])];
  const keep: number[] = [];
  users.forEach((user, u) => {
    const p = pi.get(user);
    const t = ti.get(user);
    const h = hi.get(user);
    let any = false;
    for (let r = 0; r < R; r++) {
      const out = (u * R + r) * steps;
      if (p !== undefined) {
        const src = (p * R + r) * prev.steps;
        values.set(prev.values.subarray(src + shift, src + Math.min(prev.steps, shift + tailAt)), out);
      } else if (h !== undefined && head) {
        const src = (h * R + r) * head.steps;
        values.set(head.values.subarray(src, src + Math.min(head.steps, tailAt)), out);
      }
      // The re-read tail replaces whatever was cached there (zeros for users idle in it).
      values.fill(0, out + tailAt, out + steps);
      if (t !== undefined) {
        const src = (t * R + r) * tail.steps;
        values.set(tail.values.subarray(src, src + (steps - tailAt)), out + tailAt);
      }
      for (let k = out; k < out + steps && !any; k++) any = values[k] !== 0;
    }
    if (any || t !== undefined) keep.push(u);
  });
  if (keep.length === users.length) return { ...prev, users, startMs: fromMs, steps, values };
  // A user idle for the whole window leaves it, as a full read would leave them out.
  const block = R * steps;
  const kept = new Float32Array(keep.length * block);
  keep.forEach((u, i) => kept.set(values.subarray(u * block, (u + 1) * block), i * block));
  return { ...prev, users: keep.map((u) => users[u]), startMs: fromMs, steps, values: kept };
}
