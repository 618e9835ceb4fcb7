/** Text renderings of GET /v1/cycle and of one cycle report, for `earmark cycle`. */
import type { CycleReportView, CycleStatusView } from './port';

const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
const msOf = (r: CycleReportView) => r.stages.map((s) => `${s.stage} ${Math.round(s.ms)}`).join(' · ');

/** One line per report: number, time, outcome, users, plan, stage timings. */
export function renderCycleReport(r: CycleReportView): string {
  const outcome = r.ok
    ? `ok: ${r.users} users forecast, ${r.reserved} reserved, ${r.squeezed} squeezed, plan ${r.planVersion}`
    : `FAILED at ${r.failedStage}: ${r.error}${r.planVersion ? ` (plan ${r.planVersion} was published)` : ''}`;
  return `cycle ${r.cycle} at ${when(r.startedAtMs)} — ${outcome} | ms: ${msOf(r)} (total ${Math.round(r.totalMs)})`;
}

export function renderCycle(c: CycleStatusView & { recent: CycleReportView[] }): string {
  const lines = [
    `cycle: ${c.state}, every ${c.intervalMs / 1000} s; next at ${when(c.nextAtMs)}`,
    `runs ${c.runs} (ok ${c.succeeded}, failed ${c.failed}), skipped ticks ${c.skipped}`,
    `plan in force: ${c.planVersion ?? 'none yet'}`,
    `top-ups: ${c.topUps.granted} granted, ${c.topUps.partial} partial, ${c.topUps.refused} refused of ${c.topUps.requested} asked`,
  ];
  if (c.lastSuccess && c.last && !c.last.ok) lines.push(`last good: ${renderCycleReport(c.lastSuccess)}`);
  if (c.recent.length)
    lines.push('', 'recent (newest first):', ...c.recent.map((r) => '  ' + renderCycleReport(r)));
  return lines.join('\n') + '\n';
}
