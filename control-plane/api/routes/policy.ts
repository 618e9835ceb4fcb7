/** The tier policy: the whole document, its version history, and one tier at a time. */
import { ApiError } from '../errors';
import { etagOf, IF_MATCH_PATTERN, PolicyWriter } from '../policy-writer';
import type { PolicyDocument, PolicyVersion } from '../port';
import { ref, route, type ParamSpec, type ResponseSpec, type Route } from '../route';
import type { RouteDeps } from './deps';

const ifMatch: Record<string, ParamSpec> = {
  'if-match': {
    schema: { type: 'string', pattern: IF_MATCH_PATTERN },
    description: 'The policy version (ETag) the change is based on; needed once a policy exists.',
  },
};
const tierParam = {
  tier: { schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, description: 'Tier name.' },
};
const etagHeader = { ETag: { description: 'The policy version, for If-Match.', schema: { type: 'string' } } };
const versionResponse = (description: string): ResponseSpec => ({
  description,
  schema: ref('PolicyVersion'),
  headers: etagHeader,
});
const writeErrors = [
  'VALIDATION_HEADER',
  'POLICY_INVALID',
  'POLICY_VERSION_CONFLICT',
  'POLICY_PRECONDITION_REQUIRED',
] as const;

const withEtag = (v: PolicyVersion, status = 200) => ({
  status,
  body: v,
  headers: { ETag: etagOf(v.version) },
});

export function policyRoutes(d: RouteDeps): Route[] {
  const writer = new PolicyWriter(d.state, d.policy, d.mutex, d.now);
  const current = async (): Promise<PolicyVersion> => {
    const cur = await d.state.currentPolicy();
    if (!cur) throw new ApiError('POLICY_NOT_FOUND', 'No policy is stored yet.');
    return cur;
  };
  const existing = (cur: PolicyVersion | undefined): PolicyDocument => {
    if (!cur) throw new ApiError('POLICY_NOT_FOUND', 'No policy is stored yet; PUT /v1/policy first.');
    return cur.policy;
  };
  return [
    route({
      operationId: 'getPolicy',
      method: 'get',
      path: '/v1/policy',
      tag: 'policy',
      summary: 'The current policy version.',
      responses: { 200: versionResponse('The current version; ETag is its number.') },
      errors: ['POLICY_NOT_FOUND'],
      handle: async () => withEtag(await current()),
    }),
    route<Record<string, never>, unknown, PolicyDocument>({
      operationId: 'putPolicy',
      method: 'put',
      path: '/v1/policy',
      tag: 'policy',
      summary: 'Replace the policy: stores it as the next version.',
      description: 'JSON or YAML. Needs If-Match with the current ETag once a policy exists (428 otherwise).',
      headers: ifMatch,
      body: {
        schema: ref('PolicyDocument'),
        description: 'The whole policy.',
        mediaTypes: ['application/json', 'application/yaml'],
      },
      responses: {
        200: versionResponse('Stored as the next version.'),
        201: versionResponse('The first version.'),
      },
      errors: [...writeErrors, 'VALIDATION_BODY'],
      handle: async ({ headers, body, rawBody }) => {
        const v = await writer.write(headers['if-match'], () => body, 'api', rawBody);
        return withEtag(v, v.version === 1 ? 201 : 200);
      },
    }),
    route<Record<string, never>, { limit: number; before?: number }>({
      operationId: 'listPolicyVersions',
      method: 'get',
      path: '/v1/policy/versions',
      tag: 'policy',
      summary: 'Policy versions, newest first (without their documents).',
      query: {
        limit: {
          schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
          description: 'How many.',
        },
        before: { schema: { type: 'integer', minimum: 1 }, description: 'Only versions below this one.' },
      },
      responses: { 200: { description: 'Versions.', schema: ref('PolicyVersionList') } },
      errors: ['VALIDATION_QUERY'],
      handle: async ({ query }) => {
        const versions = await d.state.listPolicyVersions(query);
        return { body: { items: versions.map(({ policy: _policy, ...summary }) => summary) } };
      },
    }),
    route<{ version: number }>({
      operationId: 'getPolicyVersion',
      method: 'get',
      path: '/v1/policy/versions/{version}',
      tag: 'policy',
      summary: 'One stored policy version.',
      pathParams: { version: { schema: { type: 'integer', minimum: 1 }, description: 'Version number.' } },
      responses: { 200: versionResponse('That version.') },
      errors: ['VALIDATION_PATH', 'POLICY_NOT_FOUND'],
      handle: async ({ params }) => {
        const v = await d.state.getPolicyVersion(params.version);
        if (!v) throw new ApiError('POLICY_NOT_FOUND', `No policy version ${params.version}.`);
        return withEtag(v);
      },
    }),
    route({
      operationId: 'listTiers',
      method: 'get',
      path: '/v1/policy/tiers',
      tag: 'policy',
      summary: 'The tiers of the current policy.',
      responses: { 200: { description: 'Tiers by name.', schema: ref('TierList'), headers: etagHeader } },
      errors: ['POLICY_NOT_FOUND'],
      handle: async () => {
        const cur = await current();
        return {
          body: { version: cur.version, tiers: d.policy.tiers(cur.policy) },
          headers: { ETag: etagOf(cur.version) },
        };
      },
    }),
    route<{ tier: string }>({
      operationId: 'getTier',
      method: 'get',
      path: '/v1/policy/tiers/{tier}',
      tag: 'policy',
      summary: 'One tier of the current policy.',
      pathParams: tierParam,
      responses: { 200: { description: 'The tier.', schema: ref('Tier'), headers: etagHeader } },
      errors: ['VALIDATION_PATH', 'POLICY_NOT_FOUND', 'TIER_NOT_FOUND'],
      handle: async ({ params }) => {
        const cur = await current();
        const tier = d.policy.tiers(cur.policy)[params.tier];
        if (tier === undefined)
          throw new ApiError('TIER_NOT_FOUND', `Policy version ${cur.version} has no tier "${params.tier}".`);
        return { body: tier, headers: { ETag: etagOf(cur.version) } };
      },
    }),
    route<{ tier: string }, unknown, Record<string, unknown>>({
      operationId: 'putTier',
      method: 'put',
      path: '/v1/policy/tiers/{tier}',
      tag: 'policy',
      summary: 'Add or replace one tier: stores the policy as the next version.',
      pathParams: tierParam,
      headers: ifMatch,
      body: { schema: ref('Tier'), description: 'The tier.' },
      responses: { 200: versionResponse('The new policy version.') },
      errors: [...writeErrors, 'VALIDATION_PATH', 'VALIDATION_BODY', 'POLICY_NOT_FOUND'],
      handle: async ({ params, headers, body }) =>
        withEtag(
          await writer.write(
            headers['if-match'],
            (cur) => d.policy.withTier(existing(cur), params.tier, body),
            'api',
          ),
        ),
    }),
    route<{ tier: string }>({
      operationId: 'deleteTier',
      method: 'delete',
      path: '/v1/policy/tiers/{tier}',
      tag: 'policy',
      summary: 'Remove one tier: stores the policy as the next version.',
      pathParams: tierParam,
      headers: ifMatch,
      responses: { 200: versionResponse('The new policy version.') },
      errors: [...writeErrors, 'VALIDATION_PATH', 'POLICY_NOT_FOUND', 'TIER_NOT_FOUND'],
      handle: async ({ params, headers }) => {
        const change = (cur: PolicyVersion | undefined) => {
          const doc = existing(cur);
          if (d.policy.tiers(doc)[params.tier] === undefined) {
            throw new ApiError(
              'TIER_NOT_FOUND',
              `Policy version ${cur!.version} has no tier "${params.tier}".`,
            );
          }
          return d.policy.withoutTier(doc, params.tier);
        };
        return withEtag(await writer.write(headers['if-match'], change, 'api'));
      },
    }),
  ];
}
