/**
 * earmark.v1.UsageReport decoded with the strict wire reader: truncated or corrupt bytes are an
 * error (protobufjs 7's reader does not bounds-check strings), and a report with 10^5 user rows
 * decodes without reflection. 64-bit fields come out as numbers; parse-usage-report.ts rejects any
 * beyond 2^53. Field numbers follow proto/earmark/v1/usage.proto.
 */
import type { RawUsageReport, RawUserUsage } from '../usage/parse-usage-report';
import { WireReader } from './wire-reader';

const USER_FIELDS: (keyof RawUserUsage)[] = [
  'user',
  'user',
  'requests',
  'admitted',
  'queued',
  'queueWaitMs',
  'queueWaitMaxMs',
  'throttled',
  'redirected',
  'peakInFlight',
  'bytesIn',
  'bytesOut',
  'shortfall',
  'unreserved',
]; // index = field number (1 = user, a string; 2..13 varints)

function readUser(buf: Uint8Array, start: number, end: number): RawUserUsage {
  const u: RawUserUsage = {};
  const rd = new WireReader(buf, start, end);
  while (!rd.done) {
    const tag = rd.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 2) u.user = rd.string();
    else if (field >= 2 && field <= 13 && wire === 0)
      (u as Record<string, number>)[USER_FIELDS[field]] = rd.varint();
    else rd.skip(wire);
  }
  return u;
}

/** Throws WireFormatError on malformed bytes. */
export function decodeUsageReport(buf: Uint8Array): RawUsageReport {
  const r: RawUsageReport = { users: [] };
  const rd = new WireReader(buf);
  while (!rd.done) {
    const tag = rd.varint();
    switch (tag) {
      case 0x0a:
        r.nodeId = rd.string();
        break;
      case 0x10:
        r.sequence = rd.varint();
        break;
      case 0x18:
        r.intervalStartMs = rd.varint();
        break;
      case 0x20:
        r.intervalMs = rd.varint();
        break;
      case 0x2a:
        r.planVersion = rd.string();
        break;
      case 0x32: {
        const len = rd.length();
        r.users!.push(readUser(buf, rd.pos, rd.pos + len));
        rd.pos += len;
        break;
      }
      default:
        rd.skip(tag & 7);
    }
  }
  return r;
}
