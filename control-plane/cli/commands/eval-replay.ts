/** `earmark eval replay`: the Azure Functions 2019 trace through forecasting + allocation vs keep-alive. */
import * as path from 'node:path';
import { Command, UsageError } from '../command';
import { loadPolicyFile } from '../../allocate/load-policy';
import { readFunctionTrace } from '../../allocate/replay/azure-trace';
import { formatReport, reportJson } from '../../allocate/replay/report';
import { runReplay } from '../../allocate/replay/run-replay';

const DEFAULT_POLICY = path.join(__dirname, '../../allocate/policies/serverless.yaml');
const CURVE = [0.5, 0.7, 0.8, 0.85, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999];

const HELP = `usage: earmark eval replay --invocations <inv.csv> --memory <mem.csv> [options]

Replays an Azure Functions 2019 trace (per-function, per-minute invocations and average allocated
memory; e.g. ../shared/traces/azure-functions-2019/sample-1000fn/1000_inv.csv and 1000_mem.csv)
through Earmark's intermittent forecaster and allocator, online, each function one user, and
compares it with fixed keep-alive. Prints the table, the trade-off curve over the tier quantile,
then one JSON line {"cold_pct", "idle_gb_h", "keepalive10", "keepalive20", "keepalive60"}.

options:
  --invocations <file>   invocation counts per function and minute (required)
  --memory <file>        average allocated memory per function (required)
  --policy <file>        allocation policy (default control-plane/allocate/policies/serverless.yaml)
  --history <minutes>    minutes before the evaluated ones (default 720: evaluate 721-1440)
  --quantile <q>         use this tier quantile instead of calibrating one on the history half
  --budget-keepalive <m> keep-alive whose idle memory bounds the calibration (default 10)

example: npm run eval:replay -- --invocations ../shared/traces/azure-functions-2019/sample-1000fn/1000_inv.csv \\
           --memory ../shared/traces/azure-functions-2019/sample-1000fn/1000_mem.csv`;

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const known = ['invocations', 'memory', 'policy', 'history', 'quantile', 'budget-keepalive'];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !known.includes(m[1])) throw new UsageError(`unknown argument "${argv[i]}"`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${m[1]} needs a value`);
    out[m[1]] = v;
  }
  return out;
}

function number(v: string | undefined, name: string, ok: (x: number) => boolean): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || !ok(x)) throw new UsageError(`--${name}: "${v}" is out of range`);
  return x;
}

export const command: Command = {
  name: 'eval replay',
  summary: 'Replay the Azure Functions trace through forecasting + allocation vs fixed keep-alive',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const a = parseArgs(argv);
    if (!a.invocations || !a.memory) throw new UsageError('--invocations and --memory are required');
    const options = {
      historyMinutes: number(a.history, 'history', (x) => Number.isInteger(x) && x >= 2) ?? 720,
      quantile: number(a.quantile, 'quantile', (x) => x > 0 && x < 1),
      budgetKeepAlive: number(a['budget-keepalive'], 'budget-keepalive', (x) => x >= 0) ?? 10,
      keepAlives: [10, 20, 60, 240],
      curve: CURVE,
    };
    const policy = loadPolicyFile(a.policy ?? DEFAULT_POLICY);
    const trace = readFunctionTrace(a.invocations, a.memory);
    if (trace.withoutMemory.length > 0)
      process.stderr.write(
        `note: ${trace.withoutMemory.length} functions have no memory row and are left out\n`,
      );
    const report = runReplay(trace, policy, options);
    process.stdout.write(formatReport(report));
    process.stdout.write(reportJson(report) + '\n');
    return 0;
  },
};
