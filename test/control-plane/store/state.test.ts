import { strict as assert } from 'node:assert';
import { RESOURCES, type ForecastBatch } from '../../../control-plane/domain/demand';
import type { Instance } from '../../../control-plane/domain/instance';
import type { Plan } from '../../../control-plane/domain/plan';
import type { Reservation } from '../../../control-plane/domain/reservation';
import { Store } from '../../../control-plane/store';
import { openTestStore, recentMinute } from './helpers';

function reservation(user: string, instanceId: string, slots: number): Reservation {
  return {
    user,
    instanceId,
    instanceAddress: `${instanceId}.svc:8080`,
    slots,
    ratePerMinute: slots * 60,
    burst: 0,
    cpuMillicores: 250 * slots,
    memoryMb: 128 * slots,
    bandwidthKbps: 100,
    tier: 'gold',
    priority: 10,
    maxQueueWaitMs: 500,
    onExhausted: 'redirect',
    notBeforeMs: 1_000,
    expiresMs: 2_000,
    fallback: user === 'u,1 x' ? 'fallback-cluster' : '',
  };
}

describe('store: what the control plane remembers across restarts', () => {
  let store: Store;
  const t = recentMinute(30);
  beforeEach(async () => (store = await openTestStore()));
  afterEach(() => store?.close());

  it('keeps every policy version with its YAML text, newest active', async () => {
    const yaml1 = '# tiers\ntiers:\n  gold: { quantile: 0.99 }\n  name: "quoted \\\\ back"\n';
    await store.writePolicy({ version: 'v1', yaml: yaml1, author: 'ana', savedAtMs: t });
    await store.writePolicy({ version: 'v2', yaml: 'tiers: {}\n', author: 'bo', savedAtMs: t + 1000 });
    assert.deepEqual(await store.readLatestPolicy(), {
      version: 'v2',
      yaml: 'tiers: {}\n',
      author: 'bo',
      savedAtMs: t + 1000,
    });
    const history = await store.readPolicyHistory();
    assert.deepEqual(
      history.map((p) => p.version),
      ['v2', 'v1'],
    );
    assert.equal((await store.readPolicyVersion('v1'))?.yaml, yaml1);
    assert.equal(await store.readPolicyVersion('v9'), undefined);
  });

  it('returns no policy, plan or instances from an empty database', async () => {
    assert.equal(await store.readLatestPolicy(), undefined);
    assert.equal(await store.readLatestPlan(), undefined);
    assert.deepEqual(await store.readInstances(), []);
    assert.deepEqual(await store.readEvents(), []);
    assert.equal((await store.readProfiles()).size, 0);
  });

  it('round-trips user profiles (latest point wins) and context observations', async () => {
    await store.writeProfiles([
      { user: 'a b', tier: 'free', updatedAtMs: t },
      {
        user: 'x=y',
        tier: 'gold',
        preferences: { region: 'eu' },
        context: { device: 'mobile', networkQuality: 0.4 },
        updatedAtMs: t,
      },
    ]);
    await store.writeProfiles([
      { user: 'a b', tier: 'silver', context: { location: 'eu-west' }, updatedAtMs: t + 5 },
    ]);
    const p = await store.readProfiles();
    assert.deepEqual(p.get('a b'), {
      user: 'a b',
      tier: 'silver',
      context: { location: 'eu-west' },
      updatedAtMs: t + 5,
    });
    assert.deepEqual(p.get('x=y'), {
      user: 'x=y',
      tier: 'gold',
      preferences: { region: 'eu' },
      context: { device: 'mobile', networkQuality: 0.4 },
      updatedAtMs: t,
    });
    assert.deepEqual([...(await store.readProfiles(['x=y'])).keys()], ['x=y']);
    await store.writeContexts([
      { user: 'a b', atMs: t, context: { network: '4g', networkQuality: 0.7 } },
      { user: 'a b', atMs: t + 60_000, context: { network: 'wifi', networkQuality: 0.9 } },
    ]);
    const obs = await store.readContexts({ fromMs: t, toMs: t + 120_000 });
    assert.deepEqual(
      obs.map((o) => o.context.network),
      ['4g', 'wifi'],
    );
  });

  it('keeps the registry of instances, with removals', async () => {
    const i1: Instance = {
      id: 'i-1',
      address: '10.0.0.1:8080',
      instanceClass: 'small',
      capacity: { slots: 50, cpuMillicores: 2000, memoryMb: 4096, bandwidthKbps: 100_000 },
      state: 'ready',
      readyAtMs: t - 1000,
    };
    const i2: Instance = {
      ...i1,
      id: 'i-2',
      address: '10.0.0.2:8080',
      state: 'warming',
      readyAtMs: undefined,
    };
    await store.writeInstances([i2, i1], t);
    assert.deepEqual(await store.readInstances(), [i1, i2]);
    await store.removeInstance('i-1', t + 1);
    await store.writeInstances([{ ...i2, state: 'ready' }], t + 1);
    assert.deepEqual(await store.readInstances(), [{ ...i2, state: 'ready' }]);
  });

  it('reads instance load: the latest per instance, and per-step windows with gaps as NaN', async () => {
    const cap = { slots: 10, cpuMillicores: 1000, memoryMb: 512, bandwidthKbps: 1000 };
    await store.writeInstanceLoad([
      { instanceId: 'i-1', atMs: t, cpuMillicores: 100, memoryMb: 200, bandwidthKbps: 30, inFlight: 1 },
      {
        instanceId: 'i-1',
        atMs: t + 30_000,
        cpuMillicores: 300,
        memoryMb: 220,
        bandwidthKbps: 50,
        inFlight: 3,
        capacity: cap,
      },
      {
        instanceId: 'i-2',
        atMs: t + 120_000,
        cpuMillicores: 10,
        memoryMb: 20,
        bandwidthKbps: 5,
        inFlight: 0,
      },
    ]);
    const latest = await store.readLatestInstanceLoad(t - 1);
    assert.deepEqual(latest.get('i-1'), {
      instanceId: 'i-1',
      atMs: t + 30_000,
      cpuMillicores: 300,
      memoryMb: 220,
      bandwidthKbps: 50,
      inFlight: 3,
      capacity: cap,
    });
    assert.equal(latest.get('i-2')?.inFlight, 0);
    const w = await store.readInstanceLoadWindows({ fromMs: t, toMs: t + 180_000 });
    assert.deepEqual(w.instances, ['i-1', 'i-2']);
    assert.equal(w.steps, 3);
    assert.equal(w.values[0 * w.steps + 0], 200); // i-1 cpu mean of minute 0
    assert.ok(Number.isNaN(w.values[0 * w.steps + 1]));
    assert.equal(w.values[(1 * w.metrics.length + 3) * w.steps + 2], 0); // i-2 in-flight, minute 2
  });

  it('stores plans and reads back the latest one complete', async () => {
    const plan = (version: string, at: number, users: string[]): Plan => ({
      version,
      issuedAtMs: at,
      reservations: new Map(users.map((u, i) => [u, reservation(u, `i-${i % 2}`, i + 1)])),
      squeezed: [
        {
          user: users[0],
          tier: 'gold',
          wanted: { slots: 5, cpuMillicores: 1, memoryMb: 2, bandwidthKbps: 3 },
          granted: { slots: 2, cpuMillicores: 1, memoryMb: 2, bandwidthKbps: 3 },
          reason: 'capacity',
        },
      ],
      scaling: [
        { instanceClass: 'small', delta: 2, desired: 4, neededAtMs: at + 300_000, reason: 'forecast' },
        { instanceClass: 'small', delta: -1, desired: 3, neededAtMs: at + 900_000, reason: 'later' },
      ],
    });
    await store.writePlan(plan('p1', t, ['u0', 'u,1 x', 'u2']));
    const p2 = plan('p2', t + 60_000, ['u,1 x', 'u3']);
    await store.writePlan(p2);
    const got = await store.readLatestPlan();
    assert.deepEqual(got, p2);
  });

  it("keeps a plan's overflow room with its reservations (a restart counts it as before)", async () => {
    const users = ['r0', 'r1', 'r2'];
    const room = { slots: 3, cpuMillicores: 150, memoryMb: 384, bandwidthKbps: 0 };
    const plan: Plan = {
      version: 'p-room',
      issuedAtMs: t + 120_000,
      reservations: new Map(users.map((u, i) => [u, reservation(u, 'i-0', i + 1)])),
      squeezed: [],
      scaling: [],
      overflowRoom: new Map([['r1', room]]),
    };
    await store.writePlan(plan);
    const got = await store.readLatestPlan();
    assert.deepEqual(got?.overflowRoom, new Map([['r1', room]]), 'only r1 kept room');
    assert.deepEqual(got, plan);
  });

  it('stores events; an update or a delete is a newer point', async () => {
    const e = {
      id: 'sale',
      name: 'Summer sale',
      startMs: t,
      endMs: t + 3_600_000,
      multiplier: 3,
      updatedAtMs: t,
    };
    await store.writeEvents([
      e,
      {
        ...e,
        id: 'match',
        name: 'Match',
        users: ['a'],
        tiers: ['gold'],
        startMs: t + 7_200_000,
        endMs: t + 9_000_000,
      },
    ]);
    assert.deepEqual(
      (await store.readEvents()).map((x) => x.id),
      ['sale', 'match'],
    );
    assert.deepEqual(
      (await store.readEvents(t + 7_000_000, t + 8_000_000)).map((x) => x.users),
      [['a']],
    );
    await store.writeEvents([{ ...e, multiplier: 4, updatedAtMs: t + 1 }]);
    await store.deleteEvent('match', t + 2);
    assert.deepEqual(await store.readEvents(), [{ ...e, multiplier: 4, updatedAtMs: t + 1 }]);
  });

  it('stores forecasts per user, resource, quantile and horizon step', async () => {
    const users = ['a', 'b'];
    const quantiles = [0.5, 0.99];
    const horizon = 3;
    const values = new Float32Array(users.length * RESOURCES.length * quantiles.length * horizon);
    values.forEach((_, i) => (values[i] = i));
    const batch: ForecastBatch = {
      issuedAtMs: t,
      stepMs: 60_000,
      horizon,
      quantiles,
      resources: RESOURCES,
      users,
      values,
      modelOf: new Uint16Array([0, 1]),
      models: ['naive', 'lstm'],
    };
    await store.writeForecasts(batch, { horizons: [1, 3], resources: ['requests', 'memory'] });
    const got = await store.readForecasts({ user: 'b', fromMs: t, toMs: t + 10 * 60_000 });
    assert.equal(got.length, 4);
    const base = (1 * RESOURCES.length + 0) * quantiles.length * horizon; // user b, requests
    assert.deepEqual(got[0], {
      user: 'b',
      resource: 'requests',
      horizon: 1,
      targetMs: t,
      issuedAtMs: t,
      model: 'lstm',
      quantiles: { 0.5: base, 0.99: base + horizon },
    });
    assert.deepEqual(
      got.map((f) => [f.resource, f.horizon, f.targetMs - t]),
      [
        ['requests', 1, 0],
        ['memory', 1, 0],
        ['requests', 3, 120_000],
        ['memory', 3, 120_000],
      ],
    );
    assert.equal(
      (await store.readForecasts({ user: 'b', fromMs: t, toMs: t + 600_000, resource: 'memory', horizon: 3 }))
        .length,
      1,
    );
  });

  it('remembers the last usage report sequence per proxy', async () => {
    const r = { nodeId: 'envoy-1', intervalStartMs: t, intervalMs: 10_000, planVersion: 'p', users: [] };
    await store.writeUsage({ ...r, sequence: 41 });
    await store.writeUsage({ ...r, sequence: 42, intervalStartMs: t + 10_000 });
    assert.equal(await store.readLastUsageSequence('envoy-1', t - 1), 42);
    assert.equal(await store.readLastUsageSequence('envoy-2', t - 1), 0);
  });

  it('survives a restart: a new Store on the same database sees it all', async () => {
    await store.writePolicy({ version: 'v7', yaml: 'x: 1\n', author: 'a', savedAtMs: t });
    await store.close();
    const again = await Store.open({
      url: store.url,
      database: store.database,
      spoolDir: store.writer.spoolDir,
    });
    try {
      assert.equal((await again.readLatestPolicy())?.version, 'v7');
    } finally {
      await again.close();
    }
  });
});
