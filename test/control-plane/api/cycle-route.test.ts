/**
 * GET and POST /v1/cycle over a cycle runner the test controls: the report of the cycle a request
 * ran, refusal while one runs (never a second, overlapping cycle), failed cycles reported as such,
 * recent reports newest first, an API without a cycle, and bad query parameters.
 */
import { strict as assert } from 'node:assert';
import { FakeCycle } from './support/fake-cycle';
import { startHarness, type Harness } from './support/harness';

const NOW = Date.UTC(2024, 4, 1, 12);

/** Waits (bounded) until a request reached the runner and started a cycle. */
async function untilRunning(fake: FakeCycle): Promise<void> {
  for (let i = 0; i < 10_000 && fake.status().state !== 'running'; i++)
    await new Promise((r) => setImmediate(r));
  assert.equal(fake.status().state, 'running', 'the request never started a cycle');
}

describe('api: /v1/cycle', () => {
  let h: Harness;
  let fake: FakeCycle;
  beforeEach(async () => {
    h = await startHarness({ nowMs: NOW });
    fake = new FakeCycle(NOW);
    h.state.runner = fake;
  });
  afterEach(() => h.close());

  it('POST ?wait=true answers with the report of the cycle it ran', async () => {
    const pending = h.call('POST', '/v1/cycle?wait=true');
    // The request is waiting on a running cycle; end it.
    await untilRunning(fake);
    const report = fake.finish();
    const res = await pending;
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, report);
  });

  it('a failed cycle is a report with ok=false, the failed stage and why; the plan in force stays', async () => {
    await h.call('POST', '/v1/cycle');
    const good = fake.finish();
    const pending = h.call('POST', '/v1/cycle?wait=true');
    await untilRunning(fake);
    fake.finish('forecast');
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.json.ok, false);
    assert.equal(res.json.failedStage, 'forecast');
    assert.match(res.json.error, /unreachable/);
    assert.equal(res.json.planVersion, undefined);
    const cycle = (await h.call('GET', '/v1/cycle')).json;
    assert.equal(cycle.planVersion, good.planVersion);
    assert.deepEqual(cycle.lastSuccess, good);
    assert.deepEqual([cycle.runs, cycle.succeeded, cycle.failed], [2, 1, 1]);
  });

  it('refuses a second cycle while one runs (409), and accepts one after it ended', async () => {
    assert.equal((await h.call('POST', '/v1/cycle')).status, 202);
    const refused = await h.call('POST', '/v1/cycle?wait=true');
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'CYCLE_RUNNING');
    assert.equal(fake.status().runs, 1);
    fake.finish();
    const again = await h.call('POST', '/v1/cycle');
    assert.equal(again.status, 202);
    assert.equal(again.json.cycle, 2);
    fake.finish();
  });

  it('lists the last reports newest first, as many as asked', async () => {
    for (let i = 0; i < 4; i++) {
      await h.call('POST', '/v1/cycle');
      fake.finish();
    }
    const three = (await h.call('GET', '/v1/cycle?recent=3')).json;
    assert.deepEqual(
      three.recent.map((r: { cycle: number }) => r.cycle),
      [4, 3, 2],
    );
    assert.deepEqual((await h.call('GET', '/v1/cycle?recent=0')).json.recent, []);
    assert.equal((await h.call('GET', '/v1/cycle')).json.recent.length, 4);
  });

  it('refuses bad query parameters with VALIDATION_QUERY, and starts nothing', async () => {
    for (const q of ['recent=61', 'recent=-1', 'recent=two', 'limit=3']) {
      const res = await h.call('GET', `/v1/cycle?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.error.code, 'VALIDATION_QUERY', q);
    }
    for (const q of ['wait=maybe', 'force=true']) {
      const res = await h.call('POST', `/v1/cycle?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.error.code, 'VALIDATION_QUERY', q);
    }
    assert.equal(fake.status().runs, 0);
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE without a cycle in the process, or once it stopped', async () => {
    fake.stopped = true;
    const stopped = await h.call('POST', '/v1/cycle');
    assert.equal(stopped.status, 503);
    assert.deepEqual(stopped.json.error.details, { dependency: 'cycle' });
    assert.equal(fake.status().runs, 0);
    h.state.runner = undefined;
    for (const method of ['GET', 'POST']) {
      const res = await h.call(method, '/v1/cycle');
      assert.equal(res.status, 503, method);
      assert.equal(res.json.error.code, 'DEPENDENCY_UNAVAILABLE');
      assert.match(res.json.error.message, /No cycle runs in this process/);
    }
  });

  it('needs the token for both methods', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await h.call(method, '/v1/cycle', { token: null });
      assert.equal(res.status, 401);
    }
    assert.equal(fake.status().runs, 0);
  });
});
