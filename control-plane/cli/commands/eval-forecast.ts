/** `earmark eval forecast <series...>`: issue 6's forecast evaluation (control-plane/forecast/eval). */
import { createFleetIntermittent, defaultBaselines } from '../../forecast/baselines';
import { CsvError, parseDuration, readSeries, Series } from '../../forecast/eval/csv-series';
import { evaluateSeries, SeriesResult } from '../../forecast/eval/protocol';
import { formatReport, summarize } from '../../forecast/eval/report';
import { issueSeriesSpecs, parseSpec, SpecError } from '../../forecast/eval/sources';
import { DEFAULT_MODEL_FILE } from '../../forecast/model/default-model';
import { OnnxQuantileModel } from '../../forecast/model/onnx-model';
import { ModelLoadError } from '../../forecast/model/signature';
import { Command, UsageError } from '../command';

export const command: Command = {
  name: 'eval forecast',
  summary: 'Score the forecaster on CSV series (MASE, q0.95 pinball and coverage) against baselines',
  help: `usage: earmark eval forecast [options] SERIES...

Each series is split 70/30 in time; every origin of the last 30 % is forecast from the data
before it only, and scored on the value 15 minutes ahead (3 steps at 5 min, 1 step at 30 min).
MASE is scaled by the in-sample one-step naive MAE of the first 70 %. Prints a per-series table,
every method's geometric mean, and a final JSON line:
  {"mase_geomean": M, "naive_mase_geomean": N, "worse_than_naive": W, "coverage_q95": C,
   "pinball_q95_ratio": P}      (P: our q0.95 pinball / that of "q0.95 of the last 24 h")

SERIES := PATH[+PATH...][,join][,column=NAME][,interval=DURATION][,name=LABEL]
  PATH is a CSV file or a directory (its *.csv files, in name order). A directory gives one
  series per file, unless ",join" is given; PATH+PATH joins files into one series.
  A CSV is "timestamp,value", or has a header naming columns (pick one with column=); without a
  timestamp column the interval is required (interval=5m).

options:
  --model FILE        ONNX model to include (default: ${DEFAULT_MODEL_FILE.replace(process.cwd() + '/', '')})
  --no-model          baselines and the chooser only
  --column NAME       default column for SERIES without column=
  --interval DURATION default interval for SERIES without interval=
  --horizon DURATION  lead scored (default 15m)
  --issue-series DIR  the 16 series of issue 6, under the traces directory DIR

example (issue 6):
  earmark eval forecast --issue-series ../shared/traces
which is the same as
  earmark eval forecast ../shared/traces/nab/realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv ... \\
    ../shared/traces/nab/realTweets ../shared/traces/nab/realKnownCause/nyc_taxi.csv \\
    ../shared/traces/datacenter-aggregates/google2019,join,column=avg_cpu,interval=5m \\
    ../shared/traces/datacenter-aggregates/azure_v2,join,column=cpu_usage`,
  async run(argv) {
    const specs: string[] = [];
    let modelFile: string | null | undefined;
    const defaults: { column?: string; intervalMs?: number } = {};
    let horizonMs = 15 * 60_000;
    const value = (i: number, what: string) => {
      const v = argv[i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${argv[i - 1]} needs ${what}`);
      return v;
    };
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--model') modelFile = value(++i, 'a file');
      else if (a === '--no-model') modelFile = null;
      else if (a === '--column') defaults.column = value(++i, 'a column name');
      else if (a === '--interval' || a === '--horizon') {
        const ms = parseDuration(value(++i, 'a duration'));
        if (ms === undefined) throw new UsageError(`${a}: "${argv[i]}" is not a duration (e.g. 5m)`);
        if (a === '--interval') defaults.intervalMs = ms;
        else horizonMs = ms;
      } else if (a === '--issue-series') specs.push(...issueSeriesSpecs(value(++i, 'the traces directory')));
      else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
      else specs.push(a);
    }
    if (specs.length === 0) throw new UsageError('no series given');

    let series: Series[];
    try {
      series = specs.flatMap((s) => parseSpec(s, defaults)).map(readSeries);
    } catch (err) {
      if (err instanceof SpecError) throw new UsageError(err.message);
      if (err instanceof CsvError) {
        process.stderr.write(`earmark eval forecast: ${err.message}\n`);
        return 1;
      }
      throw err;
    }

    let model: OnnxQuantileModel | undefined;
    if (modelFile !== null) {
      try {
        model = await OnnxQuantileModel.load(modelFile ?? DEFAULT_MODEL_FILE);
      } catch (err) {
        if (!(err instanceof ModelLoadError) || modelFile !== undefined) throw err;
        process.stderr.write(`earmark eval forecast: ${err.message}; evaluating baselines only\n`);
      }
    }
    const results: SeriesResult[] = [];
    for (const s of series) {
      const t0 = Date.now();
      const baselines = [...defaultBaselines(), createFleetIntermittent()];
      results.push(await evaluateSeries(s, { baselines, model, horizonMs }));
      process.stderr.write(
        `  ${s.name}: ${s.values.length} points, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    }
    await model?.dispose();
    process.stdout.write(formatReport(results) + '\n\n');
    process.stdout.write(JSON.stringify(summarize(results)) + '\n');
    return 0;
  },
};
