/**
 * protoc-gen-validate rules, read from the `(validate.rules)` and `(validate.required)` annotations
 * in Envoy's protos, applied as Envoy applies them after parsing: a scalar field that is not set is
 * checked with its default value (so `string.min_len: 1` makes a field required), a message field
 * only when `message.required` says so, a oneof member only when it is the one set.
 */
import * as protobuf from 'protobufjs';
import { LEntry, LNode } from './located';
import { Path, WalkContext } from './proto-json';
import { checkScalar, durationNanos, formatNanos, parseDuration } from './scalars';
import { wrappedScalar } from './well-known';

type Rules = Record<string, any>;

/** Repeated option values come back from protobufjs as a bare value when written once. */
const list = (x: unknown): unknown[] | undefined =>
  x === undefined ? undefined : Array.isArray(x) ? x : [x];

export function fieldRules(field: protobuf.Field): Rules | undefined {
  const parsed = (field as unknown as { parsedOptions?: Record<string, unknown>[] }).parsedOptions;
  if (!parsed) return undefined;
  let out: Rules | undefined;
  for (const o of parsed) {
    const r = o['(validate.rules)'];
    if (r && typeof r === 'object') out = { ...(out ?? {}), ...(r as Rules) };
  }
  return out;
}

export function checkOneofRequired(oneof: protobuf.OneOf, node: LNode, path: Path, ctx: WalkContext): void {
  if (oneof.options?.['(validate.required)'] !== true) return;
  const names = oneof.fieldsArray.map((f) => `"${f.name}"`).join(', ');
  ctx.report(node.pos, path, 'required', `one of ${names} is required (oneof "${oneof.name}")`);
}

const isNull = (n: LNode | undefined) => !n || (n.kind === 'scalar' && n.value === null);

export function checkFieldRules(
  field: protobuf.Field,
  e: LEntry | undefined,
  parent: LNode,
  path: Path,
  ctx: WalkContext,
): void {
  const rules = fieldRules(field);
  if (!rules) return;
  const p = [...path, e?.key ?? field.name];
  const pos = e ? e.value.pos : parent.pos;
  const fail = (msg: string, rule: 'required' | 'constraint' = 'constraint') => ctx.report(pos, p, rule, msg);
  const unset = isNull(e?.value);

  if (unset) {
    if (field.partOf) return; // an unset oneof member is not validated
    if (
      rules.message?.required ||
      rules.duration?.required ||
      rules.any?.required ||
      rules.timestamp?.required
    ) {
      fail(`missing required field "${field.name}"`, 'required');
      return;
    }
    if (field instanceof protobuf.MapField || field.repeated) {
      const min = rules.repeated?.min_items ?? rules.map?.min_pairs;
      if (min > 0)
        fail(
          `missing required field "${field.name}" (at least ${min} item${min > 1 ? 's' : ''})`,
          'required',
        );
      return;
    }
    if (field.resolvedType instanceof protobuf.Type) return; // unset messages (and wrappers) skip their rules
    const msg = scalarRuleViolation(field, rules, defaultValue(field));
    if (msg) fail(`missing required field "${field.name}" (${msg})`, 'required');
    return;
  }

  const n = e!.value;
  if (field instanceof protobuf.MapField) {
    if (n.kind !== 'map') return;
    const r = rules.map ?? {};
    if (r.min_pairs !== undefined && n.entries.length < r.min_pairs)
      fail(`needs at least ${r.min_pairs} entries`);
    if (r.max_pairs !== undefined && n.entries.length > r.max_pairs)
      fail(`allows at most ${r.max_pairs} entries`);
    return;
  }
  if (field.repeated) {
    if (n.kind !== 'seq') return;
    const r = rules.repeated ?? {};
    if (r.ignore_empty && n.items.length === 0) return;
    if (r.min_items !== undefined && n.items.length < r.min_items) {
      fail(`"${field.name}" needs at least ${r.min_items} item(s), has ${n.items.length}`, 'required');
    }
    if (r.max_items !== undefined && n.items.length > r.max_items) {
      fail(`"${field.name}" allows at most ${r.max_items} item(s), has ${n.items.length}`);
    }
    if (r.items) {
      n.items.forEach((item, i) => {
        const v = readValue(field, item);
        const msg = v === undefined ? undefined : scalarRuleViolation(field, r.items, v);
        if (msg) ctx.report(item.pos, [...p, i], 'constraint', `"${field.name}[${i}]" ${msg}`);
      });
    }
    return;
  }
  if (rules.message?.required && isNull(n)) {
    fail(`missing required field "${field.name}"`, 'required');
    return;
  }
  const v = readValue(field, n);
  if (v === undefined) return; // a type error was already reported
  const msg = scalarRuleViolation(field, rules, v);
  if (msg) fail(`"${field.name}" ${msg}`);
}

type Value = { kind: 'num'; v: number | bigint } | { kind: 'str'; v: string } | { kind: 'bool'; v: boolean };
type Read =
  | Value
  | { kind: 'dur'; nanos: bigint }
  | { kind: 'enum'; v: number; name?: string }
  | { kind: 'any'; url: string };

function defaultValue(field: protobuf.Field): Read {
  if (field.resolvedType instanceof protobuf.Enum) return { kind: 'enum', v: 0 };
  if (field.type === 'string' || field.type === 'bytes') return { kind: 'str', v: '' };
  if (field.type === 'bool') return { kind: 'bool', v: false };
  return { kind: 'num', v: 0 };
}

function readValue(field: protobuf.Field, n: LNode): Read | undefined {
  const rt = field.resolvedType;
  const scalarType = rt instanceof protobuf.Type ? wrappedScalar(rt.fullName.slice(1)) : field.type;
  if (rt instanceof protobuf.Enum) {
    if (n.kind !== 'scalar') return undefined;
    if (typeof n.value === 'number') return { kind: 'enum', v: n.value };
    const num = typeof n.value === 'string' ? rt.values[n.value] : undefined;
    return num === undefined ? undefined : { kind: 'enum', v: num, name: n.value as string };
  }
  if (rt instanceof protobuf.Type) {
    const full = rt.fullName.slice(1);
    if (full === 'google.protobuf.Duration') {
      const d = parseDuration(n);
      return d.ok ? { kind: 'dur', nanos: d.nanos } : undefined;
    }
    if (full === 'google.protobuf.Any' && n.kind === 'map') {
      const at = n.entries.find((e) => e.key === '@type')?.value;
      return at && at.kind === 'scalar' && typeof at.value === 'string'
        ? { kind: 'any', url: at.value }
        : undefined;
    }
    if (!scalarType) return undefined;
  }
  const r = checkScalar(scalarType!, n);
  if (!r.ok) return undefined;
  if (typeof r.value === 'string' && scalarType !== 'string' && scalarType !== 'bytes') {
    return { kind: 'num', v: Number(r.value) };
  }
  if (typeof r.value === 'string') return { kind: 'str', v: r.value };
  if (typeof r.value === 'boolean') return { kind: 'bool', v: r.value };
  return { kind: 'num', v: r.value };
}

/** The rule this value breaks, as "must be ..." text, or undefined. */
function scalarRuleViolation(field: protobuf.Field, all: Rules, v: Read): string | undefined {
  switch (v.kind) {
    case 'str':
      return stringViolation(all.string ?? all.bytes, v.v);
    case 'bool':
      return all.bool?.const !== undefined && all.bool.const !== v.v
        ? `must be ${all.bool.const}`
        : undefined;
    case 'dur':
      return rangeViolation(
        all.duration,
        v.nanos,
        (d) => durationNanos(d),
        (x) => formatNanos(x),
      );
    case 'any': {
      const r = all.any;
      const inList = list(r?.in);
      if (inList && !inList.includes(v.url)) return `must be one of the types ${inList.join(', ')}`;
      if (list(r?.not_in)?.includes(v.url)) return `must not be of type ${v.url}`;
      return undefined;
    }
    case 'enum': {
      const r = all.enum;
      const e = field.resolvedType as protobuf.Enum;
      if (r?.defined_only && !Object.values(e.values).includes(v.v)) return `${v.v} is not a defined value`;
      if (r?.const !== undefined && r.const !== v.v) return `must be ${e.valuesById[r.const] ?? r.const}`;
      const inList = list(r?.in) as number[] | undefined;
      if (inList && !inList.includes(v.v))
        return `must be one of ${inList.map((x) => e.valuesById[x]).join(', ')}`;
      if (list(r?.not_in)?.includes(v.v)) return `must not be ${e.valuesById[v.v] ?? v.v}`;
      return undefined;
    }
    case 'num': {
      const key = Object.keys(all).find((k) => /^(u?int|s?fixed|sint)(32|64)$|^(double|float)$/.test(k));
      const r = key ? all[key] : undefined;
      const asBig = (x: unknown) => (typeof v.v === 'bigint' ? BigInt(x as number) : Number(x));
      return rangeViolation(r, v.v, asBig as (x: unknown) => number | bigint, String);
    }
  }
}

function rangeViolation<T extends number | bigint>(
  r: Rules | undefined,
  v: T,
  conv: (x: unknown) => T,
  show: (x: T) => string,
): string | undefined {
  if (!r) return undefined;
  const has = (k: string) => r[k] !== undefined;
  if (has('const') && v !== conv(r.const)) return `must equal ${show(conv(r.const))}`;
  if (has('gt') && !(v > conv(r.gt))) return `must be greater than ${show(conv(r.gt))}`;
  if (has('gte') && !(v >= conv(r.gte))) return `must be at least ${show(conv(r.gte))}`;
  if (has('lt') && !(v < conv(r.lt))) return `must be less than ${show(conv(r.lt))}`;
  if (has('lte') && !(v <= conv(r.lte))) return `must be at most ${show(conv(r.lte))}`;
  const inList = list(r.in);
  if (inList && !inList.some((x) => conv(x) === v)) return `must be one of ${inList.join(', ')}`;
  if (list(r.not_in)?.some((x) => conv(x) === v)) return `must not be ${show(v)}`;
  return undefined;
}

const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
// eslint-disable-next-line no-control-regex -- header values forbid exactly these control characters
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
// eslint-disable-next-line no-control-regex -- non-strict header rules forbid NUL, CR and LF
const LOOSE = /^[^\u0000\n\r]*$/;

function stringViolation(r: Rules | undefined, s: string): string | undefined {
  if (!r) return undefined;
  if (r.ignore_empty && s === '') return undefined;
  const runes = [...s].length;
  const bytes = Buffer.byteLength(s);
  if (r.const !== undefined && s !== r.const) return `must be "${r.const}"`;
  if (r.len !== undefined && runes !== Number(r.len)) return `must be ${r.len} characters long`;
  if (r.min_len !== undefined && runes < Number(r.min_len)) {
    return Number(r.min_len) === 1 ? 'must not be empty' : `must be at least ${r.min_len} characters long`;
  }
  if (r.max_len !== undefined && runes > Number(r.max_len))
    return `must be at most ${r.max_len} characters long`;
  if (r.min_bytes !== undefined && bytes < Number(r.min_bytes))
    return `must be at least ${r.min_bytes} bytes`;
  if (r.max_bytes !== undefined && bytes > Number(r.max_bytes)) return `must be at most ${r.max_bytes} bytes`;
  if (r.prefix !== undefined && !s.startsWith(r.prefix)) return `must start with "${r.prefix}"`;
  if (r.suffix !== undefined && !s.endsWith(r.suffix)) return `must end with "${r.suffix}"`;
  if (r.contains !== undefined && !s.includes(r.contains)) return `must contain "${r.contains}"`;
  const inList = list(r.in);
  if (inList && !inList.includes(s)) return `must be one of ${inList.join(', ')}`;
  if (list(r.not_in)?.includes(s)) return `must not be "${s}"`;
  if (r.pattern !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(r.pattern, 'u');
    } catch {
      re = undefined; // an RE2-only pattern: leave it to Envoy
    }
    if (re && !re.test(s)) return `must match ${r.pattern}`;
  }
  if (r.well_known_regex !== undefined) {
    const strict = r.strict !== false;
    const kind = String(r.well_known_regex);
    if (kind === 'HTTP_HEADER_NAME' || kind === '1') {
      if (!(strict ? HEADER_NAME : LOOSE).test(s)) return 'must be a valid HTTP header name';
    } else if (kind === 'HTTP_HEADER_VALUE' || kind === '2') {
      if (!(strict ? HEADER_VALUE : LOOSE).test(s)) return 'must be a valid HTTP header value';
    }
  }
  return undefined;
}
