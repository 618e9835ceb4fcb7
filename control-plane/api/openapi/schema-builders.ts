/** Small builders for the OpenAPI component schemas (schemas.ts, cycle-schemas.ts). */
import type { JsonSchema } from '../route';

/**
 * Latest epoch ms InfluxDB can store or query: it keeps int64 nanoseconds (2262-04-11). A later
 * time would come back from the store as an error, i.e. a 500 instead of a 400 naming the field.
 */
export const MAX_EPOCH_MS = 9_223_372_036_854;

/** An epoch-ms time (or a duration in ms), within what the store can hold. */
export const ms = (description: string): JsonSchema => ({
  type: 'integer',
  minimum: 0,
  maximum: MAX_EPOCH_MS,
  description,
});
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
