/**
 * One request through an emulated proxy's filter, from the client's side: what the filter decided
 * (read from the decision and routing headers it set, or its local reply), when (on the proxy's
 * clock), and finishing it later, which gives its slot back.
 */
import type { HttpStream } from '../../wasm-host';

/**
 * reserved   — admitted on the user's reservation, routed to `target` (the reserved instance)
 * unreserved — admitted from the shared pool of users without a reservation (the route's default)
 * redirected — sent to the fallback `target`
 * throttled  — local reply (429 by default; `reason` says why: no_reservation, queue_timeout, ...)
 * fail_open  — no usable plan, fail mode open: passed through to the route's default
 * fail_closed— no usable plan, fail mode closed (503), or the filter's VM failed closed
 * queued     — still waiting in the filter's queue (not settled yet)
 */
export type Decision =
  'reserved' | 'unreserved' | 'redirected' | 'throttled' | 'fail_open' | 'fail_closed' | 'queued';

export const FINAL_DECISIONS = [
  'reserved',
  'unreserved',
  'redirected',
  'throttled',
  'fail_open',
  'fail_closed',
] as const;
export type FinalDecision = (typeof FINAL_DECISIONS)[number];

const BY_HEADER: Record<string, FinalDecision> = {
  admitted: 'reserved',
  unreserved: 'unreserved',
  redirected: 'redirected',
  fail_open: 'fail_open',
};

export interface FinishOptions {
  status?: number;
  /** Response body size, for the filter's byte counters (a body of this many bytes is sent). */
  bytesOut?: number;
  headers?: Record<string, string>;
}

export class ProxyRequest {
  decision: Decision = 'queued';
  /** The filter held the request in its queue before deciding. */
  wasQueued = false;
  settledAtMs: number | undefined;
  /** Upstream chosen by the filter: the reserved instance or redirect target (host:port). */
  target: string | undefined;
  /** Local reply status and the reason code from its details (throttled, fail_closed). */
  status: number | undefined;
  reason: string | undefined;
  finished = false;

  constructor(
    readonly user: string,
    readonly proxy: number,
    readonly worker: number,
    readonly sentAtMs: number,
    readonly stream: HttpStream,
    private readonly headers: { routing: string; decision: string },
  ) {}

  get settled(): boolean {
    return this.decision !== 'queued';
  }

  /** Time from sending to the decision, on the proxy's clock (0 unless it was queued). */
  get waitMs(): number | undefined {
    return this.settledAtMs === undefined ? undefined : this.settledAtMs - this.sentAtMs;
  }

  /** Reads the filter's verdict if it has given one; true when settled (now or before). */
  observe(nowMs: number): boolean {
    if (this.settled) return true;
    const s = this.stream;
    const reply = s.localReply;
    if (reply) {
      this.status = reply.status;
      this.reason = reply.details.replace(/^earmark_/, '');
      this.decision =
        reply.details === 'earmark_plan_unavailable' || !reply.details.startsWith('earmark_')
          ? 'fail_closed'
          : 'throttled';
    } else if (s.requestContinued) {
      const d = s.requestHeaders.get(this.headers.decision);
      // A stream passed through because the VM failed open carries no decision header.
      this.decision = (d && BY_HEADER[d]) || 'fail_open';
      this.target = s.requestHeaders.get(this.headers.routing) || undefined;
    } else {
      this.wasQueued = true;
      return false;
    }
    this.settledAtMs = nowMs;
    return true;
  }

  /**
   * The upstream answered: response headers (and a body of `bytesOut`), then the stream ends and
   * its slot is released. A request still queued is reset instead (the client gave up).
   */
  finish(o: FinishOptions = {}): void {
    if (this.finished) return;
    this.finished = true;
    const s = this.stream;
    if (!this.settled) return s.reset();
    if (this.decision !== 'throttled' && this.decision !== 'fail_closed') {
      const bytes = o.bytesOut ?? 0;
      s.sendResponseHeaders({ ':status': String(o.status ?? 200), ...o.headers }, bytes === 0);
      if (bytes > 0) s.sendResponseBody(new Uint8Array(bytes), true);
    }
    s.finish();
  }
}
