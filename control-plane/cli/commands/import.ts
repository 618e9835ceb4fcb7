/** `earmark import azure|nab ...`: real traces into InfluxDB (control-plane/store/import). */
import { parseArgs } from 'node:util';
import { RESOURCES, type ResourceKind } from '../../domain/demand';
import { TraceFormatError } from '../../store/import/csv';
import { parseTimestamp } from '../../store/import/nab';
import { runImport, type ImportRequest } from '../../store/import/run-import';
import { Command, UsageError } from '../command';

const HELP = `usage: earmark import azure <folder | files...> [options]
       earmark import nab <file.csv...> [options]

Loads real traces into InfluxDB (database "earmark", measurement "usage", tag node=import):
  azure  the Azure Functions 2019 trace: per-function per-minute invocation counts (original
         layout HashOwner,HashApp,HashFunction,Trigger,1..1440 or the sampled minute_1..minute_1440),
         plus the durations and memory files, which become per-user resource profiles. Files are
         recognised by their header; give the folder or the files. Several count files = several days
         (ordered by a dNN in their names). Only non-zero minutes are written; readers fill the zeros.
  nab    timestamp,value series (Numenta Anomaly Benchmark layout), one user per file (the file
         name without .csv), written at their own timestamps (read them back with that step).

Placement in time (InfluxDB keeps raw data 14 days, so old traces are moved to now):
  azure  default --start: 00:00 UTC, as many days ago as the trace has days (it ends at today 00:00)
  nab    default: shifted by whole weeks (weekday and time of day kept) to end within the last week
  --start <time>          ISO-8601, epoch s or epoch ms: azure minute 1 of day 1 / the first row of each nab file

options:
  --url <url>             InfluxDB (default $EARMARK_INFLUX_URL or http://127.0.0.1:8086)
  --db <name>             database (default $EARMARK_INFLUX_DATABASE or earmark)
  --rp auto|raw|archive   retention policy: auto = raw when the trace fits its 14 days, else archive
                          (kept forever; read it with retention: 'archive')          [auto]
  --on-error abort|skip   abort: check every row first and import nothing if one is malformed;
                          skip: import the good rows, list every skipped one, exit 3  [abort]
  --dry-run               check and summarise only; InfluxDB is not needed
  --user-key function|app|owner   (azure) which id is the user; app/owner add up their functions [function]
  --cpu-fraction <0..1>   (azure) share of execution time spent on CPU, for the profiles          [1]
  --limit <n>             (azure) only the first n functions of each count file
  --user <name>           (nab, one file) the user's name
  --resource <kind>       (nab) what the value is: ${RESOURCES.join('|')}          [requests]
  --scale <x>             (nab) multiply every value, e.g. 10 turns CPU % into millicores of one core [1]
  --user-map <file>       CSV "trace_id,user" renaming users
  --only-mapped           import only the ids the map names
  --user-prefix <p>       prefix for user names (after mapping ids the map does not name)
  --hash-len <n>          keep the first n characters of trace ids (collisions are an error)
  --node <name>           node tag on the points                                    [import]
  --spool-dir <dir>       where points wait if InfluxDB stops mid-import             [var/spool/import]
  --progress / --no-progress   progress bar (default: on a terminal; plain lines at each quarter otherwise)

exit: 0 imported, 1 failed (bad file: file:line: what is wrong), 2 usage error, 3 imported with skipped rows

example: earmark import azure ../shared/traces/azure-functions-2019/sample-1000fn --hash-len 12
         earmark import nab ../shared/traces/nab/realTweets/*.csv --rp archive`;

function choice<T extends string>(v: string | undefined, allowed: readonly T[], flag: string, dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T))
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got "${v}"`);
  return v as T;
}

function positive(v: string | undefined, flag: string, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new UsageError(`${flag} must be a number in (0, ${max}]; got "${v}"`);
  return n;
}

export function parseImportArgs(argv: string[]): ImportRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        db: { type: 'string' },
        rp: { type: 'string' },
        'on-error': { type: 'string' },
        'dry-run': { type: 'boolean' },
        start: { type: 'string' },
        'user-key': { type: 'string' },
        'cpu-fraction': { type: 'string' },
        limit: { type: 'string' },
        user: { type: 'string' },
        resource: { type: 'string' },
        scale: { type: 'string' },
        'user-map': { type: 'string' },
        'only-mapped': { type: 'boolean' },
        'user-prefix': { type: 'string' },
        'hash-len': { type: 'string' },
        node: { type: 'string' },
        'spool-dir': { type: 'string' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: o, positionals } = parsed;
  const [format, ...paths] = positionals;
  if (format !== 'azure' && format !== 'nab')
    throw new UsageError('say which format: earmark import azure|nab ...');
  if (paths.length === 0) throw new UsageError(`import ${format} needs a folder or files`);
  let startMs: number | undefined;
  if (o.start !== undefined) {
    startMs = parseTimestamp(o.start);
    if (Number.isNaN(startMs))
      throw new UsageError(`--start must be ISO-8601, epoch s or epoch ms; got "${o.start}"`);
  }
  const hashLen = positive(o['hash-len'], '--hash-len');
  const limit = positive(o.limit, '--limit');
  return {
    format,
    paths,
    url: o.url ?? process.env.EARMARK_INFLUX_URL ?? 'http://127.0.0.1:8086',
    database: o.db ?? process.env.EARMARK_INFLUX_DATABASE ?? 'earmark',
    spoolDir: o['spool-dir'] ?? 'var/spool/import',
    startMs,
    retention: choice(o.rp, ['auto', 'raw', 'archive'] as const, '--rp', 'auto'),
    node: o.node ?? 'import',
    onError: choice(o['on-error'], ['abort', 'skip'] as const, '--on-error', 'abort'),
    naming: {
      mapFile: o['user-map'],
      onlyMapped: o['only-mapped'],
      prefix: o['user-prefix'],
      hashLength: hashLen === undefined ? undefined : Math.trunc(hashLen),
    },
    userKey: choice(o['user-key'], ['function', 'app', 'owner'] as const, '--user-key', 'function'),
    cpuFraction: positive(o['cpu-fraction'], '--cpu-fraction', 1) ?? 1,
    limit: limit === undefined ? undefined : Math.trunc(limit),
    user: o.user,
    resource: choice(o.resource, RESOURCES, '--resource', 'requests' as ResourceKind),
    scale: o.scale === undefined ? 1 : (positive(o.scale, '--scale') as number),
    dryRun: !!o['dry-run'],
    progress: o['no-progress'] ? false : o.progress ? true : undefined,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export const command: Command = {
  name: 'import',
  summary: 'Load real traces (Azure Functions 2019, NAB timestamp,value CSVs) into InfluxDB',
  help: HELP,
  async run(argv) {
    const req = parseImportArgs(argv);
    const started = Date.now();
    let result;
    try {
      result = await runImport(req);
    } catch (e) {
      if (e instanceof TraceFormatError) {
        process.stderr.write(`earmark import: ${e.message}\n`);
        if (req.onError === 'abort')
          process.stderr.write('nothing was imported (--on-error skip imports the good rows)\n');
        return 1;
      }
      throw e;
    }
    const s = result.summary;
    for (const e of s.skipped) process.stderr.write(`skipped ${e.message}\n`);
    const secs = (Date.now() - started) / 1000;
    const verb = result.written ? 'imported' : 'would import (dry run)';
    process.stdout.write(
      `${verb} ${s.points.toLocaleString('en-US')} points for ${s.users} users ` +
        `(total ${Math.round(s.total).toLocaleString('en-US')}) into ${req.database}.${result.retention}, ` +
        `${s.points ? `${iso(s.firstMs)} .. ${iso(s.lastMs)}` : 'no points'}` +
        `${s.profiles.length ? `, ${s.profiles.length} resource profiles` : ''}, in ${secs.toFixed(1)} s\n`,
    );
    if (s.skipped.length) {
      process.stdout.write(`skipped ${s.skipped.length} malformed rows (listed on stderr)\n`);
      return 3;
    }
    return 0;
  },
};
