/**
 * Forecasts (`forecast`, raw RP): one point per user, resource and horizon step, at the time the
 * step starts (so forecast and actual line up on a chart), quantiles as fields `q0.5`, `q0.99`, ...
 * A full batch for 10^5 users is 7.5·10^6 points per cycle, so callers pick what to keep
 * (e.g. a few horizons, or the users a dashboard shows); see README.
 */
import { RESOURCES, forecastIndex, type ForecastBatch, type ResourceKind } from '../domain/demand';
import { chunksOf, queueChunks } from './chunked-write';
import type { StoreContext } from './context';
import { anyOf, ident, literal, ms, num, qualified, rows, str, where } from './influx/influxql';
import type { FieldValue, Point } from './influx/line-protocol';
import { M, RP } from './schema';

export interface ForecastWriteOptions {
  /** Which users of the batch to store (default all). */
  users?: readonly string[];
  /** 1-based horizon steps to store (default all). */
  horizons?: readonly number[];
  /** Which resources (default all in the batch). */
  resources?: readonly ResourceKind[];
}

/** One stored forecast step: the quantiles for `resource` at targetMs, made `horizon` steps ahead. */
export interface StoredForecast {
  user: string;
  resource: ResourceKind;
  /** 1 = the step right after issue. */
  horizon: number;
  targetMs: number;
  issuedAtMs: number;
  model: string;
  /** Quantile level → value, e.g. { 0.5: 12, 0.99: 30 }. */
  quantiles: Record<number, number>;
}

export const quantileField = (q: number): string => `q${q}`;

export function forecastPoints(b: ForecastBatch, opts: ForecastWriteOptions = {}): Point[] {
  return [...forecastPointsOf(b, opts)];
}

/** The batch's points, user by user, made as they are consumed (the users are checked first). */
function* forecastPointsOf(b: ForecastBatch, opts: ForecastWriteOptions): Generator<Point> {
  const index = opts.users ? new Map(b.users.map((u, i) => [u, i])) : undefined;
  const userIdx = opts.users
    ? opts.users.map((u) => {
        const i = index!.get(u) ?? -1;
        if (i < 0) throw new Error(`forecast batch has no user ${JSON.stringify(u)}`);
        return i;
      })
    : b.users.map((_, i) => i);
  const hs = (opts.horizons ?? Array.from({ length: b.horizon }, (_, h) => h + 1)).filter(
    (h) => h >= 1 && h <= b.horizon,
  );
  const rs = b.resources
    .map((r, i) => [r, i] as const)
    .filter(([r]) => !opts.resources || opts.resources.includes(r));
  const qNames = b.quantiles.map(quantileField);
  for (const u of userIdx) {
    const model = b.models[b.modelOf[u]] ?? '';
    for (const [resource, r] of rs) {
      for (const h of hs) {
        const fields: Record<string, FieldValue> = { issued_at_ms: b.issuedAtMs, model };
        for (let q = 0; q < qNames.length; q++) {
          const v = b.values[forecastIndex(b, u, r, q, h - 1)];
          if (Number.isFinite(v)) fields[qNames[q]] = v; // a NaN quantile is left out, not stored as 0
        }
        yield {
          measurement: M.forecast,
          tags: { user: b.users[u], resource, horizon: String(h) },
          fields,
          timeMs: b.issuedAtMs + (h - 1) * b.stepMs,
        };
      }
    }
  }
}

/**
 * Resolves once the batch's points are stored. Built and formatted in chunks with a turn of the
 * event loop after each (store/chunked-write.ts): a 10^6-user cycle records ~3·10^6 points.
 */
export async function writeForecasts(
  ctx: StoreContext,
  b: ForecastBatch,
  opts: ForecastWriteOptions = {},
): Promise<void> {
  await (
    await queueForecasts(ctx, b, opts)
  ).stored;
}

/** Resolves once every point is queued with the writer, with `stored` (see chunked-write.ts). */
export async function queueForecasts(
  ctx: StoreContext,
  b: ForecastBatch,
  opts: ForecastWriteOptions = {},
): Promise<{ stored: Promise<void> }> {
  return queueChunks(ctx, RP.raw.name, chunksOf(forecastPointsOf(b, opts)));
}

export interface ForecastQuery {
  user: string;
  /** Target times in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  resource?: ResourceKind;
  horizon?: number;
}

/** A user's stored forecasts, by target time, then resource, then horizon. */
export async function readForecasts(ctx: StoreContext, q: ForecastQuery): Promise<StoredForecast[]> {
  const query =
    `SELECT * FROM ${qualified(ctx.db, RP.raw.name, M.forecast)}` +
    where(
      `${ident('user')} = ${literal(q.user)}`,
      `time >= ${ms(q.fromMs)}`,
      `time < ${ms(q.toMs)}`,
      q.resource ? anyOf('resource', [q.resource]) : '',
      q.horizon ? anyOf('horizon', [String(q.horizon)]) : '',
    );
  const [res] = await ctx.http.query(query, ctx.db);
  const out: StoredForecast[] = [];
  for (const r of res.series.flatMap(rows)) {
    const quantiles: Record<number, number> = {};
    for (const k of Object.keys(r)) {
      if (/^q\d/.test(k) && typeof r[k] === 'number') quantiles[Number(k.slice(1))] = r[k] as number;
    }
    out.push({
      user: str(r.user),
      resource: str(r.resource) as ResourceKind,
      horizon: Number(r.horizon),
      targetMs: num(r.time),
      issuedAtMs: num(r.issued_at_ms),
      model: str(r.model),
      quantiles,
    });
  }
  const rOrder = (x: ResourceKind): number => RESOURCES.indexOf(x);
  return out.sort(
    (a, b) => a.targetMs - b.targetMs || rOrder(a.resource) - rOrder(b.resource) || a.horizon - b.horizon,
  );
}
