/** `earmark bench e2e`: issue 10's end-to-end benchmark (bench/e2e/). */
import { Command, UsageError } from '../command';

export const command: Command = {
  name: 'bench e2e',
  summary:
    'Replay a trace through InfluxDB, the control plane, gRPC and the filter; compare with keep-alive, reactive, static, oracle',
  help: `usage: earmark bench e2e --trace <folder or csv> [options]
       npm run bench:e2e -- --trace <folder or csv> [options]

The trace is a folder in the Azure Functions 2019 layout (each function a user), a timestamp,value
csv (one user), or a folder of such csvs (one user each). Minutes before the evaluated window are
backfilled into a private InfluxDB; the window (and a warm-up before it) is replayed live through
the real control-plane service on a simulated clock and emulated Envoys running build/earmark.wasm,
then under four comparison policies on the same arrivals and instance model. Writes
bench/results/e2e-<name>.md with SVG plots; the last line printed is the JSON figure line.

options (defaults in brackets):
  --trace PATH            folder or csv (or give it as the argument)
  --seed N                arrivals within each minute, jitter [1]
  --rate R                scale the trace to R requests/s on average over the window
  --scale S               or multiply every count by S [1]
  --from M                first evaluated minute [the middle of the trace]
  --minutes N             evaluated minutes [to the end of the trace]
  --warmup N              minutes replayed before the window, not scored [30]
  --slo-ms MS             late = added latency above this [100]
  --cold-start-ms MS      what landing on nothing warm costs [1000]
  --keepalive-min M       keep-alive of the no-prediction and reactive policies [10]
  --earmark-keepalive-s S platform keep-alive of sandboxes Earmark's plan does not hold [120]
  --lead-s S              warm-up lead of Earmark's plans and of the oracle [60]
  --rate-burst-s S        token bucket of Earmark's reservations, in seconds of their rate [600]
  --reservable S          share of each instance Earmark's reservations may fill [1]
  --instances N           companion instances [memory / 16 GB, at least 2]
  --capacity-factor F     cluster memory = F × what static provisioning for the peak holds [1]
  --no-evict              idle kept-alive sandboxes are never released early under memory pressure
  --proxies N --workers N emulated Envoys and workers each [2, 2]
  --warm-above P          Earmark's tier holds a warm slot where P(active) > P (1: off)
  --hold-peak-min M       Earmark's tier holds the largest concurrency of the last M minutes
                          wherever anything is forecast [5] (0: off)
  --max-slots N           most slots one reservation of Earmark's tier holds; past it, on demand [40] (0: no cap)
  --overflow-room S       keep S x what the slots past --max-slots would hold free, unreserved, beside it [1]
  --quantile Q --headroom H --max-queue-wait-ms MS --on-exhausted A --min-slots N
                          Earmark's tier [0.9, 1, 50, redirect, 1]
  --history-steps N --horizon N --warmup-steps N
                          the service's forecast settings [720, 15, 60]
  --step-ms MS            lock-step granularity of simulated time [1000]
  --model FILE | --no-model   forecast model [the service's default]
  --influx-url URL        use this InfluxDB (a fresh database) instead of a private influxd
  --out DIR --name NAME   report location [bench/results, <trace>-seed<N>]
  --baselines-only        only the four comparison policies (no live run, no JSON line)
  --quiet                 only the JSON line

example:
  npm run bench:e2e -- --trace ../shared/traces/azure-functions-2019/sample-10fn-original-format --rate 20`,
  async run(argv) {
    // Loaded here: every CLI command file is loaded at start, and this one pulls in the whole system.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { parseOptions, OptionError } =
      require('../../../bench/e2e/options') as typeof import('../../../bench/e2e/options');
    const { runE2e } = require('../../../bench/e2e/run') as typeof import('../../../bench/e2e/run');
    const { printFigures } = require('../../../bench/e2e/print') as typeof import('../../../bench/e2e/print');
    /* eslint-enable @typescript-eslint/no-require-imports */
    let o;
    try {
      o = parseOptions(argv);
    } catch (e) {
      if (e instanceof OptionError) throw new UsageError(e.message);
      throw e;
    }
    const log = o.quiet ? () => undefined : (line: string) => process.stderr.write(line + '\n');
    const r = await runE2e(o, log);
    if (!o.quiet) printFigures(r, process.stdout);
    if (r.json) process.stdout.write(JSON.stringify(r.json) + '\n');
    return 0;
  },
};
