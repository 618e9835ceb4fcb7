/**
 * `earmark import`: places a trace in time, picks the retention policy, validates, writes through
 * the store's writer (progress bar, bounded memory), waits until InfluxDB has every point, then
 * fills the hourly roll-ups for the imported range.
 */
import * as path from 'node:path';
import type { ResourceKind } from '../../domain/demand';
import { InfluxHttp } from '../influx/http-client';
import { RAW_RETENTION_MS } from '../schema';
import { Store } from '../store';
import { stderrLogger } from '../writer/logger';
import { AzureTrace, classifyAzureFiles, type AzureUserKey } from './azure';
import { NabSeries } from './nab';
import { ProgressBar } from './progress';
import {
  IssueLog,
  UserNames,
  type OnError,
  type TraceSummary,
  type UsageBatch,
  type UserNaming,
} from './trace';

export interface ImportRequest {
  format: 'azure' | 'nab';
  /** Azure: a folder or the files; NAB: one or more CSV files. */
  paths: string[];
  url: string;
  database: string;
  spoolDir: string;
  /** Azure: minute 1 of the first day; NAB: the first row. Default: see README ("Import"). */
  startMs?: number;
  retention: 'raw' | 'archive' | 'auto';
  node: string;
  onError: OnError;
  naming: UserNaming;
  userKey: AzureUserKey;
  cpuFraction: number;
  limit?: number;
  /** NAB with one file: its user name (default: the file name without .csv). */
  user?: string;
  resource: ResourceKind;
  scale: number;
  dryRun: boolean;
  progress?: boolean;
  /** How long to wait for InfluxDB to take everything (spool included). Default 5 minutes. */
  deliverTimeoutMs?: number;
  now?: number;
}

export interface ImportResult {
  retention: 'raw' | 'archive';
  summary: TraceSummary;
  written: boolean;
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** Points this close to the raw RP's edge would be dropped soon after (or refused): keep an hour clear. */
const EDGE_MS = 3_600_000;

interface Source {
  label: string;
  totalBytes: number;
  usage(): AsyncGenerator<UsageBatch>;
  summary(): TraceSummary;
}

async function sources(
  req: ImportRequest,
  issues: IssueLog,
): Promise<{ list: Source[]; first: number; last: number }> {
  const now = req.now ?? Date.now();
  const names = new UserNames(req.naming);
  if (req.format === 'azure') {
    const files = await classifyAzureFiles(req.paths);
    const days = files.invocations.length;
    const startMs = req.startMs ?? Math.floor(now / DAY) * DAY - days * DAY;
    const trace = new AzureTrace({ ...req, files, startMs, names, issues });
    const src: Source = {
      label: 'azure',
      totalBytes: trace.totalBytes,
      usage: () => trace.usage(),
      summary: () => trace.summary(),
    };
    return { list: [src], first: startMs, last: startMs + trace.spanMs - 60_000 };
  }
  if (req.user && req.paths.length > 1)
    throw new Error('--user names one series; give one file, or use --user-map');
  const list: Source[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const file of req.paths) {
    const id = path.basename(file).replace(/\.csv$/i, '');
    const user = req.user ?? names.name(id);
    if (user === undefined) continue;
    const s = new NabSeries({ file, user, resource: req.resource, scale: req.scale, node: req.node, issues });
    await s.scan();
    if (Number.isNaN(s.firstMs)) continue; // no valid rows (all skipped, reported)
    // Default: move by whole weeks (weekday and time of day kept) so the series ends within the last week.
    const shift =
      req.startMs !== undefined ? req.startMs - s.firstMs : Math.floor((now - s.lastMs) / WEEK) * WEEK;
    first = Math.min(first, s.firstMs + shift);
    last = Math.max(last, s.lastMs + shift);
    list.push({
      label: user,
      totalBytes: s.totalBytes,
      usage: () => s.usage(shift),
      summary: () => s.summary(),
    });
  }
  return { list, first, last };
}

function chooseRetention(req: ImportRequest, first: number, now: number): 'raw' | 'archive' {
  const fits = first >= now - RAW_RETENTION_MS + EDGE_MS;
  if (req.retention === 'raw' && !fits) {
    throw new Error(
      `the trace starts ${new Date(first).toISOString()}, older than the raw retention policy keeps (14 days): ` +
        'InfluxDB would drop it. Use --rp archive (kept forever) or a later --start.',
    );
  }
  return req.retention === 'auto' ? (fits ? 'raw' : 'archive') : req.retention;
}

function merge(summaries: TraceSummary[], issues: IssueLog): TraceSummary {
  return {
    users: summaries.reduce((n, s) => n + s.users, 0),
    points: summaries.reduce((n, s) => n + s.points, 0),
    total: summaries.reduce((n, s) => n + s.total, 0),
    firstMs: Math.min(...summaries.map((s) => s.firstMs)),
    lastMs: Math.max(...summaries.map((s) => s.lastMs)),
    profiles: summaries.flatMap((s) => s.profiles),
    skipped: issues.skipped,
  };
}

export async function runImport(req: ImportRequest): Promise<ImportResult> {
  const now = req.now ?? Date.now();
  const issues = new IssueLog(req.onError);
  // Abort mode validates everything before the first write, so a bad row leaves nothing half-imported.
  if (req.onError === 'abort') {
    const check = await sources(req, issues);
    for (const s of check.list) for await (const _ of s.usage());
  }
  const { list, first, last } = await sources(req, issues);
  if (list.length === 0)
    throw new Error('nothing to import: no series with a valid row (see the skipped rows)');
  const retention = chooseRetention(req, first, now);
  if (req.dryRun) {
    for (const s of list) for await (const _ of s.usage());
    return {
      retention,
      summary: merge(
        list.map((s) => s.summary()),
        issues,
      ),
      written: false,
    };
  }

  const probe = new InfluxHttp({ url: req.url });
  const up = await probe.ping();
  probe.close();
  if (!up)
    throw new Error(
      `InfluxDB at ${probe.url} is unreachable (start it with: npm run influx:start, or pass --url)`,
    );
  const store = await Store.open({
    url: req.url,
    database: req.database,
    spoolDir: req.spoolDir,
    log: stderrLogger,
  });
  try {
    await store.schemaReady;
    const bar = new ProgressBar(
      list.reduce((n, s) => n + s.totalBytes, 0),
      { label: 'import', enabled: req.progress },
    );
    let doneBytes = 0;
    let points = 0;
    const inFlight: Promise<void>[] = [];
    for (const s of list) {
      let last = 0;
      for await (const b of s.usage()) {
        inFlight.push(store.writer.write(retention, b.points));
        if (inFlight.length >= 8) await inFlight.shift();
        points += b.points.length;
        doneBytes += b.bytesDone - last;
        last = b.bytesDone;
        bar.update(doneBytes, points);
      }
    }
    await Promise.all(inFlight);
    const summary = merge(
      list.map((s) => s.summary()),
      issues,
    );
    if (summary.profiles.length) await store.writeResourceProfiles(summary.profiles);
    try {
      await store.writer.delivered(req.deliverTimeoutMs ?? 300_000);
    } catch (e) {
      throw new Error(
        `${(e as Error).message}. Nothing is lost: the next import with --spool-dir ${req.spoolDir} replays ` +
          'them first (re-running this import also works: it is idempotent)',
        { cause: e },
      );
    }
    bar.done();
    if (retention === 'raw' && summary.points > 0) await store.backfillRollups(first, last + 60_000);
    return { retention, summary, written: true };
  } finally {
    await store.close().catch((e) => stderrLogger.error(`closing the store: ${e}`));
  }
}
