/**
 * Dense per-user, per-step demand history for forecasting: all five resources, zeros where a user
 * had no traffic. Only non-empty (user, proxy, interval) points travel from InfluxDB, as raw rows
 * with the tags as columns, and are aggregated here (dense-builder.ts): measured on 10^5 series,
 * InfluxDB 1.6 spends ~8x more CPU on `GROUP BY time(1m), "user"` than on returning the raw points
 * (README, "Reading demand").
 *
 * Per step, summed over the proxies (nodes) that saw the user:
 *   requests     sum(requests)
 *   concurrency  max(peak_in_flight) per proxy, added up (exact with one proxy, an upper bound otherwise)
 *   cpu          mean(cpu_millicores) if measured, else derived from the resource profile
 *   memory       max(memory_mb) if measured, else concurrency × profile memory
 *   bandwidth    (bytes_in + bytes_out) × 8 / stepMs kbps if bytes were measured, else mean(bandwidth_kbps),
 *                else derived from the profile
 */
import { RESOURCES, type DemandWindows } from '../domain/demand';
import type { StoreContext } from './context';
import { DenseBuilder, USAGE_COLUMNS } from './dense-builder';
import { anyOf, ident, ms, qualified, where } from './influx/influxql';
import { readResourceProfiles, type ProfileCost } from './resource-profiles';
import { M, RP } from './schema';

export interface DemandQuery {
  /** Inclusive; rounded down to a step boundary (steps are aligned to the epoch). */
  fromMs: number;
  /** Exclusive; rounded up to a step boundary. */
  toMs: number;
  /** Default 60,000 (one minute). */
  stepMs?: number;
  /** These users in this order (all zeros if idle; duplicates collapse). Default: every user with usage in range, sorted. */
  users?: readonly string[];
  /** 'raw' (default) or 'archive' (long imported traces). */
  retention?: 'raw' | 'archive';
  /** Per-user costs for derived resources; default: the stored resource profiles. */
  profiles?: ReadonlyMap<string, ProfileCost>;
  /** Rows per InfluxDB query to aim for (bounds InfluxDB's work per query). Default 400,000. */
  rowsPerQuery?: number;
  /** Rows per chunk of a response, parsed between two turns of the event loop. Default 10,000. */
  chunkRows?: number;
}

/** InfluxDB's own default chunk size; ~25 ms of parsing and aggregating per chunk here. */
const CHUNK_ROWS = 10_000;

/** A user filter in the query itself only pays off for a few users; beyond, filter while assembling. */
const MAX_USERS_IN_QUERY = 200;

export async function readDemandWindows(ctx: StoreContext, q: DemandQuery): Promise<DemandWindows> {
  const stepMs = q.stepMs ?? 60_000;
  if (!Number.isInteger(stepMs) || stepMs < 1000)
    throw new Error(`stepMs must be a whole number ≥ 1000, got ${stepMs}`);
  const startMs = Math.floor(q.fromMs / stepMs) * stepMs;
  const endMs = Math.max(startMs, Math.ceil(q.toMs / stepMs) * stepMs);
  const steps = (endMs - startMs) / stepMs;
  const profiles = q.profiles ?? (await readResourceProfiles(ctx, q.users));
  const b = new DenseBuilder(steps, stepMs, q.users, profiles);
  const filter = q.users && q.users.length <= MAX_USERS_IN_QUERY ? anyOf('user', q.users) : '';
  const select =
    `SELECT ${USAGE_COLUMNS.map(ident).join(', ')}, "user"::tag, "node"::tag ` +
    `FROM ${qualified(ctx.db, q.retention ?? RP.raw.name, M.usage)}`;
  const target = q.rowsPerQuery ?? 400_000;
  // Chunks grow from one step while responses stay small, so a sparse day is a few queries and a
  // dense minute of 10^5 users stays one bounded response.
  let chunk = 1;
  if (!(q.users && q.users.length === 0)) {
    for (let s0 = 0; s0 < steps;) {
      const n = Math.min(chunk, steps - s0);
      const a = startMs + s0 * stepMs;
      s0 += n;
      let rows = 0;
      // Chunked (influx/chunked-query.ts): parsed and aggregated CHUNK_ROWS at a time with turns of
      // the event loop between, not as one JSON string (a dense minute of 10^6 users is ~6·10^6 rows).
      await ctx.http.queryChunked(
        `${select}${where(`time >= ${ms(a)}`, `time < ${ms(a + n * stepMs)}`, filter)}`,
        ctx.db,
        q.chunkRows ?? CHUNK_ROWS,
        (s) => {
          rows += s.values.length;
          const col = DenseBuilder.columnIndex(s.columns);
          for (const r of s.values) b.row(Math.floor(((r[0] as number) - startMs) / stepMs), r, col);
        },
      );
      chunk = Math.max(1, Math.min(n * 8, Math.floor(target / Math.max(1, rows / n))));
    }
  }
  const { users, values } = b.result();
  return { users, resources: RESOURCES, startMs, stepMs, steps, values };
}
