/** Users and their profile and context. */
import type { UserContext, UserProfile } from '../../domain/user';
import { ApiError } from '../errors';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';
import { idParam, pageQuery } from './params';

const user = { user: idParam('User') };
type UserParams = { user: string };
type ProfileInput = Omit<UserProfile, 'user' | 'updatedAtMs'>;

async function mustGet(d: RouteDeps, id: string): Promise<UserProfile> {
  const p = await d.state.getUser(id);
  if (!p) throw new ApiError('USER_NOT_FOUND', `No user "${id}".`);
  return p;
}

/** With a policy in place, a user's tier must be one of its tiers. */
export async function checkTiers(d: RouteDeps, tiers: readonly string[]): Promise<void> {
  const cur = await d.state.currentPolicy();
  if (!cur || tiers.length === 0) return;
  const known = Object.keys(d.policy.tiers(cur.policy));
  const unknown = tiers.filter((t) => !known.includes(t));
  if (unknown.length) {
    throw new ApiError('TIER_UNKNOWN', `Policy version ${cur.version} has no tier ${unknown.join(', ')}.`, {
      unknown,
      known,
    });
  }
}

export function userRoutes(d: RouteDeps): Route[] {
  return [
    route<Record<string, never>, { limit: number; after?: string; tier?: string }>({
      operationId: 'listUsers',
      method: 'get',
      path: '/v1/users',
      tag: 'users',
      summary: 'List users, ordered by id.',
      query: {
        ...pageQuery,
        tier: { schema: { type: 'string', maxLength: 64 }, description: 'Only this tier.' },
      },
      responses: { 200: { description: 'A page of users.', schema: ref('UserPage') } },
      errors: ['VALIDATION_QUERY'],
      handle: async ({ query }) => ({ body: await d.state.listUsers(query) }),
    }),
    route<UserParams>({
      operationId: 'getUser',
      method: 'get',
      path: '/v1/users/{user}',
      tag: 'users',
      summary: "A user's profile and context.",
      pathParams: user,
      responses: { 200: { description: 'The profile.', schema: ref('UserProfile') } },
      errors: ['VALIDATION_PATH', 'USER_NOT_FOUND'],
      handle: async ({ params }) => ({ body: await mustGet(d, params.user) }),
    }),
    route<UserParams, unknown, ProfileInput>({
      operationId: 'putUser',
      method: 'put',
      path: '/v1/users/{user}',
      tag: 'users',
      summary: 'Create or replace a user profile.',
      pathParams: user,
      body: { schema: ref('UserProfileInput'), description: 'Tier, preferences and context.' },
      responses: {
        200: { description: 'Replaced.', schema: ref('UserProfile') },
        201: { description: 'Created.', schema: ref('UserProfile') },
      },
      errors: ['VALIDATION_PATH', 'VALIDATION_BODY', 'TIER_UNKNOWN'],
      handle: ({ params, body }) =>
        d.mutex.run(`user:${params.user}`, async () => {
          await checkTiers(d, [body.tier]);
          const existed = !!(await d.state.getUser(params.user));
          const profile: UserProfile = { ...body, user: params.user, updatedAtMs: d.now() };
          await d.state.putUser(profile);
          return { status: existed ? 200 : 201, body: profile };
        }),
    }),
    route<UserParams>({
      operationId: 'deleteUser',
      method: 'delete',
      path: '/v1/users/{user}',
      tag: 'users',
      summary: 'Delete a user profile (its history stays in the store).',
      pathParams: user,
      responses: { 204: { description: 'Deleted.' } },
      errors: ['VALIDATION_PATH', 'USER_NOT_FOUND'],
      handle: ({ params }) =>
        d.mutex.run(`user:${params.user}`, async () => {
          if (!(await d.state.deleteUser(params.user)))
            throw new ApiError('USER_NOT_FOUND', `No user "${params.user}".`);
          return { status: 204 };
        }),
    }),
    route<UserParams>({
      operationId: 'getUserContext',
      method: 'get',
      path: '/v1/users/{user}/context',
      tag: 'users',
      summary: "A user's context (device, network, location).",
      pathParams: user,
      responses: { 200: { description: 'The context.', schema: ref('UserContext') } },
      errors: ['VALIDATION_PATH', 'USER_NOT_FOUND'],
      handle: async ({ params }) => ({ body: (await mustGet(d, params.user)).context ?? {} }),
    }),
    route<UserParams, unknown, UserContext>({
      operationId: 'putUserContext',
      method: 'put',
      path: '/v1/users/{user}/context',
      tag: 'users',
      summary: "Replace a user's context; the rest of the profile is kept.",
      pathParams: user,
      body: { schema: ref('UserContext'), description: 'The new context.' },
      responses: { 200: { description: 'The updated profile.', schema: ref('UserProfile') } },
      errors: ['VALIDATION_PATH', 'VALIDATION_BODY', 'USER_NOT_FOUND'],
      handle: ({ params, body }) =>
        d.mutex.run(`user:${params.user}`, async () => {
          const profile: UserProfile = {
            ...(await mustGet(d, params.user)),
            context: body,
            updatedAtMs: d.now(),
          };
          await d.state.putUser(profile);
          return { body: profile };
        }),
    }),
  ];
}
