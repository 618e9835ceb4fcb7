/**
 * The google.protobuf well-known types, which proto3 JSON writes in their own way: a Duration is
 * "1.5s", a wrapper is its bare value, a Struct is any mapping, and an Any is a mapping with an
 * "@type" (and, for a well-known type inside it, a "value"). An Any is checked as the type it
 * names, and a TypedStruct (xds.type.v3 / udpa.type.v1) as the type in its type_url, as Envoy does.
 */
import { didYouMean } from './findings';
import { LNode } from './located';
import { Path, validateMessage, WalkContext } from './proto-json';
import { checkScalar, describeNode, parseDuration } from './scalars';

const WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

const SPECIAL = new Set([
  ...Object.keys(WRAPPERS),
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.Any',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.FieldMask',
  'google.protobuf.Empty',
]);

const TYPED_STRUCT = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

export function isWellKnown(fullName: string): boolean {
  return SPECIAL.has(fullName);
}

/** The wrapped scalar type of a wrapper message (for PGV rules on wrappers), if it is one. */
export function wrappedScalar(fullName: string): string | undefined {
  return WRAPPERS[fullName];
}

export function checkWellKnown(full: string, n: LNode, path: Path, ctx: WalkContext): void {
  if (n.kind === 'scalar' && n.value === null && full !== 'google.protobuf.Value') return;
  const wrapped = WRAPPERS[full];
  if (wrapped) {
    const r = checkScalar(wrapped, n);
    if (!r.ok) ctx.report(n.pos, path, 'type', `${full}: ${r.message}`);
    return;
  }
  switch (full) {
    case 'google.protobuf.Duration': {
      const d = parseDuration(n);
      if (!d.ok) ctx.report(n.pos, path, 'duration', d.message);
      return;
    }
    case 'google.protobuf.Timestamp':
      if (n.kind !== 'scalar' || typeof n.value !== 'string' || Number.isNaN(Date.parse(n.value))) {
        ctx.report(n.pos, path, 'type', `expected an RFC 3339 timestamp string, got ${describeNode(n)}`);
      }
      return;
    case 'google.protobuf.Struct':
      if (n.kind !== 'map')
        ctx.report(n.pos, path, 'type', `expected a mapping (Struct), got ${describeNode(n)}`);
      return;
    case 'google.protobuf.ListValue':
      if (n.kind !== 'seq')
        ctx.report(n.pos, path, 'type', `expected a list (ListValue), got ${describeNode(n)}`);
      return;
    case 'google.protobuf.Value':
      return;
    case 'google.protobuf.FieldMask':
      if (n.kind !== 'scalar' || typeof n.value !== 'string') {
        ctx.report(n.pos, path, 'type', `expected a FieldMask string ("a.b,c"), got ${describeNode(n)}`);
      }
      return;
    case 'google.protobuf.Empty':
      if (n.kind !== 'map' || n.entries.length)
        ctx.report(n.pos, path, 'type', 'expected an empty mapping {}');
      return;
    case 'google.protobuf.Any':
      checkAny(n, path, ctx);
      return;
  }
}

/** Resolves "type.googleapis.com/pkg.Type" (any host prefix, as protobuf allows) to a loaded message. */
export function resolveTypeUrl(url: string, n: LNode, path: Path, ctx: WalkContext) {
  const name = url.slice(url.lastIndexOf('/') + 1);
  if (!url.includes('/') || !name) {
    ctx.report(
      n.pos,
      path,
      'any-type',
      `"${url}" is not a type URL; write "type.googleapis.com/<full.message.Name>"`,
    );
    return undefined;
  }
  const type = ctx.api.lookupMessage(name);
  if (type) return type;
  const v2 = /\.v2(alpha\d*)?\./.test(name);
  const shippedWithout = ctx.api.unavailable.get(name);
  if (shippedWithout && !v2) {
    ctx.report(
      n.pos,
      path,
      'any-type',
      `type "${name}" is declared in ${shippedWithout}, whose imports the shipped API protos lack; it cannot be checked`,
    );
  } else {
    const hint = v2
      ? '; the v2 API was removed from Envoy, use the v3 type'
      : didYouMean(name, ctx.api.typeNames);
    ctx.report(
      n.pos,
      path,
      'any-type',
      `unknown type "${name}" in @type: no such message in Envoy's API${hint}`,
    );
  }
  return undefined;
}

function checkAny(n: LNode, path: Path, ctx: WalkContext): void {
  if (n.kind !== 'map') {
    ctx.report(n.pos, path, 'type', `expected an Any (a mapping with "@type"), got ${describeNode(n)}`);
    return;
  }
  const at = n.entries.find((e) => e.key === '@type');
  if (!at) {
    if (n.entries.length)
      ctx.report(n.pos, path, 'any-type', 'an Any with fields needs "@type" to say what it is');
    return;
  }
  if (at.value.kind !== 'scalar' || typeof at.value.value !== 'string') {
    ctx.report(at.value.pos, [...path, '@type'], 'any-type', '"@type" must be a string');
    return;
  }
  const type = resolveTypeUrl(at.value.value, at.value, [...path, '@type'], ctx);
  if (!type) return;
  const full = type.fullName.slice(1);
  const rest: LNode = { kind: 'map', pos: n.pos, entries: n.entries.filter((e) => e !== at) };
  if (isWellKnown(full)) {
    // A well-known type inside an Any carries its JSON form under "value".
    for (const e of rest.entries) {
      if (e.key !== 'value') {
        ctx.report(e.keyPos, [...path, e.key], 'unknown-field', `an Any holding ${full} takes only "value"`);
      }
    }
    const v = rest.entries.find((e) => e.key === 'value');
    if (v) checkWellKnown(full, v.value, [...path, 'value'], ctx);
    return;
  }
  validateMessage(type, rest, path, ctx);
  if (TYPED_STRUCT.has(full)) checkTypedStruct(rest, path, ctx);
}

function checkTypedStruct(n: LNode, path: Path, ctx: WalkContext): void {
  if (n.kind !== 'map') return;
  const url = n.entries.find((e) => e.key === 'type_url' || e.key === 'typeUrl');
  if (!url || url.value.kind !== 'scalar' || typeof url.value.value !== 'string') return;
  const type = resolveTypeUrl(url.value.value, url.value, [...path, url.key], ctx);
  const value = n.entries.find((e) => e.key === 'value');
  if (type && value) validateMessage(type, value.value, [...path, 'value'], ctx);
}
