/** The `npm start` console: one line per cycle, saying what the control plane did and what users got. */
import type { CycleReport } from '../../control-plane/service/status';
import type { DecisionCounts } from './traffic';

const pct = (n: number, of: number) => (of > 0 ? `${Math.round((100 * n) / of)}%` : '–');
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

export interface ProgressInput {
  report: CycleReport;
  /** The last complete minute of traffic (by the simulated clock), if any. */
  minute?: { startMs: number; counts: DecisionCounts };
  /** Plan version each proxy has applied. */
  proxyVersions: (string | undefined)[];
  /** Simulated time behind schedule (the machine cannot keep up). */
  lagMs: number;
}

export function progressLine(p: ProgressInput): string {
  const r = p.report;
  const head = `[${hhmm(r.startedAtMs)} sim] cycle ${r.cycle}`;
  if (!r.ok) return `${head} FAILED at ${r.failedStage}: ${r.error} (the last good plan stays in force)`;
  const inSync = p.proxyVersions.filter(
    (v) => v !== undefined && r.planVersion && v.startsWith(r.planVersion),
  ).length;
  const stages = r.stages.map((s) => `${s.stage} ${s.ms.toFixed(0)}`).join(' · ');
  let line =
    `${head}: ${r.users} users forecast, ${r.reserved} reserved, plan ${r.planVersion} ` +
    `on ${inSync}/${p.proxyVersions.length} proxies | ms: ${stages}`;
  if (p.minute) {
    const c = p.minute.counts;
    line +=
      `\n        ${hhmm(p.minute.startMs)}: ${c.requests} requests — reserved hit ${pct(c.reserved, c.requests)}, ` +
      `unreserved ${c.unreserved}, queued ${c.queued}, redirected ${c.redirected}, throttled ${c.throttled}` +
      (c.fail_open + c.fail_closed > 0 ? `, fail-mode ${c.fail_open + c.fail_closed}` : '');
  }
  if (p.lagMs > 10_000)
    line += `\n        (simulated time is ${(p.lagMs / 1000).toFixed(0)} s behind: the machine is busy)`;
  return line;
}
