// Local replies the filter sends instead of forwarding: 429 (or the configured status) with a
// Retry-After header and a JSON body, and 503 when the plan is unavailable in fail-closed mode.
// Built in a reused buffer: rejecting under overload must not add garbage to collect.
import { sendLocalResponse } from '../abi/hostcalls';
import { Blob, ByteWriter } from '../lib/bytes';

export const enum Refusal {
  NoReservation = 0,
  ReservationExhausted = 1,
  QueueTimeout = 2,
  QueueFull = 3,
  PlanUnavailable = 4,
}

const CODES: string[] = [
  'no_reservation',
  'reservation_exhausted',
  'queue_timeout',
  'queue_full',
  'plan_unavailable',
];
const MESSAGES: string[] = [
  'no capacity is reserved for this user and the shared pool is exhausted',
  "the user's reserved capacity is exhausted",
  'no capacity became free within the maximum queue wait',
  'the wait queue is full',
  'no current reservation plan is available',
];
const DETAILS: string[] = [
  'earmark_no_reservation',
  'earmark_reservation_exhausted',
  'earmark_queue_timeout',
  'earmark_queue_full',
  'earmark_plan_unavailable',
];

export class LocalReplies {
  private readonly body: ByteWriter = new ByteWriter(256);
  private readonly headers: ByteWriter = new ByteWriter(128);
  private readonly number: ByteWriter = new ByteWriter(16);
  private readonly codes: Array<Blob> = [];
  private readonly messages: Array<Blob> = [];
  private readonly details: Array<Blob> = [];
  private readonly retryAfter: Blob = Blob.utf8('retry-after');
  private readonly contentType: Blob = Blob.utf8('content-type');
  private readonly json: Blob = Blob.utf8('application/json');

  constructor() {
    for (let i = 0; i < CODES.length; i++) {
      this.codes.push(Blob.utf8(CODES[i]));
      this.messages.push(Blob.utf8(MESSAGES[i]));
      this.details.push(Blob.utf8(DETAILS[i]));
    }
  }

  /** Sends `status` with {"error","message"[,"retry_after_s"]}; retryAfterS = 0 omits Retry-After. */
  send(status: u32, why: Refusal, retryAfterS: u64): void {
    const b = this.body;
    b.reset();
    b.utf8('{"error":"');
    b.blob(this.codes[why]);
    b.utf8('","message":"');
    b.blob(this.messages[why]);
    b.u8(0x22);
    const n = this.number;
    n.reset();
    if (retryAfterS > 0) {
      n.decimal(retryAfterS);
      b.utf8(',"retry_after_s":');
      b.bytes(n.ptr, n.len);
    }
    b.u8(0x7d);
    // Header pairs (abi/serde.ts format), written directly to avoid building pair objects.
    const h = this.headers;
    h.reset();
    const count: u32 = retryAfterS > 0 ? 2 : 1;
    h.u32(count);
    h.u32(<u32>this.contentType.len);
    h.u32(<u32>this.json.len);
    if (count == 2) {
      h.u32(<u32>this.retryAfter.len);
      h.u32(<u32>n.len);
    }
    h.blob(this.contentType);
    h.u8(0);
    h.blob(this.json);
    h.u8(0);
    if (count == 2) {
      h.blob(this.retryAfter);
      h.u8(0);
      h.bytes(n.ptr, n.len);
      h.u8(0);
    }
    const d = this.details[why];
    sendLocalResponse(status, d.ptr, d.len, b.ptr, b.len, h.ptr, h.len);
  }
}
