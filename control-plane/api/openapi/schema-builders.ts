/** Small builders for the OpenAPI component schemas (schemas.ts, cycle-schemas.ts). */
import type { JsonSchema } from '../route';

export const ms = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });
export const count = (description: string): JsonSchema => ({ type: 'number', minimum: 0, description });
export const text = (maxLength = 256): JsonSchema => ({ type: 'string', minLength: 1, maxLength });

export function obj(
  properties: Record<string, JsonSchema>,
  required: string[],
  description?: string,
): JsonSchema {
  return {
    type: 'object',
    ...(description && { description }),
    properties,
    required,
    additionalProperties: false,
  };
}
