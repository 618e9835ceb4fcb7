/**
 * The forecast → allocate → publish cycle: its state, its last reports with stage timings, and a
 * way to run one now (after a policy change, an import, or to check a fix) without waiting for
 * the next tick. Cycles never overlap: a trigger while one runs is refused, not queued.
 */
import { ApiError } from '../errors';
import { DependencyUnavailableError, type CycleRunner } from '../port';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';

export const RECENT_DEFAULT = 10;

export function cycleRoutes(d: RouteDeps): Route[] {
  const runner = (): CycleRunner => {
    const r = d.state.cycleRunner();
    if (!r)
      throw new DependencyUnavailableError(
        'cycle',
        'No cycle runs in this process (an API without the service); use `earmark serve`.',
      );
    return r;
  };
  return [
    route<Record<string, never>, { recent: number }>({
      operationId: 'getCycle',
      method: 'get',
      path: '/v1/cycle',
      tag: 'cycle',
      summary: 'The cycle: state, counters, next tick, and the last reports with stage timings.',
      description:
        'Stage times are real processing milliseconds; times of day (startedAtMs, originMs, nextAtMs) ' +
        'are on the service clock, which runs faster than real time when replaying.',
      query: {
        recent: {
          schema: { type: 'integer', minimum: 0, maximum: 60, default: RECENT_DEFAULT },
          description: 'How many of the last reports to list, newest first (0 to 60).',
        },
      },
      responses: { 200: { description: 'The cycle.', schema: ref('Cycle') } },
      errors: ['VALIDATION_QUERY', 'DEPENDENCY_UNAVAILABLE'],
      handle: async ({ query }) => {
        const r = runner();
        return { body: { ...r.status(), recent: r.recent(query.recent) } };
      },
    }),
    route<Record<string, never>, { wait: boolean }>({
      operationId: 'runCycle',
      method: 'post',
      path: '/v1/cycle',
      tag: 'cycle',
      summary: 'Run a cycle now (read → forecast → allocate → publish → record).',
      description:
        'Refused with 409 while a cycle runs (cycles never overlap; the refusal counts as a skipped ' +
        'tick). Without wait, answers 202 at once; follow it with GET /v1/cycle. With wait=true, ' +
        'answers with the cycle report when it ends; a failed cycle is a report with ok=false (the ' +
        'last good plan stays in force).',
      query: {
        wait: {
          schema: { type: 'boolean', default: false },
          description: 'Wait for the cycle to end and answer with its report.',
        },
      },
      responses: {
        200: { description: 'The report of the cycle this request ran.', schema: ref('CycleReport') },
        202: {
          description: 'The cycle started.',
          schema: ref('CycleStarted'),
          headers: {
            Location: { description: 'Where its report will be: /v1/cycle.', schema: { type: 'string' } },
          },
        },
      },
      errors: ['VALIDATION_QUERY', 'CYCLE_RUNNING', 'DEPENDENCY_UNAVAILABLE'],
      handle: async ({ query }) => {
        const r = runner();
        const status = r.status();
        if (status.state === 'stopped')
          throw new DependencyUnavailableError(
            'cycle',
            'The cycle is stopped (the service is shutting down).',
          );
        const run = r.trigger();
        if (!run) throw new ApiError('CYCLE_RUNNING', undefined, { cycle: status.runs, state: status.state });
        if (query.wait) return { body: await run };
        // The report lands in GET /v1/cycle; a cycle reports its own failures, it never rejects.
        run.catch(() => undefined);
        // The cycle number and start time were taken synchronously by trigger().
        return {
          status: 202,
          headers: { Location: '/v1/cycle' },
          body: { cycle: r.status().runs, startedAtMs: d.now() },
        };
      },
    }),
  ];
}
