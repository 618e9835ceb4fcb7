/**
 * The shared-data layouts of plugin/plan/ (record.ts, live.ts, meta.ts), mirrored in TypeScript
 * so tests can plant plans directly and read what the filter and sync root wrote. Pinned against
 * the Wasm side by tests that compare what the sync root writes with what this encodes.
 */
import { strict as assert } from 'node:assert';

export const ACTIONS = ['unspecified', 'queue', 'top_up', 'redirect', 'reject'] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface Reservation {
  address: string;
  slots?: number;
  ratePerMinute?: number;
  burst?: number;
  priority?: number;
  maxQueueWaitMs?: number;
  onExhausted?: ActionName;
  notBeforeMs?: number;
  validUntilMs?: number;
  fallback?: string;
}

export const LIVE_OFFSET = 48;
export const RECORD_HEADER = 72;

/** A reservation record; `live` sets its live counters (default: nothing in flight, full bucket). */
export function encodeRecord(r: Reservation, live?: Partial<Live>): Uint8Array {
  const address = Buffer.from(r.address);
  const fallback = Buffer.from(r.fallback ?? '');
  const b = Buffer.alloc(RECORD_HEADER + address.length + fallback.length);
  b.write('EM', 0, 'latin1');
  b[2] = 1;
  b[3] = 1;
  b[4] = ACTIONS.indexOf(r.onExhausted ?? 'unspecified');
  b[5] = address.length;
  b[6] = fallback.length;
  b.writeUInt32LE(r.slots ?? 0, 8);
  b.writeUInt32LE(r.ratePerMinute ?? 0, 12);
  b.writeUInt32LE(r.burst ?? 0, 16);
  b.writeUInt32LE(r.priority ?? 0, 20);
  b.writeUInt32LE(r.maxQueueWaitMs ?? 0, 24);
  b.writeBigUInt64LE(BigInt(r.notBeforeMs ?? 0), 32);
  b.writeBigUInt64LE(BigInt(r.validUntilMs ?? 0), 40);
  const burst = r.burst || r.slots || 1;
  b.writeUInt32LE(live?.inFlight ?? 0, LIVE_OFFSET);
  b.writeBigUInt64LE(live?.tokens ?? BigInt(burst) * 60000n, LIVE_OFFSET + 8);
  b.writeBigUInt64LE(BigInt(live?.updatedMs ?? 0), LIVE_OFFSET + 16);
  address.copy(b, RECORD_HEADER);
  fallback.copy(b, RECORD_HEADER + address.length);
  return new Uint8Array(b);
}

export type DecodedRecord = { withdrawn: true } | ({ withdrawn: false; live: Live } & Required<Reservation>);

export function decodeRecord(v: Uint8Array): DecodedRecord | undefined {
  const b = Buffer.from(v);
  if (b.length < 8 || b.toString('latin1', 0, 2) !== 'EM' || b[2] !== 1) return undefined;
  if (b[3] === 2) return b.length === 8 ? { withdrawn: true } : undefined;
  if (b[3] !== 1 || b.length < RECORD_HEADER) return undefined;
  const a = b[5];
  const f = b[6];
  if (b.length !== RECORD_HEADER + a + f) return undefined;
  return {
    withdrawn: false,
    live: decodeLive(v.slice(LIVE_OFFSET, RECORD_HEADER))!,
    onExhausted: ACTIONS[b[4]],
    slots: b.readUInt32LE(8),
    ratePerMinute: b.readUInt32LE(12),
    burst: b.readUInt32LE(16),
    priority: b.readUInt32LE(20),
    maxQueueWaitMs: b.readUInt32LE(24),
    notBeforeMs: Number(b.readBigUInt64LE(32)),
    validUntilMs: Number(b.readBigUInt64LE(40)),
    address: b.toString('utf8', RECORD_HEADER, RECORD_HEADER + a),
    fallback: b.toString('utf8', RECORD_HEADER + a, RECORD_HEADER + a + f),
  };
}

export interface Live {
  inFlight: number;
  tokens: bigint;
  updatedMs: number;
}

export function decodeLive(v: Uint8Array): Live | undefined {
  const b = Buffer.from(v);
  if (b.length !== 24) return undefined;
  return {
    inFlight: b.readUInt32LE(0),
    tokens: b.readBigUInt64LE(8),
    updatedMs: Number(b.readBigUInt64LE(16)),
  };
}

export interface Meta {
  state: number;
  generation: number;
  appliedMs: number;
  freshMs: number;
  resources: number;
  version: string;
}

export function encodeMeta(m: Partial<Meta> & { freshMs: number }): Uint8Array {
  const version = Buffer.from(m.version ?? '');
  const b = Buffer.alloc(40 + version.length);
  b.write('EM', 0, 'latin1');
  b[2] = 1;
  b[3] = 3;
  b.writeUInt32LE(m.state ?? 2, 4);
  b.writeBigUInt64LE(BigInt(m.generation ?? 1), 8);
  b.writeBigUInt64LE(BigInt(m.appliedMs ?? m.freshMs), 16);
  b.writeBigUInt64LE(BigInt(m.freshMs), 24);
  b.writeUInt32LE(m.resources ?? 0, 32);
  b.writeUInt16LE(version.length, 36);
  version.copy(b, 40);
  return new Uint8Array(b);
}

export function decodeMeta(v: Uint8Array): Meta | undefined {
  const b = Buffer.from(v);
  if (b.length < 40 || b.toString('latin1', 0, 2) !== 'EM' || b[2] !== 1 || b[3] !== 3) return undefined;
  const n = b.readUInt16LE(36);
  if (b.length !== 40 + n) return undefined;
  return {
    state: b.readUInt32LE(4),
    generation: Number(b.readBigUInt64LE(8)),
    appliedMs: Number(b.readBigUInt64LE(16)),
    freshMs: Number(b.readBigUInt64LE(24)),
    resources: b.readUInt32LE(32),
    version: b.toString('utf8', 40, 40 + n),
  };
}

/** Shared-data keys, as plugin/plan/keys.ts builds them. */
export const keys = (prefix = 'earmark/') => ({
  record: (user: string) => `${prefix}r/${user}`,
  pool: `${prefix}pool`,
  meta: `${prefix}meta`,
  leader: `${prefix}leader`,
  usageQueue: `${prefix}usage`,
});

/** Slots in flight on a decoded record (asserting it is there and not withdrawn). */
export function inFlightOf(r: DecodedRecord | undefined, what = 'a live record'): number {
  assert.ok(r !== undefined && !r.withdrawn, what);
  return r.live.inFlight;
}
