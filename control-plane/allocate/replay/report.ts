/** The replay's table, trade-off curve and final JSON line. */
import type { ReplayScore } from './accounting';
import type { ReplayReport } from './run-replay';

const row = (name: string, s: ReplayScore) =>
  `${name.padEnd(52)} ${s.coldPct.toFixed(2).padStart(7)} ${s.idleGbH.toFixed(1).padStart(10)}`;

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const pair = (s: ReplayScore) => ({ cold_pct: round(s.coldPct, 2), idle_gb_h: round(s.idleGbH, 1) });

export function formatReport(r: ReplayReport): string {
  const ev = r.evaluated;
  const lines = [
    `Azure Functions 2019 replay: ${r.functions} functions (one user each), history minutes 1-${ev.from}, ` +
      `evaluated ${ev.from + 1}-${ev.to} (${r.invokedMinutes} invoked function-minutes)`,
    `cold = invoked minute without a reservation; idle = reserved minute without an invocation x average memory`,
    '',
    `${'policy'.padEnd(52)} ${'cold %'.padStart(7)} ${'idle GB-h'.padStart(10)}`,
    row(`earmark: intermittent + allocate, q=${r.quantile.toFixed(3)}, lead ${r.leadTimeMs / 1000}s`, r.ours),
    ...r.keepAlive.map((k) => row(`fixed keep-alive ${k.minutes} min`, k.score)),
    '',
  ];
  if (r.calibration) {
    const c = r.calibration;
    lines.push(
      `quantile chosen at minute ${ev.from + 1} from the past only: the largest q (to 0.001) whose idle memory on ` +
        `minutes ${c.window.from + 1}-${c.window.to} (forecast online from minute 1) stays within ${c.budgetFrom}'s ` +
        `${c.budgetGbH.toFixed(1)} GB-h there; at q=${c.quantile.toFixed(3)} it was ${c.atQuantile.coldPct.toFixed(2)} % ` +
        `cold, ${c.atQuantile.idleGbH.toFixed(1)} GB-h`,
      '',
    );
  }
  lines.push(
    'trade-off curve over the tier quantile (evaluated minutes):',
    `${'quantile'.padEnd(10)} ${'cold %'.padStart(7)} ${'idle GB-h'.padStart(10)}`,
  );
  for (const c of r.curve)
    lines.push(
      `${c.quantile.toFixed(3).padEnd(10)} ${c.score.coldPct.toFixed(2).padStart(7)} ${c.score.idleGbH.toFixed(1).padStart(10)}`,
    );
  return lines.join('\n') + '\n';
}

export function reportJson(r: ReplayReport): string {
  const out: Record<string, unknown> = { ...pair(r.ours) };
  for (const k of r.keepAlive)
    if ([10, 20, 60].includes(k.minutes)) out[`keepalive${k.minutes}`] = pair(k.score);
  return JSON.stringify(out);
}
