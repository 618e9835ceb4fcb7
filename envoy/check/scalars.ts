/**
 * Proto3-JSON rules for scalar fields, as protobuf's JSON parser (which Envoy uses after turning
 * YAML into JSON) applies them: a string field wants a JSON string, 64-bit integers may be quoted,
 * floats accept "NaN"/"Infinity", bytes are base64. Each check returns the value it read (for
 * PGV range rules) or a message saying what was expected.
 */
import { LNode } from './located';

export type ScalarResult =
  { ok: true; value: number | bigint | string | boolean } | { ok: false; message: string };

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

export function isScalarType(t: string): boolean {
  return t in INT_RANGES || ['double', 'float', 'bool', 'string', 'bytes'].includes(t);
}

function show(n: LNode): string {
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  return n.value === null ? 'null' : `${typeof n.value} ${JSON.stringify(n.value)}`;
}

export function checkScalar(type: string, n: LNode): ScalarResult {
  const v = n.kind === 'scalar' ? n.value : undefined;
  if (type in INT_RANGES) {
    let big: bigint | undefined;
    if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
    else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) big = BigInt(v.trim());
    if (big === undefined) return { ok: false, message: `expected an integer (${type}), got ${show(n)}` };
    const [lo, hi] = INT_RANGES[type];
    if (big < lo || big > hi)
      return { ok: false, message: `${big} is out of range for ${type} [${lo}, ${hi}]` };
    return { ok: true, value: big };
  }
  switch (type) {
    case 'double':
    case 'float':
      if (typeof v === 'number') return { ok: true, value: v };
      if (typeof v === 'string' && /^(NaN|-?Infinity|-?\d+(\.\d*)?([eE][-+]?\d+)?)$/.test(v)) {
        return { ok: true, value: Number(v) };
      }
      return { ok: false, message: `expected a number (${type}), got ${show(n)}` };
    case 'bool':
      if (typeof v === 'boolean') return { ok: true, value: v };
      return { ok: false, message: `expected true or false, got ${show(n)}` };
    case 'string':
      if (typeof v === 'string') return { ok: true, value: v };
      return {
        ok: false,
        message: `expected a string, got ${show(n)}${n.kind === 'scalar' && v !== null ? ' (quote it)' : ''}`,
      };
    case 'bytes':
      if (typeof v === 'string' && /^[A-Za-z0-9+/\-_]*={0,2}$/.test(v)) return { ok: true, value: v };
      return { ok: false, message: `expected base64 bytes, got ${show(n)}` };
  }
  return { ok: false, message: `unsupported scalar type ${type}` };
}

/** A proto3-JSON Duration: seconds with up to 9 decimals and an "s" suffix, within ±10,000 years. */
export function parseDuration(n: LNode): { ok: true; nanos: bigint } | { ok: false; message: string } {
  const hint = 'a Duration is a string of seconds with an "s" suffix, e.g. "0.25s", "5s", "300s"';
  if (n.kind !== 'scalar' || typeof n.value !== 'string') {
    return { ok: false, message: `expected a Duration string, got ${show(n)}; ${hint}` };
  }
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(n.value);
  if (!m) return { ok: false, message: `"${n.value}" is not a Duration; ${hint}` };
  const secs = BigInt(m[2]);
  if (secs > 315576000000n)
    return { ok: false, message: `"${n.value}" is beyond the Duration range (±315576000000s)` };
  const nanos = secs * 1_000_000_000n + BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return { ok: true, nanos: m[1] ? -nanos : nanos };
}

export function durationNanos(d: unknown): bigint {
  const o = (d ?? {}) as { seconds?: number | string; nanos?: number };
  return BigInt(o.seconds ?? 0) * 1_000_000_000n + BigInt(o.nanos ?? 0);
}

export function formatNanos(n: bigint): string {
  const s = Number(n) / 1e9;
  return `${s}s`;
}

export function describeNode(n: LNode): string {
  return show(n);
}
