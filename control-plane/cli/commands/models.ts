/** `earmark models list|retrain|rollback`: the forecasting model registry (control-plane/forecast). */
import * as path from 'node:path';
import { RESOURCES } from '../../domain/demand';
import { parseSpec, SpecError } from '../../forecast/eval/sources';
import { readSeries } from '../../forecast/eval/csv-series';
import { ModelRegistry } from '../../forecast/registry/model-registry';
import type { RetrainData } from '../../forecast/retrain/job';
import { createRetrainer } from '../../forecast/retrain/retrainer';
import { SyntheticWorkload } from '../../../sim/workload/synthetic';
import { Command, UsageError } from '../command';

/** As the service's setting modelsDir: EARMARK_MODELS_DIR, else <dataDir>/models (dataDir: EARMARK_DATA_DIR, var). */
const DEFAULT_DIR = path.resolve(
  process.env.EARMARK_MODELS_DIR ||
    path.join(process.env.EARMARK_DATA_DIR || path.resolve(__dirname, '../../../var'), 'models'),
);

/** Per-minute requests of synthetic users (the demo's workload), as retraining data. */
function syntheticData(users: number, days: number): RetrainData {
  const start = Date.UTC(2026, 0, 5);
  const wl = new SyntheticWorkload({ seed: 17, users, startMs: start });
  const steps = days * 1440;
  const values = new Float32Array(users * steps);
  for (let u = 0; u < users; u++) for (let m = 0; m < steps; m++) values[u * steps + m] = wl.count(u, m);
  return {
    series: users,
    resourceOf: new Int8Array(users).fill(RESOURCES.indexOf('requests')),
    startMs: start,
    stepMs: 60_000,
    steps,
    values,
  };
}

/** CSV series (eval specs), aligned on their last points. */
function csvData(specs: string[]): RetrainData {
  const series = specs.flatMap((s) => parseSpec(s)).map(readSeries);
  if (series.length === 0) throw new UsageError('no series');
  const stepMs = series[0].intervalMs;
  const odd = series.find((s) => s.intervalMs !== stepMs);
  if (odd) throw new UsageError(`${odd.name}: interval ${odd.intervalMs} ms differs from ${stepMs} ms`);
  const steps = Math.min(...series.map((s) => s.values.length));
  const values = new Float32Array(series.length * steps);
  series.forEach((s, i) => values.set(s.values.subarray(s.values.length - steps), i * steps));
  const startMs = series[0].timesMs[series[0].values.length - steps];
  return { series: series.length, startMs, stepMs, steps, values };
}

export const command: Command = {
  name: 'models',
  summary: 'List, retrain (champion/challenger) or roll back the forecasting models',
  help: `usage: earmark models list     [--dir DIR]
       earmark models retrain  [--dir DIR] (--synthetic USERS[xDAYS] | SERIES...) [--epochs N]
                               [--holdout STEPS] [--from-scratch]
       earmark models rollback [--dir DIR]

The registry (default DIR: $EARMARK_MODELS_DIR, else $EARMARK_DATA_DIR/models, else var/models:
the service's modelsDir setting) keeps every model version with its metadata; version 0
is the committed default (models/default/quantile-mlp.onnx).
  list      versions, their status and holdout figures, and the promotion history
  retrain   one champion/challenger round in a worker thread: train a challenger on the data,
            score both on its newest --holdout steps (default 20 %), promote only if better
  rollback  make the previous champion the champion again (a running service serves it within a
            minute)
SERIES are as for "earmark eval forecast" (CSV files or directories, ,column= ,interval=).

example: earmark models retrain --synthetic 50x2 --epochs 3`,
  async run(argv) {
    const sub = argv[0];
    let dir = DEFAULT_DIR;
    let synthetic: string | undefined;
    let epochs: number | undefined;
    let holdout: number | undefined;
    let fromScratch = false;
    const specs: string[] = [];
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i];
      const next = () => {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
        return v;
      };
      if (a === '--dir') dir = path.resolve(next());
      else if (a === '--synthetic') synthetic = next();
      else if (a === '--epochs') epochs = Number(next());
      else if (a === '--holdout') holdout = Number(next());
      else if (a === '--from-scratch') fromScratch = true;
      else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
      else specs.push(a);
    }
    const registry = new ModelRegistry(dir);
    if (sub === 'list') {
      for (const v of registry.list())
        process.stdout.write(
          `v${v.version}  ${v.status.padEnd(9)}  ${v.createdAtMs ? new Date(v.createdAtMs).toISOString() : 'committed default'}  ${v.file}\n` +
            (Object.keys(v.info).length ? `     ${JSON.stringify(v.info)}\n` : ''),
        );
      for (const e of registry.history())
        process.stdout.write(
          `${new Date(e.atMs).toISOString()}  ${e.action} v${e.version} (was v${e.previous}): ${e.reason}\n`,
        );
      return 0;
    }
    if (sub === 'rollback') {
      const v = registry.rollback('earmark models rollback');
      process.stdout.write(`champion is now v${v.version} (${v.file})\n`);
      return 0;
    }
    if (sub !== 'retrain') throw new UsageError(`expected list, retrain or rollback, got "${sub ?? ''}"`);
    if (!synthetic === (specs.length === 0))
      throw new UsageError('give either --synthetic USERS[xDAYS] or SERIES, not both');
    let collect: () => Promise<RetrainData>;
    if (synthetic) {
      const m = /^(\d+)(?:x(\d+))?$/.exec(synthetic);
      if (!m) throw new UsageError(`--synthetic ${synthetic}: expected USERS or USERSxDAYS, e.g. 50x2`);
      const data = syntheticData(Number(m[1]), Number(m[2] ?? 2));
      collect = async () => data;
    } else {
      let data: RetrainData;
      try {
        data = csvData(specs);
      } catch (err) {
        if (err instanceof SpecError) throw new UsageError(err.message);
        throw err;
      }
      collect = async () => data;
    }
    const retrainer = createRetrainer({
      registry,
      collect,
      training: { epochs, holdoutSteps: holdout, fromScratch },
      onProgress: (e, tl, vl) =>
        process.stderr.write(`  epoch ${e}: train ${tl.toFixed(4)}, validation ${vl.toFixed(4)}\n`),
    });
    const o = await retrainer.runOnce();
    process.stdout.write(
      `v${o.candidate.version} ${o.decision.promote ? 'promoted' : 'rejected'}: ${o.decision.reason}; champion v${o.champion}\n`,
    );
    process.stdout.write(
      JSON.stringify({
        candidate: o.candidate.version,
        promoted: o.decision.promote,
        champion: o.champion,
        ...o.result,
      }) + '\n',
    );
    return 0;
  },
};
