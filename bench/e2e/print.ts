/** The readable figures printed before the JSON line: one row per policy, then where the report is. */
import type { E2eResult } from './run';

export function printFigures(r: E2eResult, out: NodeJS.WritableStream): void {
  const head = [
    'policy',
    'reserved %',
    'rej/late %',
    'throttled %',
    'cold %',
    'p50 ms',
    'p99 ms',
    'held GB-h',
  ];
  const rows = r.summaries.map((s) => [
    s.policy,
    s.servedReservedPct.toFixed(2),
    s.rejectedOrLatePct.toFixed(3),
    s.throttledPct.toFixed(3),
    s.coldPct.toFixed(3),
    s.p50AddedMs.toFixed(0),
    s.p99AddedMs.toFixed(0),
    s.heldGbHours.toFixed(2),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  out.write(line(head) + '\n');
  for (const row of rows) out.write(line(row) + '\n');
  const e = r.live;
  if (e) {
    const sorted = (xs: number[]) => Float64Array.from(xs).sort();
    const q = (xs: Float64Array, p: number) =>
      xs.length ? xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] : NaN;
    const c = sorted(e.cycles.map((x) => x.totalMs));
    const l = sorted(e.planLagMs);
    out.write(
      `control plane: ${e.cycles.length} cycles, cycle time p50 ${q(c, 0.5).toFixed(0)} ms / p99 ${q(c, 0.99).toFixed(0)} ms; ` +
        `plan lag p50 ${q(l, 0.5).toFixed(1)} ms / p99 ${q(l, 0.99).toFixed(1)} ms (${l.length} publishes)\n`,
    );
  }
  out.write(`report: ${r.reportFile}\n`);
}
