import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimClock } from '../../../control-plane/domain/clock';
import {
  DEFAULT_POLICY_FILE,
  InfluxUnavailableAtStartError,
  startControlPlane,
} from '../../../control-plane/service';
import { Store } from '../../../control-plane/store';
import { freePort } from '../../../scripts/influxdb/local-influxd';
import { ControlledEngine } from './controlled-engine';
import { MINUTE, startWorld, T0, testSettings, type World } from './support';

async function metric(w: World, name: string, labels: string): Promise<number> {
  const text = await w.cp.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

const api = (w: World, p: string) =>
  fetch(w.cp.apiUrl + p, { headers: { authorization: `Bearer ${w.settings.apiToken}` } });

const onProxies = (w: World, version: string) =>
  w.until(
    () => w.fleet.planVersions().every((v) => v === version || !!v?.startsWith(version + '+')),
    `plan ${version} on the proxies`,
  );

describe('control-plane/service: cycle behaviour (SimClock, real InfluxDB, emulated proxies)', function () {
  this.timeout(120_000);
  let w: World | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it('never overlaps cycles: ticks that find one running are skipped and counted', async () => {
    const engine = await ControlledEngine.create();
    w = await startWorld({ engine, runFirstCycle: false, warmupSteps: 0 });
    engine.hold();
    await w.until(() => engine.active === 1, 'the first cycle inside its forecast');
    assert.equal(w.cp.cycle.trigger(), undefined, 'a cycle asked for while one runs is refused');
    const before = w.cp.status().cycle.skipped;
    await w.clock.advance(3 * MINUTE);
    const st = w.cp.status().cycle;
    assert.equal(st.state, 'running');
    assert.equal(st.runs, 1);
    assert.equal(st.skipped, before + 3);
    assert.equal(await metric(w, 'earmark_cycles_total', 'outcome="skipped"'), st.skipped);
    engine.release();
    await w.cp.cycle.idle();
    await w.clock.advance(MINUTE);
    await w.cp.cycle.idle();
    assert.equal(engine.maxActive, 1, 'the engine never ran two cycles at once');
    assert.equal(w.cp.status().cycle.runs, 2);
    assert.equal(w.cp.status().cycle.succeeded, 2);
  });

  it('a failing stage keeps the last good plan in force and says why (status, metric, readiness)', async () => {
    const engine = await ControlledEngine.create();
    w = await startWorld({ engine, warmupSteps: 0 });
    await w.cp.cycle.idle();
    const good = w.cp.currentPlan()!.version;
    await onProxies(w, good);
    const held = w.fleet.reservation('steady-gold');
    assert.ok(held);

    engine.failWith = new Error('model server exploded');
    await w.clock.advance(MINUTE);
    await w.cp.cycle.idle();
    let st = w.cp.status().cycle;
    assert.equal(st.last!.ok, false);
    assert.equal(st.last!.failedStage, 'forecast');
    assert.match(st.last!.error!, /model server exploded/);
    assert.deepEqual(
      st.last!.stages.map((s) => s.stage),
      ['read', 'forecast'],
    );
    assert.equal(st.planVersion, good);
    assert.equal(w.cp.currentPlan()!.version, good);
    assert.equal(await metric(w, 'earmark_cycle_failures_total', 'stage="forecast"'), 1);
    const line = w.logs.find((l) => l.level === 'error' && l.fields?.stage === 'forecast');
    assert.match(line!.msg, /last good plan stays in force/);
    assert.equal(line!.fields!.plan, good);
    // Degraded, not unready: the plan is still served, so the pod stays in its Service.
    const ready = await fetch(w.cp.apiUrl + '/readyz');
    const body = (await ready.json()) as {
      degraded: boolean;
      checks: { name: string; detail: string; degradesOnly?: boolean }[];
    };
    assert.equal(ready.status, 200);
    assert.equal(body.degraded, true);
    const cycleCheck = body.checks.find((c) => c.name === 'cycle');
    assert.match(cycleCheck!.detail, /failed at forecast: model server exploded; plan .* stays in force/);
    assert.equal(cycleCheck!.degradesOnly, true);
    assert.equal(((await (await api(w, '/v1/plan')).json()) as { version: string }).version, good);
    assert.deepEqual(w.fleet.planVersions(), [good]);
    assert.deepEqual(w.fleet.reservation('steady-gold')?.address, held.address);

    // A policy version that does not parse fails the read stage the same way.
    engine.failWith = undefined;
    await w.cp.store.writePolicy({
      version: '2',
      yaml: 'tiers: 5\n',
      author: 'test',
      savedAtMs: w.clock.now(),
    });
    await w.clock.advance(MINUTE);
    await w.cp.cycle.idle();
    st = w.cp.status().cycle;
    assert.equal(st.last!.failedStage, 'read');
    assert.match(st.last!.error!, /policy version 2/);
    assert.equal(st.planVersion, good);

    // Fixed: the next cycle publishes again.
    const valid = (await w.cp.store.readPolicyVersion('1'))!;
    await w.cp.store.writePolicy({ ...valid, version: '3', savedAtMs: w.clock.now() });
    await w.clock.advance(MINUTE);
    await w.cp.cycle.idle();
    st = w.cp.status().cycle;
    assert.equal(st.last!.ok, true);
    assert.notEqual(st.planVersion, good);
    await onProxies(w, st.planVersion!);
  });

  it('tops up on a shortfall at once: the bigger reservation reaches the proxy before the next cycle', async () => {
    w = await startWorld({ warmupSteps: 0 });
    w.driver.detach(); // only the requests below
    await w.cp.cycle.idle();
    const plan = w.cp.currentPlan()!.version;
    await onProxies(w, plan);
    const before = w.fleet.reservation('steady-gold');
    assert.ok(
      before,
      `steady-gold holds a reservation: ${JSON.stringify(w.cp.currentPlan()!.reservations.get('steady-gold'))}`,
    );
    assert.equal(before.onExhausted, 'top_up');
    const runs = w.cp.status().cycle.runs;
    // More concurrent requests than the reservation holds: the extra ones are flagged as shortfall.
    const open = Array.from({ length: before.slots + 4 }, () => w!.fleet.send('steady-gold'));
    assert.ok(
      open.some((r) => r.decision === 'queued'),
      open.map((r) => r.decision).join(),
    );
    const world = w;
    await w.until(
      () => (world.fleet.reservation('steady-gold')?.slots ?? 0) > before.slots,
      'the topped-up reservation',
    );
    assert.ok(w.clock.now() < T0 + MINUTE + 12_000, 'before the next cycle tick');
    assert.equal(w.cp.status().cycle.runs, runs, 'no cycle ran in between');
    assert.equal(w.fleet.planVersions()[0], `${plan}+t1`);
    const t = w.cp.status().cycle.topUps;
    assert.ok(t.granted + t.partial >= 1 && t.publishes >= 1, JSON.stringify(t));
    const granted = await metric(w, 'earmark_topups_total', 'outcome="granted"');
    const partial = await metric(w, 'earmark_topups_total', 'outcome="partial"');
    assert.equal(granted + partial, t.granted + t.partial);
    for (const r of open) r.finish();
  });

  it('stop() flushes the writer and closes every port; a restart serves the stored plan until its first cycle', async () => {
    w = await startWorld({ warmupSteps: 0 });
    await w.minute();
    await w.minute();
    const plan = w.cp.currentPlan()!.version;
    const { apiUrl, grpcAddress, settings } = w.cp;
    const accepted = w.cp.distribution.usageNodes().find((n) => n.nodeId === 'edge-1')?.acceptedSequence ?? 0;
    await w.close();
    await w.cp.stop(); // a second stop is harmless
    w = undefined;
    assert.ok(accepted > 0, 'the proxy reported usage');

    await assert.rejects(fetch(apiUrl + '/healthz'), 'the API port is closed');
    const [host, port] = grpcAddress.split(':');
    await assert.rejects(
      new Promise((ok, fail) => net.connect(Number(port), host).once('connect', ok).once('error', fail)),
      'the gRPC port is closed',
    );
    const store = await Store.open({
      url: settings.influxUrl,
      database: settings.influxDatabase,
      spoolDir: path.join(settings.dataDir, 'check-spool'),
    });
    try {
      assert.equal((await store.readLatestPlan())?.version, plan, 'the last plan is stored');
      assert.ok(
        (await store.readLastUsageSequence('edge-1', T0)) >= accepted,
        'usage accepted before stop is stored',
      );
    } finally {
      await store.close();
    }

    // Restart on the same database without running a cycle: the stored plan is in force and served.
    // With the token-free metrics listener on (metricsPort), which the API port does not replace.
    const clock = new SimClock(T0 + 3 * MINUTE);
    const metricsPort = await freePort();
    const again = await startControlPlane(
      { ...settings, apiPort: 0, grpcPort: 0, metricsPort },
      { clock, runFirstCycle: false, warmupSteps: 0, retrainEveryMs: 0 },
    );
    try {
      assert.equal(again.currentPlan()?.version, plan);
      assert.equal(again.distribution.cache.systemVersion, plan);
      // Ready (degraded) before its first cycle: a restarted or newly elected replica serving the
      // stored plan must be in its Service, or proxies could not reach the plan it serves.
      const ready = await fetch(again.apiUrl + '/readyz');
      const rb = (await ready.json()) as {
        checks: { name: string; detail: string; degradesOnly?: boolean }[];
      };
      assert.equal(ready.status, 200, JSON.stringify(rb));
      const cc = rb.checks.find((c) => c.name === 'cycle')!;
      assert.equal(cc.degradesOnly, true);
      assert.equal(cc.detail, `no cycle yet; serving the stored plan ${plan}`);
      assert.equal(again.metricsUrl, `http://127.0.0.1:${metricsPort}/metrics`);
      const scraped = await fetch(again.metricsUrl!);
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^earmark_distribution_cache_resources \d+/m);
      assert.equal(
        (await fetch(`${again.apiUrl}/metrics`)).status,
        401,
        'the API port still wants the token',
      );
    } finally {
      await again.stop();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`), 'closed with the rest');
  });

  it('delivers scaling recommendations as the policy says (webhook, after the plan is published)', async () => {
    const received: { planVersion: string; mode: string; recommendations: { delta: number }[] }[] = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req
        .on('data', (c) => (body += c))
        .on('end', () => {
          received.push(JSON.parse(body));
          res.writeHead(204).end();
        });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    try {
      const base = fs.readFileSync(DEFAULT_POLICY_FILE, 'utf8');
      const policy = base.replace(
        /scaling:\n[\s\S]*$/,
        'scaling:\n  mode: forecast_and_scale\n  instanceClass: standard\n  minInstances: 4\n  maxInstances: 10\n' +
          `  webhook:\n    url: http://127.0.0.1:${(hook.address() as net.AddressInfo).port}/scale\n    retries: 0\n`,
      );
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-policy-')), 'policy.yaml');
      fs.writeFileSync(file, policy);
      w = await startWorld({ warmupSteps: 0 }, { policyFile: file });
      await w.cp.cycle.idle();
      const world = w;
      await w.until(() => world.cp.status().scaling.deliveries > 0, 'a scaling delivery');
      const plan = w.cp.currentPlan()!;
      assert.ok(
        plan.scaling.some((r) => r.delta > 0),
        'two instances, four wanted: a scale-out',
      );
      assert.equal(received.length, 1);
      assert.equal(received[0].planVersion, plan.version);
      assert.equal(received[0].mode, 'forecast_and_scale');
      assert.deepEqual(received[0].recommendations, JSON.parse(JSON.stringify(plan.scaling)));
      assert.equal(w.cp.status().scaling.last?.webhook?.ok, true);
      assert.equal(await metric(w, 'earmark_scaling_deliveries_total', 'outcome="delivered"'), 1);
    } finally {
      hook.close();
    }
  });

  it('refuses to start, with a clear error, when InfluxDB does not answer (and leaves nothing open)', async () => {
    const dead = await freePort();
    const apiPort = await freePort();
    const settings = await testSettings({ influxUrl: `http://127.0.0.1:${dead}`, apiPort });
    await assert.rejects(startControlPlane(settings, { influxWaitMs: 300 }), (err: Error) => {
      assert.ok(err instanceof InfluxUnavailableAtStartError);
      assert.match(
        err.message,
        new RegExp(`InfluxDB at http://127.0.0.1:${dead} does not answer \\(ECONNREFUSED\\)`),
      );
      assert.match(err.message, /npm run influx:start/);
      return true;
    });
    await new Promise<void>((ok, fail) => {
      const s = net.createServer().once('error', fail);
      s.listen(apiPort, '127.0.0.1', () => s.close(() => ok()));
    });
  });
});
