/** POSTs scaling recommendations as JSON to a webhook, retrying network errors, 429 and 5xx. */
import type { WebhookTarget } from '../policy';
import { httpRequest } from './http-request';

export interface DeliveryOutcome {
  /** What was addressed, e.g. "webhook https://..." or "deployment default/companion". */
  target: string;
  ok: boolean;
  attempts: number;
  status?: number;
  /** Why it failed, in one line. */
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function postWebhook(target: WebhookTarget, payload: unknown): Promise<DeliveryOutcome> {
  const name = `webhook ${target.url}`;
  const body = JSON.stringify(payload);
  let last = '';
  let status: number | undefined;
  for (let attempt = 1; attempt <= target.retries + 1; attempt++) {
    if (attempt > 1) await sleep(target.backoffMs * 2 ** (attempt - 2));
    try {
      const res = await httpRequest({
        method: 'POST',
        url: target.url,
        headers: { 'content-type': 'application/json', ...target.headers },
        body,
        timeoutMs: target.timeoutMs,
      });
      status = res.status;
      if (res.status >= 200 && res.status < 300) return { target: name, ok: true, attempts: attempt, status };
      last = `HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`;
      if (res.status !== 429 && res.status < 500)
        return {
          target: name,
          ok: false,
          attempts: attempt,
          status,
          error: `${name} refused the recommendations: ${last}`,
        };
    } catch (err) {
      status = undefined;
      last = (err as Error).message;
    }
  }
  const attempts = target.retries + 1;
  const what = status === undefined ? 'unreachable' : 'failing';
  return {
    target: name,
    ok: false,
    attempts,
    status,
    error: `${name} ${what} after ${attempts} attempts: ${last}`,
  };
}
