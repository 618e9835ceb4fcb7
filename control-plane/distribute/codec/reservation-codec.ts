/**
 * earmark.v1.Reservation <-> domain Reservation. Hand-coded (wire-writer/wire-reader) because the
 * reflection path costs several microseconds per message and a full plan has 10^5 of them.
 * Field numbers follow proto/earmark/v1/reservation.proto; proto3 defaults are omitted.
 */
import type { ExhaustedAction, Reservation } from '../../domain/reservation';
import { InternCache, WireReader } from './wire-reader';
import type { WireWriter } from './wire-writer';

const ACTION_TO_WIRE: Record<ExhaustedAction, number> = { queue: 1, top_up: 2, redirect: 3, reject: 4 };
const WIRE_TO_ACTION: (ExhaustedAction | undefined)[] = [undefined, 'queue', 'top_up', 'redirect', 'reject'];

/** One reader for every call: decoding is synchronous and this function does not nest. */
const reader = new WireReader();
// Fields that take few distinct values in a plan: reuse their strings instead of re-creating them.
const tiers = new InternCache();
const fallbacks = new InternCache();

/** What EXHAUSTED_ACTION_UNSPECIFIED (0) or an unknown future value decodes to in the reference client. */
export const DEFAULT_EXHAUSTED_ACTION: ExhaustedAction = 'queue';

function str(w: WireWriter, tag: number, v: string): void {
  if (v.length > 0) w.varint(tag).string(v);
}
function num(w: WireWriter, tag: number, v: number): void {
  if (v !== 0) w.varint(tag).varint(v);
}

/** Writes the Reservation's fields (no length prefix). Values must have passed validateReservation. */
export function writeReservation(w: WireWriter, r: Reservation): WireWriter {
  str(w, 0x0a, r.user);
  str(w, 0x12, r.instanceId);
  str(w, 0x1a, r.instanceAddress);
  num(w, 0x20, r.slots);
  num(w, 0x28, r.ratePerMinute);
  num(w, 0x30, r.burst);
  num(w, 0x38, r.cpuMillicores);
  num(w, 0x40, r.memoryMb);
  num(w, 0x48, r.bandwidthKbps);
  str(w, 0x52, r.tier);
  num(w, 0x58, r.priority);
  num(w, 0x60, r.maxQueueWaitMs);
  num(w, 0x68, ACTION_TO_WIRE[r.onExhausted] ?? 0);
  num(w, 0x70, r.notBeforeMs);
  num(w, 0x78, r.expiresMs);
  str(w, 130, r.fallback); // field 16, wire type 2: tag 130, two bytes on the wire (0x82 0x01)
  return w;
}

/** Decodes a Reservation from buf[start, end); throws WireFormatError on malformed bytes. */
export function readReservation(buf: Uint8Array, start = 0, end = buf.length): Reservation {
  const r: Reservation = {
    user: '',
    instanceId: '',
    instanceAddress: '',
    slots: 0,
    ratePerMinute: 0,
    burst: 0,
    cpuMillicores: 0,
    memoryMb: 0,
    bandwidthKbps: 0,
    tier: '',
    priority: 0,
    maxQueueWaitMs: 0,
    onExhausted: DEFAULT_EXHAUSTED_ACTION,
    notBeforeMs: 0,
    expiresMs: 0,
    fallback: '',
  };
  const rd = reader.reset(buf, start, end);
  while (!rd.done) {
    const tag = rd.varint();
    switch (tag) {
      case 0x0a:
        r.user = rd.string();
        break;
      case 0x12:
        r.instanceId = rd.string();
        break;
      case 0x1a:
        r.instanceAddress = rd.string();
        break;
      case 0x20:
        r.slots = rd.varint();
        break;
      case 0x28:
        r.ratePerMinute = rd.varint();
        break;
      case 0x30:
        r.burst = rd.varint();
        break;
      case 0x38:
        r.cpuMillicores = rd.varint();
        break;
      case 0x40:
        r.memoryMb = rd.varint();
        break;
      case 0x48:
        r.bandwidthKbps = rd.varint();
        break;
      case 0x52:
        r.tier = rd.internedString(tiers);
        break;
      case 0x58:
        r.priority = rd.varint();
        break;
      case 0x60:
        r.maxQueueWaitMs = rd.varint();
        break;
      case 0x68:
        r.onExhausted = WIRE_TO_ACTION[rd.varint()] ?? DEFAULT_EXHAUSTED_ACTION;
        break;
      case 0x70:
        r.notBeforeMs = rd.varint();
        break;
      case 0x78:
        r.expiresMs = rd.varint();
        break;
      case 130:
        r.fallback = rd.internedString(fallbacks);
        break;
      default:
        rd.skip(tag & 7); // a field from a newer contract: ignored, as proto3 intends
    }
  }
  return r;
}
