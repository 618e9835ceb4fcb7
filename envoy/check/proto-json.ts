/**
 * Validates a located YAML/JSON tree against an Envoy API message with the strictness Envoy's
 * loader has (protobuf's JSON parser with unknown fields rejected): every key must be a field,
 * enums are known names, Durations are "1.5s" strings, every Any names a type we can resolve and
 * is checked as that type, and at most one member of a oneof is set. Required fields and value
 * constraints come from the protos' own protoc-gen-validate annotations (pgv.ts).
 */
import * as protobuf from 'protobufjs';
import { EnvoyApi } from './envoy-api';
import { didYouMean, Rule, Severity } from './findings';
import { LEntry, LNode, Pos } from './located';
import { checkFieldRules, checkOneofRequired } from './pgv';
import { checkScalar, describeNode, isScalarType } from './scalars';
import { checkWellKnown, isWellKnown } from './well-known';

export type Path = (string | number)[];

export interface WalkContext {
  api: EnvoyApi;
  report(pos: Pos, path: Path, rule: Rule, message: string, severity?: Severity): void;
  /** MERGE patches are fragments: structure is checked, required fields are not. */
  partial: boolean;
  /** Called for every message the walk enters (collects Wasm plugin configs, extension checks). */
  onMessage?(type: protobuf.Type, node: LNode, path: Path): void;
}

export function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The field a JSON key names: proto name or its lowerCamel JSON name, as protobuf's parser accepts. */
export function fieldByKey(type: protobuf.Type, key: string): protobuf.Field | undefined {
  const direct = type.fields[key];
  if (direct) return direct;
  return type.fieldsArray.find((f) => camel(f.name) === key || (f.options?.json_name as string) === key);
}

export function validateMessage(type: protobuf.Type, node: LNode, path: Path, ctx: WalkContext): void {
  const full = type.fullName.slice(1);
  if (isWellKnown(full)) {
    checkWellKnown(full, node, path, ctx);
    return;
  }
  if (node.kind === 'scalar' && node.value === null) return; // proto3 JSON: null means "not set"
  if (node.kind !== 'map') {
    ctx.report(node.pos, path, 'type', `expected a ${full} message (a mapping), got ${describeNode(node)}`);
    return;
  }
  ctx.onMessage?.(type, node, path);
  const seen = new Map<protobuf.Field, LEntry>();
  for (const e of node.entries) {
    const p = [...path, e.key];
    const field = fieldByKey(type, e.key);
    if (!field) {
      const names = type.fieldsArray.map((f) => f.name);
      ctx.report(
        e.keyPos,
        p,
        'unknown-field',
        `unknown field "${e.key}" in ${full}${didYouMean(e.key, names)}`,
      );
      continue;
    }
    const dup = seen.get(field);
    if (dup) {
      ctx.report(e.keyPos, p, 'unknown-field', `field "${field.name}" is set twice (also as "${dup.key}")`);
      continue;
    }
    seen.set(field, e);
    checkDeprecated(field, e, p, ctx);
    validateField(field, e.value, p, ctx);
  }
  checkOneofs(type, seen, node, path, ctx);
  if (!ctx.partial) {
    for (const field of type.fieldsArray) checkFieldRules(field, seen.get(field), node, path, ctx);
  }
}

function checkDeprecated(field: protobuf.Field, e: LEntry, path: Path, ctx: WalkContext): void {
  const o = field.options ?? {};
  if (o['(envoy.annotations.disallowed_by_default)'] === true) {
    ctx.report(
      e.keyPos,
      path,
      'deprecated',
      `"${field.name}" is deprecated and disallowed by default in Envoy`,
    );
  } else if (o.deprecated === true) {
    ctx.report(e.keyPos, path, 'deprecated', `"${field.name}" is deprecated in Envoy's API`, 'warning');
  }
}

function isSet(n: LNode | undefined): boolean {
  return n !== undefined && !(n.kind === 'scalar' && n.value === null);
}

function checkOneofs(
  type: protobuf.Type,
  seen: Map<protobuf.Field, LEntry>,
  node: LNode,
  path: Path,
  ctx: WalkContext,
): void {
  for (const oneof of type.oneofsArray) {
    const members = oneof.fieldsArray.filter((f) => isSet(seen.get(f)?.value));
    if (members.length > 1) {
      const last = seen.get(members[members.length - 1])!;
      const names = members.map((f) => `"${seen.get(f)!.key}"`).join(' and ');
      ctx.report(
        last.keyPos,
        [...path, last.key],
        'oneof',
        `${names} are both set, but they are one of "${oneof.name}"`,
      );
    }
    if (!ctx.partial && members.length === 0) checkOneofRequired(oneof, node, path, ctx);
  }
}

export function validateField(field: protobuf.Field, n: LNode, path: Path, ctx: WalkContext): void {
  if (n.kind === 'scalar' && n.value === null) return;
  if (field instanceof protobuf.MapField) {
    if (n.kind !== 'map') {
      ctx.report(n.pos, path, 'type', `"${field.name}" is a map; expected a mapping, got ${describeNode(n)}`);
      return;
    }
    for (const e of n.entries) {
      const key: LNode = { kind: 'scalar', pos: e.keyPos, value: e.key, quoted: true };
      if (field.keyType !== 'string') {
        const r = checkScalar(field.keyType, key);
        if (!r.ok) ctx.report(e.keyPos, [...path, e.key], 'type', `map key: ${r.message}`);
      }
      validateValue(field, e.value, [...path, e.key], ctx);
    }
    return;
  }
  if (field.repeated) {
    if (n.kind !== 'seq') {
      ctx.report(n.pos, path, 'type', `"${field.name}" is repeated; expected a list, got ${describeNode(n)}`);
      return;
    }
    n.items.forEach((item, i) => validateValue(field, item, [...path, i], ctx));
    return;
  }
  validateValue(field, n, path, ctx);
}

function validateValue(field: protobuf.Field, n: LNode, path: Path, ctx: WalkContext): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    validateMessage(rt, n, path, ctx);
  } else if (rt instanceof protobuf.Enum) {
    checkEnum(rt, n, path, ctx);
  } else if (isScalarType(field.type)) {
    const r = checkScalar(field.type, n);
    if (!r.ok) ctx.report(n.pos, path, 'type', `"${field.name}": ${r.message}`);
  } else {
    ctx.report(n.pos, path, 'type', `"${field.name}" has unresolved type ${field.type}`);
  }
}

export function checkEnum(e: protobuf.Enum, n: LNode, path: Path, ctx: WalkContext): void {
  if (n.kind === 'scalar' && typeof n.value === 'string') {
    if (!(n.value in e.values)) {
      const names = Object.keys(e.values);
      const list = names.length <= 12 ? `; one of ${names.join(', ')}` : '';
      ctx.report(
        n.pos,
        path,
        'enum',
        `"${n.value}" is not a value of enum ${e.fullName.slice(1)}${didYouMean(n.value, names)}${list}`,
      );
    }
    return;
  }
  if (n.kind === 'scalar' && typeof n.value === 'number' && Number.isInteger(n.value)) return; // numbers are allowed
  ctx.report(n.pos, path, 'enum', `expected a name of enum ${e.fullName.slice(1)}, got ${describeNode(n)}`);
}
