/**
 * The policy's YAML schema as data: every field, what it accepts, its default and what it means.
 * The loader checks documents against it and README.md's field table is written from it (a test
 * keeps the two in step).
 */
import { EXHAUSTED_ACTIONS } from '../domain/reservation';
import type { FieldSpec } from './yaml-schema';

const count = (doc: string, d?: number): FieldSpec => ({ kind: 'number', doc, min: 0, default: d });
const cap = (doc: string): FieldSpec => ({ kind: 'number', doc, min: 0, default: Infinity });

const CAPACITY: FieldSpec = {
  kind: 'map',
  doc: 'What one instance of the class holds.',
  fields: {
    slots: count('Concurrent in-flight requests.'),
    cpuMillicores: count('CPU, millicores.'),
    memoryMb: count('Memory, MB.'),
    bandwidthKbps: count('Bandwidth, kbps.'),
  },
};

const TIER: FieldSpec = {
  kind: 'map',
  doc: 'One service tier.',
  fields: {
    quantile: {
      kind: 'number',
      above: 0,
      below: 1,
      doc: 'Forecast quantile the reservation covers (e.g. gold 0.99, free 0.5).',
    },
    priority: { kind: 'number', integer: true, min: 0, doc: 'Higher wins under scarcity and in the queues.' },
    maxQueueWait: {
      kind: 'duration',
      min: 0,
      default: 0,
      doc: 'Longest a request of the tier waits for a slot.',
    },
    onExhausted: {
      kind: 'enum',
      values: EXHAUSTED_ACTIONS,
      default: 'queue',
      doc: 'What the filter does when the reservation is used up.',
    },
    headroom: { kind: 'number', min: 0.1, max: 10, default: 1, doc: 'Multiplier on the quantile forecast.' },
    minSlots: count('Slots held whenever the forecast is above zero.', 0),
    warmAbove: {
      kind: 'number',
      min: 0,
      max: 1,
      default: 1,
      doc: "Hold at least one slot where the forecast's probability of activity (sparse users) is above this (1: off).",
    },
    holdPeak: {
      kind: 'duration',
      min: 0,
      default: 0,
      doc: 'Where the forecast is above zero, hold at least the largest concurrency seen over this much recent history (0: off).',
    },
    overflowRoom: {
      kind: 'number',
      min: 0,
      max: 1,
      default: 0,
      doc: 'Share of what the slots cut by max.slots would occupy kept free (not reserved) beside the reservation, for its on-demand overflow (0: off).',
    },
    fallback: {
      kind: 'string',
      default: '',
      doc: "Redirect target for this tier (host:port or cluster); default: the policy's fallback.",
    },
    max: {
      kind: 'map',
      doc: 'Caps per user of the tier, for allocation and top-ups (default: none).',
      fields: {
        slots: cap('Most slots.'),
        ratePerMinute: cap('Most requests per minute.'),
        cpuMillicores: cap('Most CPU.'),
        memoryMb: cap('Most memory.'),
        bandwidthKbps: cap('Most bandwidth.'),
      },
    },
  },
};

const WEBHOOK: FieldSpec = {
  kind: 'map',
  optional: true,
  doc: 'POST each cycle’s recommendations as JSON.',
  fields: {
    url: { kind: 'string', url: true, doc: 'Endpoint.' },
    timeout: { kind: 'duration', min: 1, default: 5000, doc: 'Per attempt.' },
    retries: {
      kind: 'number',
      integer: true,
      min: 0,
      max: 10,
      default: 3,
      doc: 'Attempts after the first (network errors, 429, 5xx).',
    },
    backoff: {
      kind: 'duration',
      min: 0,
      default: 500,
      doc: 'Wait before the first retry; doubles each time.',
    },
    headers: {
      kind: 'dict',
      entry: 'header',
      of: { kind: 'string', doc: 'Header value.' },
      doc: 'Extra request headers.',
    },
  },
};

const KUBERNETES: FieldSpec = {
  kind: 'map',
  optional: true,
  doc: 'PATCH the scale subresource of one Deployment per instance class.',
  fields: {
    apiServer: {
      kind: 'string',
      url: true,
      default: 'https://kubernetes.default.svc',
      doc: 'API server URL.',
    },
    namespace: { kind: 'string', default: 'default', doc: 'Namespace of the Deployments.' },
    token: { kind: 'string', default: '', doc: 'Bearer token (prefer tokenFile).' },
    tokenFile: {
      kind: 'string',
      default: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      doc: 'File holding the bearer token, read at each delivery.',
    },
    caFile: { kind: 'string', default: '', doc: 'CA bundle for the API server (PEM).' },
    insecureSkipTlsVerify: {
      kind: 'boolean',
      default: false,
      doc: 'Do not verify the server certificate (tests only).',
    },
    timeout: { kind: 'duration', min: 1, default: 5000, doc: 'Per request.' },
    deployments: {
      kind: 'dict',
      entry: 'instance class',
      of: { kind: 'string', doc: 'Deployment name.' },
      minEntries: 1,
      doc: 'Instance class -> Deployment name.',
    },
  },
};

export const POLICY_SCHEMA: FieldSpec = {
  kind: 'map',
  doc: 'An Earmark allocation policy.',
  fields: {
    tiers: { kind: 'dict', entry: 'tier', of: TIER, minEntries: 1, doc: 'Service tiers by name.' },
    defaultTier: {
      kind: 'string',
      default: '',
      doc: 'Tier of users without a profile; default: the lowest priority.',
    },
    leadTime: {
      kind: 'duration',
      min: 0,
      default: 60_000,
      doc: 'Reservations are in place this long before the forecast demand.',
    },
    validity: {
      kind: 'duration',
      min: 1000,
      default: 300_000,
      doc: 'How long a reservation stays valid without a newer plan.',
    },
    loadMaxAge: {
      kind: 'duration',
      min: 0,
      default: 180_000,
      doc: 'Live instance load older than this is ignored.',
    },
    rateBurst: {
      kind: 'duration',
      min: 0,
      default: 0,
      doc: "Token-bucket burst of each reservation, as this much time of its rate (0: as many tokens as slots, the filter's default).",
    },
    fallback: {
      kind: 'string',
      default: '',
      doc: "Redirect target when a tier has none; empty = the filter's default.",
    },
    reservable: {
      kind: 'number',
      above: 0,
      max: 1,
      default: 1,
      doc: "Share of each instance's capacity (after overcommit) reservations may fill; the rest stays for what no plan holds (on-demand sandboxes, a reservation's overflow).",
    },
    overcommit: {
      kind: 'map',
      doc: 'Most that reservations on an instance may add up to, as a multiple of its capacity.',
      fields: {
        slots: { kind: 'number', min: 1, max: 10, default: 1, doc: 'Slots.' },
        cpu: { kind: 'number', min: 1, max: 10, default: 1, doc: 'CPU.' },
        memory: { kind: 'number', min: 1, max: 10, default: 1, doc: 'Memory.' },
        bandwidth: { kind: 'number', min: 1, max: 10, default: 1, doc: 'Bandwidth.' },
      },
    },
    perSlot: {
      kind: 'map',
      doc: 'Resources per slot when the forecast has no series of its own for them.',
      fields: {
        requestsPerMinute: {
          kind: 'number',
          above: 0,
          default: 60,
          doc: 'Requests per minute one slot serves (60 = 1 s each).',
        },
        cpuMillicores: count('CPU per slot.', 100),
        memoryMb: count('Memory per slot.', 128),
        bandwidthKbps: count('Bandwidth per slot.', 1000),
      },
    },
    instanceClasses: {
      kind: 'dict',
      entry: 'instance class',
      minEntries: 1,
      doc: 'Kinds of companion instance.',
      of: {
        kind: 'map',
        doc: 'One instance class.',
        fields: {
          capacity: CAPACITY,
          costPerHour: count('Cost of one instance per hour (any currency; compared between classes).', 1),
          warmup: {
            kind: 'duration',
            min: 0,
            default: 60_000,
            doc: 'From asking for an instance until it serves.',
          },
        },
      },
    },
    stickiness: {
      kind: 'map',
      doc: 'Keeping users where they are.',
      fields: {
        consolidateBelow: {
          kind: 'number',
          min: 0,
          max: 1,
          default: 0.25,
          doc: 'An instance used less than this share is emptied when the others can take its users.',
        },
        maxMovesPerCycle: {
          kind: 'number',
          integer: true,
          min: 0,
          default: 1000,
          doc: 'Most users moved per cycle to empty instances.',
        },
      },
    },
    scaling: {
      kind: 'map',
      doc: 'Scale-out/in recommendations.',
      fields: {
        mode: {
          kind: 'enum',
          values: ['forecast_only', 'forecast_and_scale'],
          default: 'forecast_only',
          doc: 'forecast_only: recommend, deliver nothing (dry run).',
        },
        instanceClass: {
          kind: 'string',
          default: '',
          doc: 'Class added when more is needed; default: the first class.',
        },
        targetUtilization: {
          kind: 'number',
          above: 0,
          max: 1,
          default: 0.8,
          doc: 'Share of effective capacity planned to be reserved.',
        },
        minInstances: {
          kind: 'number',
          integer: true,
          min: 0,
          default: 1,
          doc: 'Fewest instances of the class.',
        },
        maxInstances: {
          kind: 'number',
          integer: true,
          min: 1,
          default: 1000,
          doc: 'Most instances of the class.',
        },
        maxScaleInStep: {
          kind: 'number',
          integer: true,
          min: 0,
          default: 1,
          doc: 'Most instances removed per cycle.',
        },
        webhook: WEBHOOK,
        kubernetes: KUBERNETES,
      },
    },
  },
};
