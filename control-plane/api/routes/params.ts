/** Parameters shared by several routes, and the time-range rule they follow. */
import { ApiError } from '../errors';
import { MAX_EPOCH_MS } from '../openapi/schema-builders';
import { ID_PATTERN } from '../openapi/schemas';
import type { ParamSpec } from '../route';

export const idParam = (what: string): ParamSpec => ({
  schema: { type: 'string', pattern: ID_PATTERN },
  description: `${what} id: letters, digits and . _ : @ -, at most 128.`,
});

export const pageQuery: Record<string, ParamSpec> = {
  limit: { schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, description: 'Page size.' },
  after: {
    schema: { type: 'string', maxLength: 256 },
    description: 'Cursor: the `next` of the previous page.',
  },
};

const MAX_POINTS = 10_080;

export const rangeQuery: Record<string, ParamSpec> = {
  from: {
    schema: { type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS },
    description: 'Range start, epoch ms (default: to − 3 h); at most 9223372036854 (year 2262).',
  },
  to: {
    schema: { type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS },
    description: 'Range end (exclusive), epoch ms (default: now); at most 9223372036854 (year 2262).',
  },
};

export const stepQuery: Record<string, ParamSpec> = {
  step: {
    schema: { type: 'integer', minimum: 1000, maximum: 86_400_000, default: 60_000 },
    description: `Step in ms; (to − from) / step may be at most ${MAX_POINTS}.`,
  },
};

export interface RangeQuery {
  from?: number;
  to?: number;
  step?: number;
}

/** Defaults and checks the range: non-empty, and at most MAX_POINTS steps. */
export function resolveRange(q: RangeQuery, nowMs: number): { fromMs: number; toMs: number; stepMs: number } {
  const stepMs = q.step ?? 60_000;
  const toMs = q.to ?? nowMs;
  const fromMs = q.from ?? toMs - 3 * 3_600_000;
  if (fromMs >= toMs)
    throw new ApiError('TIME_RANGE_INVALID', `from (${fromMs}) must be before to (${toMs}).`);
  const points = Math.ceil((toMs - fromMs) / stepMs);
  if (points > MAX_POINTS) {
    throw new ApiError('TIME_RANGE_INVALID', `The range holds ${points} steps; at most ${MAX_POINTS}.`, {
      points,
      max: MAX_POINTS,
    });
  }
  return { fromMs, toMs, stepMs };
}

/** Response header set of a created resource. */
export const located = (path: string) => ({ Location: path });
