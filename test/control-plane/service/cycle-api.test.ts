/**
 * GET/POST /v1/cycle on the real service: a cycle run through the API publishes a plan the proxies
 * receive, its report carries every stage's time, a second request while one runs is refused (no
 * overlap), and a failed cycle is reported while the last good plan stays in force.
 */
import { strict as assert } from 'node:assert';
import { ControlledEngine } from './controlled-engine';
import { startWorld, type World } from './support';

interface Report {
  cycle: number;
  ok: boolean;
  failedStage?: string;
  error?: string;
  stages: { stage: string; ms: number }[];
  planVersion?: string;
  users: number;
}

describe('control-plane/service: the cycle over the API (SimClock, real InfluxDB, emulated proxies)', function () {
  this.timeout(120_000);
  let w: World | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  const call = (method: string, p: string, token = w!.settings.apiToken) =>
    fetch(w!.cp.apiUrl + p, { method, headers: { authorization: `Bearer ${token}` } });

  it('runs a cycle on POST, reports its stage timings, refuses an overlapping one, and reports failures', async () => {
    const engine = await ControlledEngine.create();
    w = await startWorld({ engine, runFirstCycle: false, warmupSteps: 0 });
    assert.equal(w.cp.status().cycle.runs, 0);

    // No token: nothing runs.
    assert.equal((await call('POST', '/v1/cycle', 'wrong')).status, 401);
    assert.equal(w.cp.status().cycle.runs, 0);

    const res = await call('POST', '/v1/cycle?wait=true');
    assert.equal(res.status, 200);
    const report = (await res.json()) as Report;
    assert.equal(report.ok, true, report.error);
    assert.equal(report.cycle, 1);
    assert.deepEqual(
      report.stages.map((s) => s.stage),
      ['read', 'forecast', 'allocate', 'publish', 'record'],
    );
    assert.ok(report.stages.every((s) => s.ms >= 0));
    assert.equal(report.users, w.workload.users.length);
    assert.equal(report.planVersion, w.cp.currentPlan()!.version);
    const version = report.planVersion!;
    await w.until(() => w!.fleet.planVersions().every((v) => v === version), 'the plan on the proxy');

    // One held inside its forecast: a second POST is refused and nothing overlaps.
    engine.hold();
    const started = await call('POST', '/v1/cycle');
    assert.equal(started.status, 202);
    assert.deepEqual(((await started.json()) as { cycle: number }).cycle, 2);
    await w.until(() => engine.active === 1, 'the second cycle inside its forecast');
    const refused = await call('POST', '/v1/cycle?wait=true');
    assert.equal(refused.status, 409);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'CYCLE_RUNNING');
    const running = (await (await call('GET', '/v1/cycle')).json()) as { state: string; skipped: number };
    assert.equal(running.state, 'running');
    assert.equal(running.skipped, 1);
    engine.release();
    await w.cp.cycle.idle();
    assert.equal(engine.maxActive, 1);

    // A failing stage: the report says where and why; the plan in force does not change.
    const inForce = w.cp.currentPlan()!.version;
    engine.failWith = new Error('model server exploded');
    const failed = (await (await call('POST', '/v1/cycle?wait=true')).json()) as Report;
    assert.equal(failed.ok, false);
    assert.equal(failed.failedStage, 'forecast');
    assert.match(failed.error!, /model server exploded/);
    assert.equal(failed.planVersion, undefined);

    const got = (await (await call('GET', '/v1/cycle?recent=5')).json()) as {
      runs: number;
      succeeded: number;
      failed: number;
      planVersion: string;
      lastSuccess: Report;
      recent: Report[];
    };
    assert.deepEqual([got.runs, got.succeeded, got.failed], [3, 2, 1]);
    assert.equal(got.planVersion, inForce);
    assert.equal(got.lastSuccess.planVersion, inForce);
    assert.deepEqual(
      got.recent.map((r) => [r.cycle, r.ok]),
      [
        [3, false],
        [2, true],
        [1, true],
      ],
    );
    assert.deepEqual(got.recent[2], report);
  });
});
