/** The cycle's component schemas: GET/POST /v1/cycle (routes/cycle.ts), views in api/port.ts. */
import { ref, type JsonSchema } from '../route';
import { count, ms, obj } from './schema-builders';

const cycleReport = obj(
  {
    cycle: { type: 'integer', minimum: 1 },
    startedAtMs: ms('Service clock (simulated time when replaying).'),
    originMs: ms('End of the last demand step read; the forecast starts here.'),
    ok: { type: 'boolean' },
    failedStage: { enum: ['read', 'forecast', 'allocate', 'publish', 'record'] },
    error: { type: 'string', description: 'Why the stage failed.' },
    stages: {
      type: 'array',
      items: obj(
        {
          stage: { enum: ['read', 'forecast', 'allocate', 'publish', 'record'] },
          ms: count('Real processing milliseconds.'),
        },
        ['stage', 'ms'],
      ),
    },
    totalMs: count('Real milliseconds for the whole cycle.'),
    users: { type: 'integer', minimum: 0, description: 'Users forecast.' },
    reserved: { type: 'integer', minimum: 0, description: 'Users holding a reservation.' },
    squeezed: { type: 'integer', minimum: 0, description: 'Users cut back by capacity.' },
    instancesUsed: { type: 'integer', minimum: 0 },
    policyVersion: { type: 'string' },
    planVersion: { type: 'string', description: 'The plan published (absent when it failed before).' },
    published: obj(
      {
        updated: { type: 'integer', minimum: 0 },
        removed: { type: 'integer', minimum: 0 },
        unchanged: { type: 'integer', minimum: 0 },
      },
      ['updated', 'removed', 'unchanged'],
    ),
    models: {
      type: 'object',
      additionalProperties: { type: 'integer', minimum: 0 },
      description: 'Users per forecast model.',
    },
  },
  [
    'cycle',
    'startedAtMs',
    'originMs',
    'ok',
    'stages',
    'totalMs',
    'users',
    'reserved',
    'squeezed',
    'instancesUsed',
  ],
  'One cycle: what it did and how long each stage took.',
);

export const CYCLE_SCHEMAS: Record<string, JsonSchema> = {
  CycleReport: cycleReport,
  Cycle: obj(
    {
      state: { enum: ['idle', 'running', 'stopped'] },
      intervalMs: ms('Time between cycles.'),
      runs: { type: 'integer', minimum: 0, description: 'Cycles run (ok + failed).' },
      succeeded: { type: 'integer', minimum: 0 },
      failed: { type: 'integer', minimum: 0 },
      skipped: {
        type: 'integer',
        minimum: 0,
        description: 'Ticks (and POST /v1/cycle) refused because a cycle was running.',
      },
      nextAtMs: ms('Next tick (service clock).'),
      planVersion: { type: 'string', description: 'The plan in force.' },
      last: ref('CycleReport'),
      lastSuccess: ref('CycleReport'),
      topUps: obj(
        {
          requested: { type: 'integer', minimum: 0 },
          granted: { type: 'integer', minimum: 0 },
          partial: { type: 'integer', minimum: 0 },
          refused: { type: 'integer', minimum: 0 },
          publishes: { type: 'integer', minimum: 0 },
          lastReason: { type: 'string' },
        },
        ['requested', 'granted', 'partial', 'refused', 'publishes'],
        'Shortfall top-ups between cycles.',
      ),
      recent: { type: 'array', items: ref('CycleReport'), description: 'The last reports, newest first.' },
    },
    ['state', 'intervalMs', 'runs', 'succeeded', 'failed', 'skipped', 'topUps', 'recent'],
  ),
  CycleStarted: obj({ cycle: { type: 'integer', minimum: 1 }, startedAtMs: ms('Service clock.') }, [
    'cycle',
    'startedAtMs',
  ]),
};
