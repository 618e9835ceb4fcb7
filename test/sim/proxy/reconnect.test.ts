/**
 * The control plane going away: emulated proxies keep serving the last plan they hold (no fail
 * mode, no reservation withdrawn), back off and reconnect on their own, and take the next plan
 * from the control plane that comes back on the same address.
 */
import { strict as assert } from 'node:assert';
import { DistributionServer } from '../../../control-plane/distribute';
import type { Plan } from '../../../control-plane/domain/plan';
import { reservation, rig, TOKEN, type Rig } from './support';

describe('sim/proxy: control plane unreachable, then back', function () {
  this.timeout(60_000);
  let r: Rig | undefined;
  let second: DistributionServer | undefined;
  afterEach(async () => {
    await r?.close();
    await second?.stop();
    r = second = undefined;
  });

  it('keeps the last plan while the control plane is down, reconnects and takes the next plan', async () => {
    r = await rig({ proxies: 2, workers: 2 });
    const rig0 = r;
    await r.publish('v1', [reservation('alice')]);
    const port = r.port;

    await r.server.stop();
    // Well past the first reconnection attempts, all refused.
    for (let i = 0; i < 100; i++) await r.advance(100);
    assert.deepEqual(r.fleet.planVersions(), ['v1', 'v1'], 'the last plan stays');
    for (let i = 0; i < 4; i++) {
      const q = r.fleet.send('alice');
      assert.equal(q.decision, 'reserved', `request ${i}: served on the reservation, not in fail mode`);
      assert.equal(q.target, '10.1.0.1:8080');
      q.finish({});
      await r.advance(100); // the rate (100/s, no burst) admits one request per 10 ms
    }

    // Restarted at once, within the same second: the new cache's versions must still differ from
    // the ones the proxies hold, or the changed reservation below would not be resent.
    second = new DistributionServer({
      auth: { tokens: [TOKEN] },
      clock: r.clock,
      usageSink: { writeUsage: () => undefined },
      usage: { reportIntervalMs: 1000 },
    });
    await second.start({ host: '127.0.0.1', port });
    const plan: Plan = {
      version: 'v2',
      issuedAtMs: r.clock.now(),
      reservations: new Map([['alice', reservation('alice', { instanceAddress: '10.1.0.9:8080' })]]),
      squeezed: [],
      scaling: [],
    };
    second.publishPlan(plan);
    // The version and the user's record both changed (the version alone may lead the records).
    await r
      .until(
        () =>
          rig0.fleet.planVersions().every((v) => v === 'v2') &&
          rig0.fleet.reservation('alice')?.address === '10.1.0.9:8080',
        'v2 on every proxy after reconnecting',
      )
      .catch((err: Error) => {
        const state = {
          versions: rig0.fleet.planVersions(),
          alice: rig0.fleet.reservation('alice'),
          nodes: second!.nodes().map((n) => ({ id: n.nodeId, connected: n.connected })),
          meta: rig0.fleet.proxies.map((p) => p.planMeta()),
        };
        throw new Error(`${err.message}: ${JSON.stringify(state)}`);
      });
    const q = r.fleet.send('alice');
    assert.equal(q.target, '10.1.0.9:8080');
    q.finish({});
    assert.equal(second.nodes().filter((n) => n.connected).length, 2);
  });
});
