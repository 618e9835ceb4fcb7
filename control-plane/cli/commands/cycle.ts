/** `earmark cycle`: the running control plane's cycle (state, last reports), or run one now. */
import { Command } from '../command';
import { apiCall, ApiClientError } from '../../api/client';
import { INSPECT_OPTIONS, parseInspectArgs } from '../../api/inspect';
import { renderCycle, renderCycleReport } from '../../api/inspect-cycle';

export const command: Command = {
  name: 'cycle',
  summary: "Show the running control plane's cycle (state, last reports with stage timings), or run one now",
  help: [
    'usage: earmark cycle [--run] [--url <url>] [--token <token>] [--json]',
    '',
    'Without --run: the cycle of a running control plane (`earmark serve` or `npm start`) — state,',
    'counts, next tick, the plan in force, and the last 10 cycles with the milliseconds of each stage',
    '(read, forecast, allocate, publish, record) or the stage that failed and why.',
    '',
    'With --run: runs a cycle now (after a policy change or an import, say), waits for it, and',
    'prints its report. Refused while a cycle runs: cycles never overlap.',
    '',
    'options:',
    '  --run             run a cycle now and wait for its report',
    INSPECT_OPTIONS,
    '',
    'Exit status: 0 shown (or the cycle ran ok), 1 the cycle failed, one was running, or the API',
    'could not be asked, 2 bad usage.',
    'example: earmark cycle --run --url http://127.0.0.1:8080',
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    const o = parseInspectArgs(argv, ['--run']);
    try {
      if (o.on.has('--run')) {
        const report = await apiCall<any>(o.target, 'POST', '/v1/cycle?wait=true', 600_000);
        process.stdout.write(
          o.json ? JSON.stringify(report, null, 2) + '\n' : renderCycleReport(report) + '\n',
        );
        return report.ok ? 0 : 1;
      }
      const cycle = await apiCall<any>(o.target, 'GET', '/v1/cycle');
      process.stdout.write(o.json ? JSON.stringify(cycle, null, 2) + '\n' : renderCycle(cycle));
      return 0;
    } catch (err) {
      if (!(err instanceof ApiClientError)) throw err;
      process.stderr.write(`earmark cycle: ${err.message} (${err.code})\n`);
      return 1;
    }
  },
};
