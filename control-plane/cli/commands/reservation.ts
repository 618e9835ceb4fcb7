/** `earmark reservation <user>`: one user's reservation in the running control plane's plan. */
import { Command, UsageError } from '../command';
import { apiGet, ApiClientError } from '../../api/client';
import { INSPECT_OPTIONS, parseInspectArgs, renderReservation } from '../../api/inspect';
import type { Reservation } from '../../domain/reservation';

export const command: Command = {
  name: 'reservation',
  summary: "Show one user's reservation in the running control plane's plan",
  help: [
    'usage: earmark reservation <user> [--url <url>] [--token <token>] [--json]',
    '',
    "Asks a running control plane for the user's reservation in its current plan: the instance,",
    'what is held (slots, CPU, memory, bandwidth), the rate, what happens when it is used up, and',
    'its validity window.',
    '',
    'options:',
    INSPECT_OPTIONS,
    '',
    'Exit status: 0 shown, 1 no reservation (or no plan, or the API could not be asked), 2 bad usage.',
    'example: earmark reservation user-0042',
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    const o = parseInspectArgs(argv);
    if (o.args.length !== 1) throw new UsageError('name exactly one user');
    const user = o.args[0];
    try {
      const r = await apiGet<Reservation>(o.target, `/v1/users/${encodeURIComponent(user)}/reservation`);
      process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : renderReservation(r));
      return 0;
    } catch (err) {
      if (!(err instanceof ApiClientError)) throw err;
      process.stderr.write(`earmark reservation: ${err.message} (${err.code})\n`);
      return 1;
    }
  },
};
