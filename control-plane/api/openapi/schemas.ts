/**
 * The component schemas of the OpenAPI document (JSON Schema 2020-12, as OpenAPI 3.1 uses). They
 * mirror the domain types in control-plane/domain; the API tests validate every response against
 * them, so a domain change that is not reflected here fails a test.
 */
import { EXHAUSTED_ACTIONS } from '../../domain/reservation';
import { RESOURCES } from '../../domain/demand';
import { ERROR_CODES } from '../errors';
import { ref, type JsonSchema } from '../route';
import { CYCLE_SCHEMAS } from './cycle-schemas';
import { STATUS_SCHEMAS } from './status-schemas';
import { count, ms, obj, text } from './schema-builders';

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$';
const id = (description: string): JsonSchema => ({ type: 'string', pattern: ID_PATTERN, description });

const capacity = obj(
  {
    slots: { type: 'integer', minimum: 0, description: 'Concurrent in-flight requests.' },
    cpuMillicores: count('CPU in millicores.'),
    memoryMb: count('Memory in MB.'),
    bandwidthKbps: count('Bandwidth in kbps.'),
  },
  ['slots', 'cpuMillicores', 'memoryMb', 'bandwidthKbps'],
);

const userContext = obj(
  {
    device: { ...text(64), examples: ['mobile'] },
    network: { ...text(64), examples: ['5g'] },
    networkQuality: { type: 'number', minimum: 0, maximum: 1, description: '0 unusable … 1 excellent.' },
    location: { ...text(128), examples: ['eu-west'] },
  },
  [],
  'Where and how the user connects; feeds the forecast features.',
);

const preferences = {
  type: 'object',
  maxProperties: 64,
  propertyNames: { pattern: '^[A-Za-z0-9._-]{1,64}$' },
  additionalProperties: { type: 'string', maxLength: 1024 },
  description: 'Free-form string preferences.',
};

const userProfileInput = obj(
  {
    tier: { ...text(64), description: 'A tier of the current policy.' },
    preferences,
    context: ref('UserContext'),
  },
  ['tier'],
);

const userProfile = obj(
  {
    user: id('User (tenant, function, app) id.'),
    tier: text(64),
    preferences,
    context: ref('UserContext'),
    updatedAtMs: ms('Last change, epoch ms.'),
  },
  ['user', 'tier', 'updatedAtMs'],
);

const page = (item: string): JsonSchema =>
  obj(
    {
      items: { type: 'array', items: ref(item) },
      next: { type: 'string', description: 'Cursor for `after`.' },
    },
    ['items'],
  );

const policyDocument: JsonSchema = {
  type: 'object',
  description:
    "A tier policy document; its full schema and checks are the allocator's (control-plane/allocate).",
};

const policyVersionSummary = {
  version: { type: 'integer', minimum: 1 },
  source: { type: 'string', description: 'The YAML as submitted, when it was submitted as YAML.' },
  createdAtMs: ms('When this version was stored.'),
  author: { type: 'string' },
  comment: { type: 'string' },
};

const eventFields = {
  name: text(128),
  startMs: ms('Start, epoch ms.'),
  endMs: ms('End (exclusive), epoch ms.'),
  users: { type: 'array', items: id('User id.'), maxItems: 10_000, uniqueItems: true },
  tiers: { type: 'array', items: text(64), maxItems: 64, uniqueItems: true },
  multiplier: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 1000,
    description: 'Expected demand ÷ normal.',
  },
  description: { type: 'string', maxLength: 4096 },
};

const decisionProps = {
  atMs: ms('Step start.'),
  requests: count('Requests seen.'),
  reserved: count('Admitted on a reservation.'),
  queued: count('Queued.'),
  redirected: count('Redirected to the fallback.'),
  throttled: count('Answered 429.'),
  unreserved: count('From users with no reservation.'),
  shortfall: count('Requests beyond the reservation.'),
  peakInFlight: count('Peak concurrent in-flight.'),
};
const decisionPoint = obj(decisionProps, Object.keys(decisionProps));

const reservation = obj(
  {
    user: id('User id.'),
    instanceId: text(128),
    instanceAddress: text(256),
    slots: { type: 'integer', minimum: 0 },
    ratePerMinute: count('Admission rate.'),
    burst: count('Token-bucket burst (0 = slots).'),
    cpuMillicores: count('CPU.'),
    memoryMb: count('Memory.'),
    bandwidthKbps: count('Bandwidth.'),
    tier: { type: 'string' },
    priority: { type: 'integer' },
    maxQueueWaitMs: ms('Longest queue wait.'),
    onExhausted: { enum: [...EXHAUSTED_ACTIONS] },
    notBeforeMs: ms('Valid from.'),
    expiresMs: ms('Valid until.'),
    fallback: { type: 'string' },
  },
  [
    'user',
    'instanceId',
    'instanceAddress',
    'slots',
    'ratePerMinute',
    'burst',
    'cpuMillicores',
    'memoryMb',
    'bandwidthKbps',
    'tier',
    'priority',
    'maxQueueWaitMs',
    'onExhausted',
    'notBeforeMs',
    'expiresMs',
    'fallback',
  ],
);

const scalingRecommendation = obj(
  {
    instanceClass: { type: 'string' },
    delta: { type: 'integer', description: 'Positive: add; negative: remove.' },
    desired: { type: 'integer', minimum: 0 },
    neededAtMs: ms('When the change must be in effect.'),
    reason: { type: 'string' },
  },
  ['instanceClass', 'delta', 'desired', 'neededAtMs', 'reason'],
);

const instanceFields = {
  address: { type: 'string', pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$', description: 'host:port.' },
  instanceClass: text(64),
  capacity: ref('Capacity'),
  state: { enum: ['warming', 'ready', 'draining'] },
  readyAtMs: ms('When it became or becomes ready.'),
};

const loadFields = {
  atMs: ms('Sample time, epoch ms.'),
  cpuMillicores: count('CPU in use.'),
  memoryMb: count('Memory in use.'),
  bandwidthKbps: count('Bandwidth in use.'),
  inFlight: { type: 'integer', minimum: 0 },
};

export const SCHEMAS: Record<string, JsonSchema> = {
  Error: obj(
    {
      error: obj({ code: { enum: [...ERROR_CODES] }, message: { type: 'string' }, details: {} }, [
        'code',
        'message',
      ]),
    },
    ['error'],
    'Every error response. `code` is stable; see the catalogue in control-plane/api/README.md.',
  ),
  Capacity: capacity,
  UserContext: userContext,
  UserProfileInput: userProfileInput,
  UserProfile: userProfile,
  UserPage: page('UserProfile'),
  PolicyDocument: policyDocument,
  PolicyVersion: obj({ ...policyVersionSummary, policy: ref('PolicyDocument') }, [
    'version',
    'createdAtMs',
    'policy',
  ]),
  PolicyVersionSummary: obj(policyVersionSummary, ['version', 'createdAtMs']),
  PolicyVersionList: obj({ items: { type: 'array', items: ref('PolicyVersionSummary') } }, ['items']),
  Tier: { type: 'object', description: "One tier of the policy; its schema is the allocator's." },
  TierList: obj(
    { version: { type: 'integer' }, tiers: { type: 'object', additionalProperties: ref('Tier') } },
    ['version', 'tiers'],
  ),
  DemandEventInput: obj({ id: id('Optional id; generated when absent.'), ...eventFields }, [
    'name',
    'startMs',
    'endMs',
    'multiplier',
  ]),
  DemandEvent: obj({ id: id('Event id.'), ...eventFields, updatedAtMs: ms('Last change.') }, [
    'id',
    'name',
    'startMs',
    'endMs',
    'multiplier',
    'updatedAtMs',
  ]),
  DemandEventList: obj({ items: { type: 'array', items: ref('DemandEvent') } }, ['items']),
  ForecastSeries: obj(
    {
      user: { type: 'string' },
      resource: { enum: [...RESOURCES] },
      stepMs: { type: 'integer', minimum: 1 },
      quantiles: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 } },
      model: { type: 'string' },
      points: {
        type: 'array',
        items: obj(
          {
            atMs: ms('Step start.'),
            issuedAtMs: ms('When forecast.'),
            values: { type: 'array', items: { type: 'number' } },
          },
          ['atMs', 'issuedAtMs', 'values'],
        ),
      },
    },
    ['user', 'resource', 'stepMs', 'quantiles', 'points'],
  ),
  DecisionPoint: decisionPoint,
  DecisionSeries: obj(
    {
      fromMs: ms('Range start.'),
      toMs: ms('Range end.'),
      stepMs: { type: 'integer' },
      points: { type: 'array', items: ref('DecisionPoint') },
    },
    ['fromMs', 'toMs', 'stepMs', 'points'],
  ),
  Reservation: reservation,
  ReservationPage: page('Reservation'),
  Squeeze: obj(
    {
      user: { type: 'string' },
      tier: { type: 'string' },
      wanted: ref('Capacity'),
      granted: ref('Capacity'),
      reason: { type: 'string' },
    },
    ['user', 'tier', 'wanted', 'granted', 'reason'],
  ),
  ScalingRecommendation: scalingRecommendation,
  PlanSummary: obj(
    {
      version: { type: 'string' },
      issuedAtMs: ms('When the plan was made.'),
      users: { type: 'integer', minimum: 0, description: 'Reservations in the plan.' },
      instances: { type: 'integer', minimum: 0, description: 'Instances holding reservations.' },
      reserved: ref('Capacity'),
      squeezedCount: { type: 'integer', minimum: 0 },
      squeezed: { type: 'array', items: ref('Squeeze'), description: 'The first 100.' },
      scaling: { type: 'array', items: ref('ScalingRecommendation') },
    },
    ['version', 'issuedAtMs', 'users', 'instances', 'reserved', 'squeezedCount', 'squeezed', 'scaling'],
  ),
  InstanceReservations: obj(
    {
      planVersion: { type: 'string' },
      items: {
        type: 'array',
        items: obj(
          {
            instanceId: { type: 'string' },
            users: { type: 'integer', minimum: 0 },
            reserved: ref('Capacity'),
            capacity: ref('Capacity'),
          },
          ['instanceId', 'users', 'reserved'],
        ),
      },
    },
    ['planVersion', 'items'],
  ),
  InstanceInput: obj(instanceFields, ['address', 'instanceClass', 'capacity']),
  Instance: obj({ id: id('Instance id.'), ...instanceFields }, [
    'id',
    'address',
    'instanceClass',
    'capacity',
    'state',
  ]),
  InstanceList: obj({ items: { type: 'array', items: ref('Instance') } }, ['items']),
  LoadReport: obj(
    {
      samples: {
        type: 'array',
        minItems: 1,
        maxItems: 10_000,
        items: obj({ instanceId: id('Must match the path.'), ...loadFields }, [
          'cpuMillicores',
          'memoryMb',
          'bandwidthKbps',
          'inFlight',
        ]),
      },
    },
    ['samples'],
  ),
  LoadSeries: obj(
    {
      instanceId: { type: 'string' },
      samples: {
        type: 'array',
        items: obj({ instanceId: { type: 'string' }, ...loadFields }, [
          'instanceId',
          'atMs',
          'cpuMillicores',
          'memoryMb',
          'bandwidthKbps',
          'inFlight',
        ]),
      },
    },
    ['instanceId', 'samples'],
  ),
  Scaling: obj(
    {
      planVersion: { type: 'string' },
      issuedAtMs: ms('Plan time.'),
      recommendations: { type: 'array', items: ref('ScalingRecommendation') },
    },
    ['recommendations'],
  ),
  ...CYCLE_SCHEMAS,
  ...STATUS_SCHEMAS,
};
