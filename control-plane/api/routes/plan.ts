/** The current plan, its reservations, and scaling recommendations. */
import type { Plan } from '../../domain/plan';
import { ApiError } from '../errors';
import { pageReservations, reservationsPerInstance, summarizePlan } from '../plan-views';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';
import { idParam, pageQuery } from './params';

export function planRoutes(d: RouteDeps): Route[] {
  const plan = async (): Promise<Plan> => {
    const p = await d.state.currentPlan();
    if (!p) throw new ApiError('PLAN_NOT_FOUND');
    return p;
  };
  return [
    route({
      operationId: 'getPlan',
      method: 'get',
      path: '/v1/plan',
      tag: 'plan',
      summary: 'The current plan: version, totals, who was squeezed, scaling.',
      responses: { 200: { description: 'Plan summary.', schema: ref('PlanSummary') } },
      errors: ['PLAN_NOT_FOUND'],
      handle: async () => ({ body: summarizePlan(await plan()) }),
    }),
    route<Record<string, never>, { limit: number; after?: string; instance?: string }>({
      operationId: 'listReservations',
      method: 'get',
      path: '/v1/plan/reservations',
      tag: 'plan',
      summary: "The current plan's reservations, ordered by user.",
      query: {
        ...pageQuery,
        instance: { schema: { type: 'string', maxLength: 128 }, description: 'Only this instance.' },
      },
      responses: { 200: { description: 'A page of reservations.', schema: ref('ReservationPage') } },
      errors: ['VALIDATION_QUERY', 'PLAN_NOT_FOUND'],
      handle: async ({ query }) => ({ body: pageReservations(await plan(), query) }),
    }),
    route({
      operationId: 'getInstanceReservations',
      method: 'get',
      path: '/v1/plan/instances',
      tag: 'plan',
      summary: 'Capacity reserved on each instance, next to its capacity.',
      responses: { 200: { description: 'Per-instance totals.', schema: ref('InstanceReservations') } },
      errors: ['PLAN_NOT_FOUND'],
      handle: async () => {
        const [p, instances] = await Promise.all([plan(), d.state.listInstances()]);
        return { body: reservationsPerInstance(p, instances) };
      },
    }),
    route<{ user: string }>({
      operationId: 'getReservation',
      method: 'get',
      path: '/v1/users/{user}/reservation',
      tag: 'plan',
      summary: "The user's reservation in the current plan.",
      pathParams: { user: idParam('User') },
      responses: { 200: { description: 'The reservation.', schema: ref('Reservation') } },
      errors: ['VALIDATION_PATH', 'PLAN_NOT_FOUND', 'RESERVATION_NOT_FOUND'],
      handle: async ({ params }) => {
        if (!(await d.state.currentPlan())) throw new ApiError('PLAN_NOT_FOUND');
        const r = await d.state.reservation(params.user);
        if (!r)
          throw new ApiError(
            'RESERVATION_NOT_FOUND',
            `The current plan reserves nothing for "${params.user}".`,
          );
        return { body: r };
      },
    }),
    route({
      operationId: 'getScaling',
      method: 'get',
      path: '/v1/scaling',
      tag: 'plan',
      summary: 'Instances to add or remove, and when they are needed.',
      responses: { 200: { description: 'Recommendations.', schema: ref('Scaling') } },
      errors: [],
      handle: async () => ({ body: await d.state.scaling() }),
    }),
    route({
      operationId: 'listProxies',
      method: 'get',
      path: '/v1/proxies',
      tag: 'plan',
      summary: 'Connected proxies: the plan version each ACKed and how far behind it is.',
      responses: { 200: { description: 'Proxies.', schema: ref('ProxyStatusList') } },
      errors: [],
      handle: async () => {
        const [items, p] = await Promise.all([d.state.proxies(), d.state.currentPlan()]);
        return { body: { ...(p && { planVersion: p.version }), items } };
      },
    }),
  ];
}
