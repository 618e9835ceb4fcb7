/** Planned demand events (event schedules). */
import type { DemandEvent } from '../../domain/event';
import { ApiError } from '../errors';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';
import { checkTiers } from './users';
import { idParam, located, rangeQuery } from './params';

type EventInput = Omit<DemandEvent, 'id' | 'updatedAtMs'> & { id?: string };
const eventParam = { event: idParam('Event') };

async function checked(d: RouteDeps, input: EventInput, id: string): Promise<DemandEvent> {
  if (input.endMs <= input.startMs) {
    throw new ApiError(
      'EVENT_WINDOW_INVALID',
      `endMs (${input.endMs}) must be after startMs (${input.startMs}).`,
    );
  }
  await checkTiers(d, input.tiers ?? []);
  return { ...input, id, updatedAtMs: d.now() };
}

export function eventRoutes(d: RouteDeps): Route[] {
  return [
    route<Record<string, never>, { from?: number; to?: number }>({
      operationId: 'listEvents',
      method: 'get',
      path: '/v1/events',
      tag: 'events',
      summary: 'Events overlapping [from, to), or all of them; ordered by start.',
      query: rangeQuery,
      responses: { 200: { description: 'Events.', schema: ref('DemandEventList') } },
      errors: ['VALIDATION_QUERY', 'TIME_RANGE_INVALID'],
      handle: async ({ query }) => {
        if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
          throw new ApiError('TIME_RANGE_INVALID', `from (${query.from}) must be before to (${query.to}).`);
        }
        const range =
          query.from === undefined && query.to === undefined
            ? undefined
            : { fromMs: query.from ?? 0, toMs: query.to ?? Number.MAX_SAFE_INTEGER };
        return { body: { items: await d.state.listEvents(range) } };
      },
    }),
    route<Record<string, never>, unknown, EventInput>({
      operationId: 'createEvent',
      method: 'post',
      path: '/v1/events',
      tag: 'events',
      summary: 'Schedule an event; the id is generated unless given.',
      body: { schema: ref('DemandEventInput'), description: 'The event.' },
      responses: { 201: { description: 'Created; Location names it.', schema: ref('DemandEvent') } },
      errors: ['VALIDATION_BODY', 'EVENT_WINDOW_INVALID', 'TIER_UNKNOWN', 'EVENT_ALREADY_EXISTS'],
      handle: async ({ body }) => {
        const id = body.id ?? d.newId();
        return d.mutex.run(`event:${id}`, async () => {
          const event = await checked(d, body, id);
          if (await d.state.getEvent(id)) throw new ApiError('EVENT_ALREADY_EXISTS', `Event "${id}" exists.`);
          await d.state.putEvent(event);
          return { status: 201, body: event, headers: located(`/v1/events/${encodeURIComponent(id)}`) };
        });
      },
    }),
    route<{ event: string }>({
      operationId: 'getEvent',
      method: 'get',
      path: '/v1/events/{event}',
      tag: 'events',
      summary: 'One event.',
      pathParams: eventParam,
      responses: { 200: { description: 'The event.', schema: ref('DemandEvent') } },
      errors: ['VALIDATION_PATH', 'EVENT_NOT_FOUND'],
      handle: async ({ params }) => {
        const e = await d.state.getEvent(params.event);
        if (!e) throw new ApiError('EVENT_NOT_FOUND', `No event "${params.event}".`);
        return { body: e };
      },
    }),
    route<{ event: string }, unknown, EventInput>({
      operationId: 'putEvent',
      method: 'put',
      path: '/v1/events/{event}',
      tag: 'events',
      summary: 'Create or replace an event under this id.',
      pathParams: eventParam,
      body: {
        schema: ref('DemandEventInput'),
        description: 'The event (an id in the body must match the path).',
      },
      responses: {
        200: { description: 'Replaced.', schema: ref('DemandEvent') },
        201: { description: 'Created.', schema: ref('DemandEvent') },
      },
      errors: ['VALIDATION_PATH', 'VALIDATION_BODY', 'EVENT_WINDOW_INVALID', 'TIER_UNKNOWN'],
      handle: ({ params, body }) =>
        d.mutex.run(`event:${params.event}`, async () => {
          if (body.id !== undefined && body.id !== params.event) {
            throw new ApiError('VALIDATION_BODY', 'The body names another event than the path.', [
              { path: '/id', message: `must equal "${params.event}"` },
            ]);
          }
          const event = await checked(d, body, params.event);
          const existed = !!(await d.state.getEvent(params.event));
          await d.state.putEvent(event);
          return { status: existed ? 200 : 201, body: event };
        }),
    }),
    route<{ event: string }>({
      operationId: 'deleteEvent',
      method: 'delete',
      path: '/v1/events/{event}',
      tag: 'events',
      summary: 'Cancel an event.',
      pathParams: eventParam,
      responses: { 204: { description: 'Deleted.' } },
      errors: ['VALIDATION_PATH', 'EVENT_NOT_FOUND'],
      handle: ({ params }) =>
        d.mutex.run(`event:${params.event}`, async () => {
          if (!(await d.state.deleteEvent(params.event)))
            throw new ApiError('EVENT_NOT_FOUND', `No event "${params.event}".`);
          return { status: 204 };
        }),
    }),
  ];
}
