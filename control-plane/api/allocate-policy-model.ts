/**
 * The API's policy model, wired to the allocator (control-plane/allocate): the OpenAPI document's
 * PolicyDocument and Tier schemas are generated from its POLICY_SCHEMA (so structure, types, enums
 * and bounds are enforced as VALIDATION_BODY), and every document is then checked by parsePolicy,
 * the same loader `earmark check-config` and the cycle use (cross-field rules → POLICY_INVALID).
 */
import { stringify as toYaml } from 'yaml';
import { parsePolicy, PolicyError } from '../allocate/load-policy';
import { POLICY_SCHEMA } from '../allocate/policy-schema';
import type { FieldSpec } from '../allocate/yaml-schema';
import type { PolicyCheck, PolicyModel } from './policy-model';
import { tiersAsMap } from './policy-model';
import type { JsonSchema } from './route';

/** What parseDurationMs accepts with a unit (the loader refuses bare numbers for durations). */
const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$';

/** Whether the loader reports the field as missing when it is absent. */
function required(spec: FieldSpec): boolean {
  if (spec.kind === 'map') return !spec.optional && Object.values(spec.fields).some(required);
  if (spec.kind === 'dict') return (spec.minEntries ?? 0) > 0;
  return spec.default === undefined;
}

function withDefault(schema: JsonSchema, spec: FieldSpec): JsonSchema {
  const d = 'default' in spec ? spec.default : undefined;
  // Infinity (no cap) has no JSON form; an empty-string default means "derived", not a value.
  const shown = d !== undefined && d !== '' && !(typeof d === 'number' && !Number.isFinite(d));
  return { ...schema, description: spec.doc, ...(shown && { default: d }) };
}

/** A FieldSpec of the allocator's YAML schema as JSON Schema 2020-12. */
export function fieldSpecToJsonSchema(spec: FieldSpec): JsonSchema {
  switch (spec.kind) {
    case 'number':
      return withDefault(
        {
          type: spec.integer ? 'integer' : 'number',
          ...(spec.min !== undefined && { minimum: spec.min }),
          ...(spec.max !== undefined && { maximum: spec.max }),
          ...(spec.above !== undefined && { exclusiveMinimum: spec.above }),
          ...(spec.below !== undefined && { exclusiveMaximum: spec.below }),
        },
        spec,
      );
    case 'duration':
      return withDefault({ type: 'string', pattern: DURATION }, spec);
    case 'string':
      return withDefault(
        { type: 'string', minLength: 1, ...(spec.url && { pattern: '^https?://[^\\s/]+' }) },
        spec,
      );
    case 'enum':
      return withDefault({ enum: [...spec.values] }, spec);
    case 'boolean':
      return withDefault({ type: 'boolean' }, spec);
    case 'map':
      return {
        type: 'object',
        description: spec.doc,
        properties: Object.fromEntries(
          Object.entries(spec.fields).map(([k, f]) => [k, fieldSpecToJsonSchema(f)]),
        ),
        required: Object.entries(spec.fields)
          .filter(([, f]) => required(f))
          .map(([k]) => k),
        additionalProperties: false,
      };
    case 'dict':
      return {
        type: 'object',
        description: spec.doc,
        additionalProperties: fieldSpecToJsonSchema(spec.of),
        ...(spec.minEntries && { minProperties: spec.minEntries }),
      };
  }
}

const TIER_SPEC = (POLICY_SCHEMA as Extract<FieldSpec, { kind: 'map' }>).fields.tiers as Extract<
  FieldSpec,
  { kind: 'dict' }
>;

function validate(doc: unknown, source?: string): PolicyCheck {
  // YAML as submitted keeps its line numbers in the problems; a JSON body is checked as YAML text.
  const text = source ?? toYaml(doc);
  try {
    parsePolicy(text, source ? 'policy.yaml' : 'policy');
    return { ok: true, policy: doc as Record<string, unknown> };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return {
      ok: false,
      issues: err.problems.map((p) => ({
        path: p.path,
        message: p.message,
        ...(source && { line: p.line, column: p.column }),
      })),
    };
  }
}

export const allocatePolicyModel: PolicyModel = {
  ...tiersAsMap,
  documentSchema: fieldSpecToJsonSchema(POLICY_SCHEMA),
  tierSchema: fieldSpecToJsonSchema(TIER_SPEC.of),
  validate,
};
