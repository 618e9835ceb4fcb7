/**
 * InfluxDB that accepts connections but never answers: /readyz must answer within the probe
 * timeout, and store reads must give up with a 503 instead of each waiting the 30 s request
 * timeout. A fake store stands in (hung or slow on demand), so timings do not depend on influxd;
 * /tmp/review-api/hung-influx*.test.ts showed the same against a black-holed real one.
 */
import { strict as assert } from 'node:assert';
import { createApi } from '../../../control-plane/api/app';
import { startApiServer, type ApiServer } from '../../../control-plane/api/server';
import { StoreState } from '../../../control-plane/api/state/store-state';
import type { DemandEvent } from '../../../control-plane/domain/event';
import type { Plan } from '../../../control-plane/domain/plan';
import type { Store } from '../../../control-plane/store';
import { createRegistry } from '../../../control-plane/telemetry';
import { quietLogger } from './support/harness';
import * as seed from './support/seed';

const TOKEN = 'hung-store-token';
const PING_MS = 150;
const WATCH_MS = 300;
const never = () => new Promise<never>(() => undefined);
const after = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

/** The store calls the API makes here, each hung unless told to answer. */
class FakeStore {
  url = 'http://influx.test:8086';
  hung = true;
  readEventsMs = 0;
  readCalls = 0;
  ping = () => (this.hung ? never() : Promise.resolve(true));
  readLatestPlan = (): Promise<Plan | undefined> => never();
  readEvents = (): Promise<DemandEvent[]> => {
    this.readCalls++;
    return this.hung ? never() : after(this.readEventsMs, []);
  };
}

describe('api: InfluxDB accepts connections but never answers', function () {
  this.timeout(10_000);
  let fake: FakeStore;
  let server: ApiServer | undefined;
  const start = async (plan?: Plan) => {
    fake = new FakeStore();
    const state = new StoreState({
      store: fake as unknown as Store,
      now: Date.now,
      forecastStepMs: 60_000,
      planRefreshMs: 0,
      ...(plan && { plan: () => plan }),
      health: { pingBudgetMs: PING_MS, watchMs: WATCH_MS, recheckMs: 1000 },
    });
    const api = createApi({
      state,
      tokens: [TOKEN],
      registry: createRegistry({ defaultMetrics: false }),
      logger: quietLogger([]),
      validateResponses: true,
    });
    server = await startApiServer(api.app);
  };
  const call = async (p: string) => {
    const t0 = performance.now();
    const res = await fetch(server!.url + p, {
      headers: { authorization: `Bearer ${TOKEN}` },
      // Without the fix a request never ends; give up so the server can close and the next case run.
      signal: AbortSignal.timeout(3000),
    });
    return { status: res.status, json: await res.json(), ms: performance.now() - t0 };
  };
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('/readyz answers 200 degraded within the ping budget while a live plan is in force', async () => {
    await start(seed.plan(3, seed.instances(2), Date.now()));
    const r = await call('/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.json.degraded, true);
    assert.match(r.json.checks[0].detail, /does not answer \/ping within 150 ms/);
    assert.ok(r.ms < PING_MS + 400, `/readyz took ${r.ms.toFixed(0)} ms`);
  });

  it('/readyz answers 503 promptly without a plan (the plan read fails fast too)', async () => {
    await start();
    const r = await call('/readyz');
    assert.equal(r.status, 503);
    assert.ok(r.ms < PING_MS + 400, `/readyz took ${r.ms.toFixed(0)} ms`);
  });

  it('a waiting read gives up with 503 after a failed ping; the next fails at once', async () => {
    await start();
    const first = await call('/v1/events');
    assert.equal(first.status, 503);
    assert.equal(first.json.error.code, 'DEPENDENCY_UNAVAILABLE');
    assert.ok(first.ms < WATCH_MS + PING_MS + 400, `first read took ${first.ms.toFixed(0)} ms`);
    const second = await call('/v1/events');
    assert.equal(second.status, 503);
    assert.ok(second.ms < 100, `second read took ${second.ms.toFixed(0)} ms`);
    assert.equal(fake.readCalls, 1, 'the store is not asked while known hung');
  });

  it('reads resume once a ping answers, and a slow read of a live store is not cut short', async () => {
    await start();
    assert.equal((await call('/v1/events')).status, 503);
    fake.hung = false;
    fake.readEventsMs = 3 * WATCH_MS;
    await after(1000, undefined); // the failed ping is no longer believed
    const r = await call('/v1/events');
    assert.equal(r.status, 200);
    assert.ok(r.ms >= 3 * WATCH_MS - 20, `answered after ${r.ms.toFixed(0)} ms`);
  });
});
