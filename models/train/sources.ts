/**
 * What the default model learns from:
 *  - the first 70 % of each of issue 6's 16 real series (the part its evaluation never scores;
 *    read in place from ../shared/traces), and
 *  - the project's synthetic per-minute users (diurnal, bursty, sparse), so it also knows
 *    1-minute per-user demand, which is what it forecasts in production.
 * Each source's last 20 % (of what it may use) is the validation set that picks the epoch.
 */
import * as path from 'node:path';
import { readSeries } from '../../control-plane/forecast/eval/csv-series';
import { issueSeriesSpecs, parseSpec } from '../../control-plane/forecast/eval/sources';
import { SyntheticWorkload } from '../../sim/workload/synthetic';
import type { TrainingSeries } from './dataset';

export const TRAIN_SHARE = 0.7;
export const VALIDATION_SHARE = 0.2;
export const DEFAULT_TRACES = path.resolve(__dirname, '../../../shared/traces');

export interface Sources {
  train: TrainingSeries[];
  validation: TrainingSeries[];
  description: string[];
}

function split(
  s: Omit<TrainingSeries, 'from' | 'to'>,
  usable: number,
  window: number,
): [TrainingSeries, TrainingSeries] {
  const cut = Math.floor(usable * (1 - VALIDATION_SHARE));
  return [
    { ...s, from: window, to: cut },
    { ...s, from: cut, to: usable },
  ];
}

export function realSources(traces: string, window: number): Sources {
  const out: Sources = { train: [], validation: [], description: [] };
  for (const spec of issueSeriesSpecs(traces))
    for (const src of parseSpec(spec)) {
      const s = readSeries(src);
      const usable = Math.floor(TRAIN_SHARE * s.values.length);
      const [tr, va] = split(
        {
          name: s.name,
          values: s.values,
          stepMs: s.intervalMs,
          timeOf: (i) => s.timesMs[i],
          context: { resource: -1 },
        },
        usable,
        window,
      );
      out.train.push(tr);
      out.validation.push(va);
      out.description.push(`${s.name}: first ${usable} of ${s.values.length} points`);
    }
  return out;
}

export function syntheticSources(
  opts: { users: number; days: number; seed: number; stride: number; weight: number },
  window: number,
): Sources {
  const start = Date.UTC(2026, 0, 5);
  const wl = new SyntheticWorkload({ seed: opts.seed, users: opts.users, startMs: start });
  const minutes = opts.days * 1440;
  const out: Sources = { train: [], validation: [], description: [] };
  for (let u = 0; u < opts.users; u++) {
    const values = new Float32Array(minutes);
    for (let m = 0; m < minutes; m++) values[m] = wl.count(u, m);
    const [tr, va] = split(
      {
        name: wl.users[u].id,
        values,
        stepMs: 60_000,
        startMs: start,
        stride: opts.stride,
        weight: opts.weight / opts.users,
        context: { resource: 0 },
      },
      minutes,
      window,
    );
    out.train.push(tr);
    out.validation.push(va);
  }
  out.description.push(
    `synthetic: ${opts.users} users × ${opts.days} days at 1 min (seed ${opts.seed}), every ${opts.stride}th origin`,
  );
  return out;
}
