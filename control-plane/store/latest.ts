/** "Latest point wins": the newest point of each series, the read behind every piece of stored state. */
import type { StoreContext } from './context';
import { anyOf, ident, ms, qualified, rows, str, where } from './influx/influxql';

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
  const q =
    `SELECT * FROM ${qualified(ctx.db, o.rp, o.measurement)}${where(filter, since)} ` +
    `GROUP BY ${ident(o.tag)} ORDER BY time DESC LIMIT 1`;
  const [res] = await ctx.http.query(q, ctx.db);
  const wanted = o.only ? new Set(o.only) : undefined;
  return res.series.flatMap(rows).filter((r) => !wanted || wanted.has(str(r[o.tag])));
}
