/**
 * "Latest point wins": the newest point of each series, the read behind every piece of stored state.
 * All points are read in time order and the last per tag value kept: on 10^5 series InfluxDB 1.6 is
 * far slower at `GROUP BY "user" ORDER BY time DESC LIMIT 1`, and state series hold few points.
 */
import type { StoreContext } from './context';
import { anyOf, ms, qualified, rows, str, where } from './influx/influxql';

export interface LatestQuery {
  rp: string;
  measurement: string;
  /** One series per value of this tag (user, instance, event id). */
  tag: string;
  /** Only these tag values (filtered in the query when few, while reading otherwise). */
  only?: readonly string[];
  sinceMs?: number;
}

/** Rows keyed by column (tags included), one per tag value. */
export async function latestByTag(ctx: StoreContext, o: LatestQuery): Promise<Record<string, unknown>[]> {
  const filter = o.only && o.only.length <= 200 ? anyOf(o.tag, o.only) : '';
  const since = o.sinceMs === undefined ? '' : `time >= ${ms(o.sinceMs)}`;
  const [res] = await ctx.http.query(
    `SELECT * FROM ${qualified(ctx.db, o.rp, o.measurement)}${where(filter, since)}`,
    ctx.db,
  );
  const wanted = o.only ? new Set(o.only) : undefined;
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of res.series.flatMap(rows)) {
    const key = str(r[o.tag]);
    if (!wanted || wanted.has(key)) latest.set(key, r);
  }
  return [...latest.values()];
}
