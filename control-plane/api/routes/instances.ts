/** Companion instances, their capacities, and the load they report. */
import type { Instance, InstanceLoad } from '../../domain/instance';
import { RAW_RETENTION_MS } from '../../store';
import { ApiError } from '../errors';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';
import { idParam, rangeQuery, resolveRange, type RangeQuery } from './params';

const instanceParam = { instance: idParam('Instance') };
type InstanceInput = Omit<Instance, 'id' | 'state'> & { state?: Instance['state'] };
type LoadInput = {
  samples: Array<Omit<InstanceLoad, 'instanceId' | 'atMs'> & { instanceId?: string; atMs?: number }>;
};

/**
 * A sample must land in the raw retention policy: InfluxDB drops an older point ("beyond
 * retention"), the store's writer then fails the whole batch, and the request (and any other
 * write sharing that batch) got a 500 that a 400 here explains. The hour of slack covers a
 * write waiting in the batch or spool; the future margin covers clock skew between an instance
 * and the control plane. Epoch seconds or microseconds fall outside either.
 */
const LOAD_OLDEST_MS = RAW_RETENTION_MS - 3_600_000;
const LOAD_AHEAD_MS = 5 * 60_000;

function checkLoadTime(atMs: number, index: number, nowMs: number): void {
  const min = nowMs - LOAD_OLDEST_MS;
  const max = nowMs + LOAD_AHEAD_MS;
  if (atMs >= min && atMs <= max) return;
  const why =
    `must be epoch milliseconds within the raw retention window [${min}, ${max}] ` +
    `(${new Date(min).toISOString()} to ${new Date(max).toISOString()}: the ${RAW_RETENTION_MS / 86_400_000} d ` +
    `raw retention less 1 h, up to 5 min ahead)`;
  throw new ApiError('VALIDATION_BODY', `samples[${index}].atMs (${atMs}) ${why}.`, [
    { path: `/samples/${index}/atMs`, message: why },
  ]);
}

export function instanceRoutes(d: RouteDeps): Route[] {
  const mustGet = async (id: string): Promise<Instance> => {
    const i = await d.state.getInstance(id);
    if (!i) throw new ApiError('INSTANCE_NOT_FOUND', `No instance "${id}".`);
    return i;
  };
  return [
    route({
      operationId: 'listInstances',
      method: 'get',
      path: '/v1/instances',
      tag: 'instances',
      summary: 'Registered companion instances and their capacities.',
      responses: { 200: { description: 'Instances.', schema: ref('InstanceList') } },
      errors: [],
      handle: async () => ({ body: { items: await d.state.listInstances() } }),
    }),
    route<{ instance: string }>({
      operationId: 'getInstance',
      method: 'get',
      path: '/v1/instances/{instance}',
      tag: 'instances',
      summary: 'One instance.',
      pathParams: instanceParam,
      responses: { 200: { description: 'The instance.', schema: ref('Instance') } },
      errors: ['VALIDATION_PATH', 'INSTANCE_NOT_FOUND'],
      handle: async ({ params }) => ({ body: await mustGet(params.instance) }),
    }),
    route<{ instance: string }, unknown, InstanceInput>({
      operationId: 'putInstance',
      method: 'put',
      path: '/v1/instances/{instance}',
      tag: 'instances',
      summary: 'Register an instance or change its capacity or state.',
      pathParams: instanceParam,
      body: { schema: ref('InstanceInput'), description: 'Address, class, capacity, state (default ready).' },
      responses: {
        200: { description: 'Replaced.', schema: ref('Instance') },
        201: { description: 'Registered.', schema: ref('Instance') },
      },
      errors: ['VALIDATION_PATH', 'VALIDATION_BODY'],
      handle: ({ params, body }) =>
        d.mutex.run(`instance:${params.instance}`, async () => {
          const existed = !!(await d.state.getInstance(params.instance));
          const instance: Instance = { ...body, id: params.instance, state: body.state ?? 'ready' };
          await d.state.putInstance(instance);
          return { status: existed ? 200 : 201, body: instance };
        }),
    }),
    route<{ instance: string }>({
      operationId: 'deleteInstance',
      method: 'delete',
      path: '/v1/instances/{instance}',
      tag: 'instances',
      summary: 'Deregister an instance (the next plan moves its users).',
      pathParams: instanceParam,
      responses: { 204: { description: 'Deleted.' } },
      errors: ['VALIDATION_PATH', 'INSTANCE_NOT_FOUND'],
      handle: ({ params }) =>
        d.mutex.run(`instance:${params.instance}`, async () => {
          if (!(await d.state.deleteInstance(params.instance))) {
            throw new ApiError('INSTANCE_NOT_FOUND', `No instance "${params.instance}".`);
          }
          return { status: 204 };
        }),
    }),
    route<{ instance: string }, unknown, LoadInput>({
      operationId: 'reportInstanceLoad',
      method: 'post',
      path: '/v1/instances/{instance}/load',
      tag: 'instances',
      summary: 'Report live load samples (atMs defaults to now).',
      description:
        'atMs must fall in the raw retention window (now − 14 d + 1 h to now + 5 min); a sample ' +
        'outside it (e.g. epoch seconds) is refused with 400 VALIDATION_BODY naming it, and nothing ' +
        'of the report is written. Instances may also write line protocol to InfluxDB directly, as ' +
        'Telegraf would.',
      pathParams: instanceParam,
      body: { schema: ref('LoadReport'), description: 'One or more samples.' },
      responses: { 202: { description: 'Accepted for the store.' } },
      errors: ['VALIDATION_PATH', 'VALIDATION_BODY', 'INSTANCE_NOT_FOUND', 'LOAD_INSTANCE_MISMATCH'],
      handle: async ({ params, body }) => {
        await mustGet(params.instance);
        const now = d.now();
        const samples: InstanceLoad[] = body.samples.map((s, i) => {
          if (s.instanceId !== undefined && s.instanceId !== params.instance) {
            throw new ApiError('LOAD_INSTANCE_MISMATCH', `samples[${i}] names "${s.instanceId}".`, {
              index: i,
            });
          }
          if (s.atMs !== undefined) checkLoadTime(s.atMs, i, now);
          return { ...s, instanceId: params.instance, atMs: s.atMs ?? now };
        });
        await d.state.reportLoad(samples);
        return { status: 202 };
      },
    }),
    route<{ instance: string }, RangeQuery>({
      operationId: 'getInstanceLoad',
      method: 'get',
      path: '/v1/instances/{instance}/load',
      tag: 'instances',
      summary: 'Load samples of one instance in [from, to).',
      pathParams: instanceParam,
      query: rangeQuery,
      responses: { 200: { description: 'Samples, oldest first.', schema: ref('LoadSeries') } },
      errors: ['VALIDATION_PATH', 'VALIDATION_QUERY', 'TIME_RANGE_INVALID', 'INSTANCE_NOT_FOUND'],
      handle: async ({ params, query }) => {
        await mustGet(params.instance);
        // Default end just after now, so a sample reported this millisecond is included.
        const { fromMs, toMs } = resolveRange(
          { ...query, to: query.to ?? d.now() + 1, step: 3_600_000 },
          d.now(),
        );
        return {
          body: {
            instanceId: params.instance,
            samples: await d.state.instanceLoad(params.instance, { fromMs, toMs }),
          },
        };
      },
    }),
  ];
}
