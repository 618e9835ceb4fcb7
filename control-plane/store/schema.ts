/**
 * The database layout: retention policies, measurements, continuous-query roll-ups. README.md
 * documents every measurement's tags, fields and units; this file is the executable half.
 * ensureSchema() is create-if-missing and idempotent, run at every start-up.
 */
import type { InfluxHttp } from './influx/http-client';
import { ident, ms, qualified } from './influx/influxql';

export const DEFAULT_DATABASE = 'earmark';

/** Retention policies. Durations are InfluxQL duration literals; shard groups sized to them. */
export const RP = {
  /** Raw per-interval data: two weekly cycles, enough for seasonal baselines over a week. */
  raw: { name: 'raw', duration: '14d', shard: '1d', isDefault: true },
  /** Hourly roll-ups of raw, filled by continuous queries: about six months. */
  hourly: { name: 'hourly', duration: '182d', shard: '7d', isDefault: false },
  /** What the control plane must remember across restarts: profiles, policies, plans, instances, events. */
  state: { name: 'state', duration: 'INF', shard: '52w', isDefault: false },
  /** Imported reference traces too long for raw (e.g. 8-week NAB series); never expire. */
  archive: { name: 'archive', duration: 'INF', shard: '30d', isDefault: false },
} as const;

export type RetentionName = keyof typeof RP;

export const RAW_RETENTION_MS = 14 * 86_400_000;

/** Measurement names, with the RP each lives in. */
export const M = {
  usage: 'usage',
  usageReport: 'usage_report',
  instanceLoad: 'instance_load',
  userContext: 'user_context',
  forecast: 'forecast',
  allocation: 'allocation',
  squeeze: 'squeeze',
  scaling: 'scaling',
  plan: 'plan',
  userProfile: 'user_profile',
  resourceProfile: 'resource_profile',
  policy: 'policy',
  instance: 'instance',
  event: 'event',
  usage1h: 'usage_1h',
  instanceLoad1h: 'instance_load_1h',
  allocation1h: 'allocation_1h',
} as const;

/** Hourly roll-ups: `SELECT <aggregates> INTO hourly.<target> FROM raw.<source> GROUP BY time(1h), *`. */
export const ROLLUPS: readonly { cq: string; source: string; target: string; select: string }[] = [
  {
    cq: 'cq_usage_1h',
    source: M.usage,
    target: M.usage1h,
    select: [
      'sum(requests) AS requests',
      'sum(admitted) AS admitted',
      'sum(queued) AS queued',
      'sum(queue_wait_ms) AS queue_wait_ms',
      'max(queue_wait_max_ms) AS queue_wait_max_ms',
      'sum(throttled) AS throttled',
      'sum(redirected) AS redirected',
      'max(peak_in_flight) AS peak_in_flight',
      'sum(bytes_in) AS bytes_in',
      'sum(bytes_out) AS bytes_out',
      'sum(shortfall) AS shortfall',
      'sum(unreserved) AS unreserved',
      'mean(cpu_millicores) AS cpu_millicores',
      'max(memory_mb) AS memory_mb',
      'mean(bandwidth_kbps) AS bandwidth_kbps',
    ].join(', '),
  },
  {
    cq: 'cq_instance_load_1h',
    source: M.instanceLoad,
    target: M.instanceLoad1h,
    select: ['cpu_millicores', 'memory_mb', 'bandwidth_kbps', 'in_flight']
      .flatMap((f) => [`mean(${f}) AS ${f}_mean`, `max(${f}) AS ${f}_max`])
      .join(', '),
  },
  {
    cq: 'cq_allocation_1h',
    source: M.allocation,
    target: M.allocation1h,
    select: ['slots', 'rate_per_minute', 'cpu_millicores', 'memory_mb', 'bandwidth_kbps']
      .flatMap((f) => [`mean(${f}) AS ${f}_mean`, `max(${f}) AS ${f}_max`])
      .join(', '),
  },
];

function rollupSelect(db: string, r: (typeof ROLLUPS)[number]): string {
  return (
    `SELECT ${r.select} INTO ${qualified(db, RP.hourly.name, r.target)} ` +
    `FROM ${qualified(db, RP.raw.name, r.source)}`
  );
}

/** RESAMPLE FOR 2h: each run recomputes the last two hours, so data up to an hour late is rolled up. */
function cqStatement(db: string, r: (typeof ROLLUPS)[number]): string {
  return (
    `CREATE CONTINUOUS QUERY ${ident(r.cq)} ON ${ident(db)} RESAMPLE EVERY 1h FOR 2h BEGIN ` +
    `${rollupSelect(db, r)} GROUP BY time(1h), * END`
  );
}

/** InfluxDB prints durations as Go durations (336h0m0s); compare in hours. */
function durationHours(d: string): number {
  if (d === 'INF' || d === '0s') return 0;
  let h = 0;
  for (const [, n, u] of d.matchAll(/(\d+)([wdhms])/g)) {
    h += Number(n) * ({ w: 168, d: 24, h: 1, m: 1 / 60, s: 1 / 3600 } as Record<string, number>)[u];
  }
  return h;
}

/** Creates the database, retention policies and continuous queries that are missing or differ. */
export async function ensureSchema(http: InfluxHttp, db = DEFAULT_DATABASE): Promise<void> {
  await http.query(`CREATE DATABASE ${ident(db)}`);
  const [rps] = await http.query(`SHOW RETENTION POLICIES ON ${ident(db)}`);
  const existing = new Map<string, { duration: string; isDefault: boolean }>();
  for (const v of rps.series[0]?.values ?? [])
    existing.set(String(v[0]), { duration: String(v[1]), isDefault: !!v[4] });
  for (const rp of Object.values(RP)) {
    const have = existing.get(rp.name);
    const spec = `DURATION ${rp.duration} REPLICATION 1 SHARD DURATION ${rp.shard}${rp.isDefault ? ' DEFAULT' : ''}`;
    if (!have) await http.query(`CREATE RETENTION POLICY ${ident(rp.name)} ON ${ident(db)} ${spec}`);
    else if (durationHours(have.duration) !== durationHours(rp.duration) || have.isDefault !== rp.isDefault) {
      await http.query(`ALTER RETENTION POLICY ${ident(rp.name)} ON ${ident(db)} ${spec}`);
    }
  }
  const [cqs] = await http.query('SHOW CONTINUOUS QUERIES');
  const have = new Map<string, string>();
  for (const s of cqs.series)
    if (s.name === db) for (const v of s.values) have.set(String(v[0]), String(v[1]));
  for (const r of ROLLUPS) {
    const want = cqStatement(db, r);
    const cur = have.get(r.cq);
    if (cur !== undefined && normalizeCq(cur) === normalizeCq(want)) continue;
    if (cur !== undefined) await http.query(`DROP CONTINUOUS QUERY ${ident(r.cq)} ON ${ident(db)}`);
    await http.query(want);
  }
}

/** SHOW CONTINUOUS QUERIES prints the statement re-serialized; compare loosely. */
function normalizeCq(q: string): string {
  return q.replace(/["\s]/g, '').toLowerCase();
}

/**
 * Runs the roll-ups over [fromMs, toMs) now. Continuous queries only look at the last two hours,
 * so imports of past data and replays after a long outage call this to fill the hourly RP.
 */
export async function backfillRollups(
  http: InfluxHttp,
  db: string,
  fromMs: number,
  toMs: number,
): Promise<void> {
  const from = Math.floor(fromMs / 3_600_000) * 3_600_000;
  const to = Math.ceil(toMs / 3_600_000) * 3_600_000;
  for (const r of ROLLUPS) {
    await http.query(
      `${rollupSelect(db, r)} WHERE time >= ${ms(from)} AND time < ${ms(to)} GROUP BY time(1h), *`,
      db,
    );
  }
}
