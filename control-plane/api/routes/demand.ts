/** Forecasts against actual usage, per user, and all users' decisions over time. */
import { RESOURCES, type ResourceKind } from '../../domain/demand';
import { ApiError } from '../errors';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';
import { idParam, rangeQuery, resolveRange, stepQuery, type RangeQuery } from './params';

const userParam = { user: idParam('User') };

export function demandRoutes(d: RouteDeps): Route[] {
  return [
    route<{ user: string }, RangeQuery & { resource: ResourceKind }>({
      operationId: 'getForecast',
      method: 'get',
      path: '/v1/users/{user}/forecast',
      tag: 'demand',
      summary: "A user's forecast over [from, to): per step, the value at each quantile.",
      description:
        'Each step shows the latest forecast issued before it, so it can be laid over actual usage.',
      pathParams: userParam,
      query: {
        ...rangeQuery,
        resource: { schema: { enum: [...RESOURCES], default: 'requests' }, description: 'Which resource.' },
      },
      responses: { 200: { description: 'The forecast series.', schema: ref('ForecastSeries') } },
      errors: ['VALIDATION_PATH', 'VALIDATION_QUERY', 'TIME_RANGE_INVALID', 'FORECAST_NOT_FOUND'],
      handle: async ({ params, query }) => {
        const { fromMs, toMs } = resolveRange(query, d.now());
        const series = await d.state.forecast(params.user, query.resource, { fromMs, toMs });
        if (!series) {
          throw new ApiError(
            'FORECAST_NOT_FOUND',
            `No ${query.resource} forecast for "${params.user}" in that range.`,
          );
        }
        return { body: series };
      },
    }),
    route<{ user: string }, RangeQuery>({
      operationId: 'getUsage',
      method: 'get',
      path: '/v1/users/{user}/usage',
      tag: 'demand',
      summary: "A user's actual requests and the proxies' decisions per step (zeros where idle).",
      pathParams: userParam,
      query: { ...rangeQuery, ...stepQuery },
      responses: { 200: { description: 'Per-step usage.', schema: ref('DecisionSeries') } },
      errors: ['VALIDATION_PATH', 'VALIDATION_QUERY', 'TIME_RANGE_INVALID'],
      handle: async ({ params, query }) => {
        const r = resolveRange(query, d.now());
        const points = await d.state.usage(params.user, { fromMs: r.fromMs, toMs: r.toMs }, r.stepMs);
        return { body: { ...r, points } };
      },
    }),
    route<Record<string, never>, RangeQuery>({
      operationId: 'getDecisions',
      method: 'get',
      path: '/v1/decisions',
      tag: 'demand',
      summary: 'All users: requests reserved, queued, redirected and throttled per step.',
      query: { ...rangeQuery, ...stepQuery },
      responses: { 200: { description: 'Per-step decisions.', schema: ref('DecisionSeries') } },
      errors: ['VALIDATION_QUERY', 'TIME_RANGE_INVALID'],
      handle: async ({ query }) => {
        const r = resolveRange(query, d.now());
        const points = await d.state.decisions({ fromMs: r.fromMs, toMs: r.toMs }, r.stepMs);
        return { body: { ...r, points } };
      },
    }),
  ];
}
