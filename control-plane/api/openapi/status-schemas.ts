/**
 * The service's own status schemas: /healthz, /readyz (routes/health.ts) and the proxies' plan
 * status (GET /v1/proxies). Split from schemas.ts, which keeps the resources' schemas.
 */
import type { JsonSchema } from '../route';
import { ms, obj } from './schema-builders';

const check = obj(
  {
    name: { type: 'string' },
    ok: { type: 'boolean' },
    detail: { type: 'string' },
    degradesOnly: {
      type: 'boolean',
      description: 'A failure here degrades the service (the last plan stays in force) but leaves it ready.',
    },
  },
  ['name', 'ok'],
);

export const STATUS_SCHEMAS: Record<string, JsonSchema> = {
  ProxyStatusList: obj(
    {
      planVersion: {
        type: 'string',
        description: 'Version of the current plan, to compare with ackedVersion.',
      },
      items: {
        type: 'array',
        items: obj(
          {
            nodeId: { type: 'string' },
            connected: { type: 'boolean' },
            ackedVersion: { type: 'string' },
            revisionsBehind: { type: 'integer', minimum: 0 },
            secondsBehind: { type: 'number', minimum: 0 },
            lastAckAtMs: ms('Last ACK.'),
            nacks: { type: 'integer', minimum: 0 },
            lastNack: { type: 'string' },
          },
          ['nodeId', 'connected', 'revisionsBehind', 'secondsBehind', 'nacks'],
        ),
      },
    },
    ['items'],
  ),
  Health: obj({ status: { const: 'ok' } }, ['status']),
  Readiness: obj(
    {
      ready: { type: 'boolean' },
      degraded: { type: 'boolean', description: 'Some check failed that only degrades (see checks).' },
      checks: { type: 'array', items: check },
    },
    ['ready', 'degraded', 'checks'],
  ),
};
