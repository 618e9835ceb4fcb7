/** `earmark plan`: the current plan of a running control plane, per instance. */
import { Command } from '../command';
import { apiGet, ApiClientError } from '../../api/client';
import { INSPECT_OPTIONS, parseInspectArgs, renderPlan } from '../../api/inspect';

export const command: Command = {
  name: 'plan',
  summary: "Show the running control plane's current plan (totals, per instance, scaling)",
  help: [
    'usage: earmark plan [--url <url>] [--token <token>] [--json]',
    '',
    'Asks a running control plane (`earmark serve` or `npm start`) for its current plan:',
    'version and time, users and capacity reserved, users squeezed, scaling recommendations,',
    'and per instance the reservations against its capacity (reserved/capacity).',
    '',
    'options:',
    INSPECT_OPTIONS,
    '',
    'Exit status: 0 shown, 1 no plan yet or the API could not be asked, 2 bad usage.',
    'example: earmark plan --url http://127.0.0.1:8080',
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    const o = parseInspectArgs(argv);
    try {
      const [plan, per] = await Promise.all([
        apiGet<any>(o.target, '/v1/plan'),
        apiGet<any>(o.target, '/v1/plan/instances'),
      ]);
      process.stdout.write(
        o.json ? JSON.stringify({ plan, instances: per }, null, 2) + '\n' : renderPlan(plan, per),
      );
      return 0;
    } catch (err) {
      if (!(err instanceof ApiClientError)) throw err;
      process.stderr.write(
        `earmark plan: ${err.message}${err.code === 'PLAN_NOT_FOUND' ? '' : ` (${err.code})`}\n`,
      );
      return 1;
    }
  },
};
