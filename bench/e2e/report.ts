/**
 * The benchmark's Markdown report (bench/results/e2e-<name>.md) with its SVG plots beside it: the
 * setup, what each policy does, the figures of every policy side by side, Earmark's control plane
 * (cycle time, plan lag, top-ups), the targets of issue 10 checked, and the JSON line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PoolInstance } from '../../sim/instances/sandbox-pool';
import type { BaselineRun } from './baselines';
import type { LiveRunResult } from './live-run';
import type { E2eOptions } from './options';
import { FATES, quantile, type OutcomeLog, type PolicySummary } from './outcomes';
import { POLICY_TEXT } from './policy-text';
import { userTables } from './report-users';
import type { E2eJson } from './run';
import { barChart, COLORS, lineChart } from './svg';
import type { ReplayTrace } from './trace';

export interface ReportInput {
  options: E2eOptions;
  trace: ReplayTrace;
  from: number;
  to: number;
  replayFrom: number;
  scale: number;
  requests: number;
  epoch: number;
  instances: readonly PoolInstance[];
  peakMb: number;
  baselines: BaselineRun[];
  earmark?: { summary: PolicySummary; log: OutcomeLog; live: LiveRunResult };
  summaries: PolicySummary[];
  json?: E2eJson;
  realMs: number;
  load: [number[], number[]];
}

const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');

export function reportName(o: E2eOptions): string {
  return o.name ?? `${path.basename(o.trace.replace(/\/+$/, '')).replace(/\.csv$/i, '')}-seed${o.seed}`;
}

function table(rows: string[][]): string {
  const [head, ...rest] = rows;
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rest.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Rolling mean over `w` points, so per-minute shares are readable. */
function rolling(v: readonly number[], w: number): number[] {
  return v.map((_, i) => {
    const a = Math.max(0, i - w + 1);
    let s = 0;
    for (let k = a; k <= i; k++) s += v[k];
    return s / (i - a + 1);
  });
}

function stats(xs: readonly number[]): string {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return 'none';
  return `p50 ${f(quantile(s, 0.5), 1)} ms, p99 ${f(quantile(s, 0.99), 1)} ms, max ${f(s[s.length - 1], 1)} ms (n = ${s.length})`;
}

function checks(j: E2eJson): string[][] {
  const ok = (b: boolean) => (b ? 'met' : '**not met**');
  const J = j.rejected_or_late_pct;
  const K = j.reactive_rejected_or_late_pct;
  const L = j.p99_added_ms;
  const L0 = j.keepalive_p99_added_ms;
  const H = j.reserved_resource_hours;
  const H0 = j.keepalive_reserved_resource_hours;
  const O = j.oracle_reserved_resource_hours;
  return [
    ['target', 'values', 'result'],
    ['J ≤ 0.5·K', `J = ${J} %, K = ${K} %`, ok(J <= 0.5 * K)],
    [
      'L ≤ 0.5·L0 while H ≤ H0',
      `L = ${L} ms, L0 = ${L0} ms; H = ${H}, H0 = ${H0} GB-h`,
      ok(L <= 0.5 * L0 && H <= H0),
    ],
    ['H ≤ 1.5·O', `H = ${H} GB-h, O = ${O} GB-h`, ok(H <= 1.5 * O)],
  ];
}

export function writeReport(r: ReportInput): string {
  const o = r.options;
  const name = reportName(o);
  fs.mkdirSync(o.outDir, { recursive: true });
  const svg = (suffix: string, text: string) => {
    const file = `e2e-${name}-${suffix}.svg`;
    fs.writeFileSync(path.join(o.outDir, file), text);
    return file;
  };
  const runs = [
    ...(r.earmark
      ? [{ name: 'earmark', log: r.earmark.log, gb: r.earmark.live.pool.held.meanGbPerBin() }]
      : []),
    ...r.baselines.map((b) => ({ name: b.name, log: b.log, gb: b.heldGbPerMinute })),
  ];
  const heldSvg = svg(
    'held',
    lineChart(
      'Memory held for users (GB), per minute of the window',
      'minute of the evaluated window',
      'GB held',
      runs.map((x, i) => ({ name: x.name, values: x.gb, color: COLORS[i] })),
    ),
  );
  const badSvg = svg(
    'late',
    lineChart(
      `Requests rejected or late (added > ${o.sloMs} ms), % per minute, 10-min rolling mean`,
      'minute of the evaluated window',
      '% of requests',
      runs.map((x, i) => {
        const pm = x.log.perMinute;
        const share = Array.from(pm.requests, (n, k) =>
          n === 0 ? 0 : (100 * (pm.late[k] + pm.throttled[k])) / n,
        );
        return { name: x.name, values: rolling(share, 10), color: COLORS[i] };
      }),
    ),
  );
  const p99Svg = svg(
    'p99',
    barChart(
      'p99 added latency',
      'ms',
      r.summaries.map((s, i) => ({ label: s.policy, value: s.p99AddedMs, color: COLORS[i] })),
    ),
  );
  const gbSvg = svg(
    'gbh',
    barChart(
      'Memory held, GB-hours',
      'GB-h',
      r.summaries.map((s, i) => ({ label: s.policy, value: s.heldGbHours, color: COLORS[i] })),
    ),
  );

  const rows: string[][] = [
    [
      'policy',
      'requests',
      'from reservation %',
      'warm %',
      'cold %',
      'capacity wait %',
      'queued %',
      'throttled %',
      'redirected %',
      'late %',
      'rejected or late %',
      'p50 added ms',
      'p99 added ms',
      'mean added ms',
      'held GB-h',
      'of it reserved GB-h',
    ],
    ...r.summaries.map((s) => [
      s.policy,
      String(s.requests),
      f(s.servedReservedPct),
      f(s.warmPct),
      f(s.coldPct, 3),
      f(s.capacityWaitPct, 3),
      f(s.queuedPct),
      f(s.throttledPct, 3),
      f(s.redirectedPct),
      f(s.latePct, 3),
      f(s.rejectedOrLatePct, 3),
      f(s.p50AddedMs, 0),
      f(s.p99AddedMs, 0),
      f(s.meanAddedMs, 1),
      f(s.heldGbHours),
      f(s.reservedGbHours),
    ]),
  ];
  const fateRows: string[][] = [
    ['policy', 'reserved', 'queued', 'unreserved', 'redirected', 'throttled', 'failed', 'sum = requests'],
    ...r.summaries.map((s) => {
      const v = Object.values(s.fates);
      return [s.policy, ...v.map(String), String(v.reduce((a, b) => a + b, 0) === s.requests)];
    }),
  ];
  const badRows: string[][] = [
    ['policy', ...FATES, 'sum = rejected or late'],
    ...r.summaries.map((s) => {
      const v = FATES.map((k) => s.badByFate[k]);
      const sum = v.reduce((a, b) => a + b, 0);
      return [s.policy, ...v.map(String), `${sum} (${f((100 * sum) / Math.max(1, s.requests), 3)} %)`];
    }),
  ];
  const e = r.earmark?.live;
  const lines: string[] = [
    `# End-to-end replay: ${r.trace.source}`,
    '',
    `Generated by \`npm run bench:e2e -- ${commandArgs() || `--trace ${o.trace}`}\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${f(r.load[0][0], 1)} at the start, ${f(r.load[1][0], 1)} at the end ` +
      '(the machine is shared with other engineers: real-time figures are noisy). ' +
      `Whole run: ${f(r.realMs / 1000, 1)} s.`,
    '',
    '## Setup',
    '',
    table([
      ['what', 'value'],
      [
        'trace',
        `${r.trace.source} (${r.trace.format}, ${r.trace.users.length} users, ${r.trace.minutes} minutes)`,
      ],
      ['history in InfluxDB', `minutes 0..${r.replayFrom} (backfilled as \`earmark import\` would)`],
      [
        'replayed live',
        `minutes ${r.replayFrom}..${r.to}; scored: ${r.from}..${r.to} (${r.to - r.from} min)`,
      ],
      [
        'requests scored',
        `${r.requests} (scale ${r.scale.toPrecision(4)}${o.rate ? `, ${o.rate} req/s on average` : ''}), seed ${o.seed}`,
      ],
      [
        'instances',
        `${r.instances.length} × ${r.instances[0].memoryMb} MB (${o.capacityFactor} × the ${f(r.peakMb / 1024, 1)} GB static provisioning for the peak holds)`,
      ],
      ['cold start', `${o.coldStartMs} ms; SLO ${o.sloMs} ms (late = added latency above it)`],
      [
        'keep-alive',
        `${o.keepAliveMs / 60_000} min (no prediction, reactive); Earmark's platform keep-alive ${o.earmarkKeepAliveMs / 1000} s`,
      ],
      ['warm-up lead', `${o.leadMs / 1000} s (Earmark's policy leadTime, and the oracle's)`],
      ['proxies', `${o.proxies} emulated Envoys × ${o.workers} workers, build/earmark.wasm, gRPC plan sync`],
      [
        'forecast',
        `${o.horizonSteps} one-minute steps, ${o.historySteps} steps of history per cycle, model: ${o.modelFile === null ? 'none (baselines + intermittent)' : (o.modelFile ?? 'the service default')}`,
      ],
    ]),
    '',
    ...r.trace.notes.map((n) => `- ${n}`),
    '',
    '## What each policy does',
    '',
    ...POLICY_TEXT,
    '',
    '## Results',
    '',
    table(rows),
    '',
    'Every request has one fate (they add up to the requests):',
    '',
    table(fateRows),
    '',
    'Of them, rejected or late (by fate):',
    '',
    table(badRows),
    '',
    `![held memory](${heldSvg})`,
    '',
    `![rejected or late](${badSvg})`,
    '',
    `![p99](${p99Svg}) ![GB-h](${gbSvg})`,
    '',
  ];
  if (e) {
    const totals = e.cycles.map((c) => c.totalMs);
    const stageNames = [...new Set(e.cycles.flatMap((c) => c.stages.map((s) => s.stage)))];
    lines.push(
      "## Earmark's control plane during the replay",
      '',
      `- Cycles: ${e.cycles.length} (${e.cycles.filter((c) => c.ok).length} ok); cycle time ${stats(totals)}`,
      ...stageNames.map(
        (n) =>
          `  - ${n}: ${stats(e.cycles.flatMap((c) => c.stages.filter((s) => s.stage === n).map((s) => s.ms)))}`,
      ),
      `- Plan lag (publish → last proxy ACK, real time): ${stats(e.planLagMs)}`,
      `- Top-ups: ${JSON.stringify(e.topUps)}`,
      `- Filter decisions (all replayed requests, warm-up included): ${JSON.stringify(e.tally)}`,
      `- Warm-up: ${JSON.stringify(e.warmup)}; history backfilled: ${e.backfill.points} points, ${e.backfill.requests} requests`,
      `- Instance model: ${JSON.stringify(e.pool.counters)}`,
      `- Real time: setup ${f(e.realMs.setup / 1000, 1)} s, replay ${f(e.realMs.replay / 1000, 1)} s`,
      '',
      ...userTables(r.trace, r.earmark!.log, e.pool.held.gbHoursByUser(), r.baselines),
      'The policy the control plane ran (seeded as version 1):',
      '',
      '```yaml',
      e.policyYaml.trimEnd(),
      '```',
      '',
    );
  }
  if (r.json)
    lines.push(
      '## Targets (issue 10)',
      '',
      table(checks(r.json)),
      '',
      '```json',
      JSON.stringify(r.json),
      '```',
      '',
    );
  lines.push(
    'Baseline details: ' + r.baselines.map((b) => `${b.name} ${JSON.stringify(b.extra)}`).join('; '),
    '',
  );
  const file = path.join(o.outDir, `e2e-${name}.md`);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

/** The options the run was given (argv after the CLI's "bench e2e"). */
function commandArgs(): string {
  const a = process.argv.slice(2);
  if (a[0] === 'bench' && a[1] === 'e2e') a.splice(0, 2);
  return a.join(' ');
}
