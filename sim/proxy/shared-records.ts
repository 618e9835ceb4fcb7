/**
 * Reading what the sync root wrote into a proxy's shared data: the plan's meta record and a user's
 * reservation record (layouts: plugin/plan/meta.ts and record.ts). Read-only, for tests, the demo
 * and benchmarks; the filter itself is the authority on these bytes.
 */

export interface PlanMeta {
  /** Sync stream: 0 idle, 1 connecting, 2 connected, 3 backoff. */
  streamState: number;
  /** Responses applied (0 = no plan yet). */
  generation: number;
  appliedMs: number;
  /** Last time the sync root knew its plan to be current. */
  freshMs: number;
  resources: number;
  /** The plan version (system_version_info) last applied. */
  version: string;
}

export interface SharedReservation {
  address: string;
  fallback: string;
  slots: number;
  ratePerMinute: number;
  burst: number;
  priority: number;
  maxQueueWaitMs: number;
  onExhausted: 'unspecified' | 'queue' | 'top_up' | 'redirect' | 'reject';
  notBeforeMs: number;
  validUntilMs: number;
  /** Live counters the filters keep in the record. */
  inFlight: number;
}

const ACTIONS = ['unspecified', 'queue', 'top_up', 'redirect', 'reject'] as const;
const HEADER = 72;

function magic(b: Buffer, kind: number): boolean {
  return b.length >= 8 && b[0] === 0x45 && b[1] === 0x4d && b[2] === 1 && b[3] === kind;
}

export function decodeMeta(v: Uint8Array): PlanMeta | undefined {
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (!magic(b, 3) || b.length < 40) return undefined;
  const n = b.readUInt16LE(36);
  if (b.length !== 40 + n) return undefined;
  return {
    streamState: b.readUInt32LE(4),
    generation: Number(b.readBigUInt64LE(8)),
    appliedMs: Number(b.readBigUInt64LE(16)),
    freshMs: Number(b.readBigUInt64LE(24)),
    resources: b.readUInt32LE(32),
    version: b.toString('utf8', 40, 40 + n),
  };
}

/** A live reservation, or undefined for none, a withdrawn one (kind 2) or bytes it cannot read. */
export function decodeReservation(v: Uint8Array): SharedReservation | undefined {
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (!magic(b, 1) || b.length < HEADER) return undefined;
  const a = b[5];
  const f = b[6];
  if (b.length !== HEADER + a + f) return undefined;
  return {
    onExhausted: ACTIONS[b[4]] ?? 'unspecified',
    slots: b.readUInt32LE(8),
    ratePerMinute: b.readUInt32LE(12),
    burst: b.readUInt32LE(16),
    priority: b.readUInt32LE(20),
    maxQueueWaitMs: b.readUInt32LE(24),
    notBeforeMs: Number(b.readBigUInt64LE(32)),
    validUntilMs: Number(b.readBigUInt64LE(40)),
    inFlight: b.readUInt32LE(48),
    address: b.toString('utf8', HEADER, HEADER + a),
    fallback: b.toString('utf8', HEADER + a, HEADER + a + f),
  };
}
