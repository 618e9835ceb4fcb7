/** Companion instances, their capacities, and the load they report. */
import type { Instance, InstanceLoad } from '../../domain/instance';
import { ApiError } from '../errors';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';
import { idParam, rangeQuery, resolveRange, type RangeQuery } from './params';

const instanceParam = { instance: idParam('Instance') };
type InstanceInput = Omit<Instance, 'id' | 'state'> & { state?: Instance['state'] };
type LoadInput = {
  samples: Array<Omit<InstanceLoad, 'instanceId' | 'atMs'> & { instanceId?: string; atMs?: number }>;
};

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
      description: 'Instances may also write line protocol to InfluxDB directly, as Telegraf would.',
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
