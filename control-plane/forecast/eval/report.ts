/** Turns per-series results into the issue's table and final JSON line. */
import { LAST_DAY_Q95, OURS, SeriesResult } from './protocol';

export interface Summary {
  mase_geomean: number;
  naive_mase_geomean: number;
  worse_than_naive: number;
  /** Mean over series of the share of targets at or below our q0.95. */
  coverage_q95: number;
  /** Geometric mean over series of (our q0.95 pinball) / (q0.95-of-the-last-24-h pinball). */
  pinball_q95_ratio: number;
}

export function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(Math.max(x, 1e-12)), 0) / xs.length);
}

function method(r: SeriesResult, name: string) {
  const m = r.methods.find((x) => x.name === name);
  if (!m) throw new Error(`${r.name}: no result for ${name}`);
  return m;
}

export function summarize(results: SeriesResult[]): Summary {
  const ours = results.map((r) => method(r, OURS));
  const naive = results.map((r) => method(r, 'naive'));
  const ref = results.map((r) => method(r, LAST_DAY_Q95));
  const round = (x: number) => Math.round(x * 10000) / 10000;
  return {
    mase_geomean: round(geomean(ours.map((m) => m.mase))),
    naive_mase_geomean: round(geomean(naive.map((m) => m.mase))),
    worse_than_naive: ours.filter((m, i) => m.mase > naive[i].mase).length,
    coverage_q95: round(ours.reduce((s, m) => s + m.coverage95, 0) / ours.length),
    pinball_q95_ratio: round(geomean(ours.map((m, i) => m.pinball95 / ref[i].pinball95))),
  };
}

/** Methods in the order of the first series, ours first. */
function methodNames(results: SeriesResult[]): string[] {
  const names = results[0].methods.map((m) => m.name);
  return [OURS, ...names.filter((n) => n !== OURS)].filter((n) =>
    results.every((r) => r.methods.some((m) => m.name === n)),
  );
}

export function formatReport(results: SeriesResult[]): string {
  const names = methodNames(results);
  const lines: string[] = [];
  const w = Math.max(...results.map((r) => r.name.length), 10);
  lines.push(
    'Per series (MASE of the median at the 15-minute lead; ours: coverage and pinball ratio of q0.95):',
  );
  lines.push(
    `${'series'.padEnd(w)}  ${'points'.padStart(6)} ${'step'.padStart(5)} ${'H'.padStart(2)} ${'origins'.padStart(7)}  ${'ours'.padStart(6)} ${'naive'.padStart(6)} ${'best-single'.padStart(24)}  ${'cov95'.padStart(6)} ${'P'.padStart(5)}  most chosen`,
  );
  for (const r of results) {
    const ours = method(r, OURS);
    const naive = method(r, 'naive');
    const singles = r.methods.filter((m) => m.name !== OURS && m.name !== LAST_DAY_Q95);
    const best = singles.reduce((a, b) => (b.mase < a.mase ? b : a));
    const top = Object.entries(r.chosen).sort((a, b) => b[1] - a[1])[0];
    lines.push(
      `${r.name.padEnd(w)}  ${String(r.points).padStart(6)} ${`${r.intervalMs / 60000}m`.padStart(5)} ${String(r.horizonSteps).padStart(2)} ${String(r.origins).padStart(7)}  ${ours.mase.toFixed(3).padStart(6)} ${naive.mase.toFixed(3).padStart(6)} ${`${best.name} ${best.mase.toFixed(3)}`.padStart(24)}  ${ours.coverage95.toFixed(3).padStart(6)} ${(ours.pinball95 / method(r, LAST_DAY_Q95).pinball95).toFixed(2).padStart(5)}  ${top ? `${top[0]} ${Math.round((100 * top[1]) / r.origins)}%` : ''}`,
    );
  }
  lines.push('');
  lines.push(
    'Every method over all series (geometric mean of MASE and of the q0.95 pinball ratio; mean coverage):',
  );
  lines.push(
    `${'method'.padEnd(24)} ${'MASE'.padStart(7)} ${'P'.padStart(7)} ${'cov95'.padStart(7)}  worse-than-naive`,
  );
  for (const name of names) {
    const ms = results.map((r) => method(r, name));
    const naive = results.map((r) => method(r, 'naive'));
    const p = geomean(ms.map((m, i) => m.pinball95 / method(results[i], LAST_DAY_Q95).pinball95));
    const cov = ms.reduce((s, m) => s + m.coverage95, 0) / ms.length;
    const worse = ms.filter((m, i) => m.mase > naive[i].mase).length;
    lines.push(
      `${name.padEnd(24)} ${geomean(ms.map((m) => m.mase))
        .toFixed(4)
        .padStart(7)} ${p.toFixed(4).padStart(7)} ${cov.toFixed(4).padStart(7)}  ${worse}`,
    );
  }
  return lines.join('\n');
}
