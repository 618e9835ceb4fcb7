import { strict as assert } from 'node:assert';
import type { RequestInfo, ResponseInfo, StreamInfo } from '../../../../control-plane/distribute/callbacks';
import { ReservationCache } from '../../../../control-plane/distribute/cache/reservation-cache';
import {
  syntheticPlan,
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import { CLIENT_TRANSPORTS, Harness, eventually } from '../harness';

const opts = { users: 500 };

for (const transport of CLIENT_TRANSPORTS)
  describe(`distribute/server: reconnect (${transport} client)`, () => {
    const h = new Harness(transport);
    afterEach(() => h.cleanup());

    it('resyncs only what changed, using initial_resource_versions', async () => {
      const responses: { s: StreamInfo; r: ResponseInfo }[] = [];
      const requests: { s: StreamInfo; r: RequestInfo }[] = [];
      await h.start({
        callbacks: {
          onResponse: (s, r) => responses.push({ s, r }),
          onRequest: (s, r) => requests.push({ s, r }),
        },
      });
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a', { reconnect: { initialMs: 200, maxMs: 200 } });
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      const firstStream = responses[0].s.streamId;

      c.disconnect();
      // While the proxy is away: two users change, one is withdrawn.
      h.server.publishChanges({
        upsert: [syntheticReservation(10, opts, 1), syntheticReservation(11, opts, 1)],
        remove: [userId(12)],
        systemVersion: 'plan-2',
      });

      await c.waitFor(() => c.state.systemVersion === 'plan-2', 10_000, 'resync after reconnect');
      assert.equal(c.stats.connects, 2);
      const second = responses.filter((x) => x.s.streamId !== firstStream);
      const updates = second.filter((x) => x.r.kind === 'update');
      assert.equal(
        updates.reduce((n, x) => n + x.r.resources, 0),
        2,
        'only the two changed reservations are resent',
      );
      assert.equal(
        updates.reduce((n, x) => n + x.r.removed, 0),
        1,
      );
      // The 497 it still held at their current versions get a heartbeat at once, after the
      // update: their TTLs ran on while the proxy was away.
      await eventually(
        () => second.some((x) => x.r.kind === 'heartbeat' && x.r.resources === 497),
        'heartbeats for what the proxy held',
      );
      assert.ok(second.findIndex((x) => x.r.kind === 'heartbeat') > second.indexOf(updates[0]));
      const hello = requests.find((x) => x.s.streamId !== firstStream)!;
      assert.equal(hello.r.initialVersions, 500, 'the client told the server everything it held');
      assert.equal(c.state.size, 499);
      assert.deepEqual(c.state.get(userId(10))!.reservation, syntheticReservation(10, opts, 1));
      await eventually(
        () => h.server.node('proxy-a')?.ackedSystemVersion === 'plan-2',
        'ACK on the new stream',
      );
    });

    it('resends nothing but an empty response when nothing changed while away', async () => {
      const responses: ResponseInfo[] = [];
      const cache = new ReservationCache();
      await h.start({ cache });
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      // The server process keeps its cache but its endpoint restarts (same port).
      await h.server.stop(100);
      await h.start({ cache, callbacks: { onResponse: (_s, r) => responses.push(r) } }, true);
      await c.waitFor(() => c.stats.connects >= 2 && responses.length >= 1, 10_000, 'reconnect');
      assert.equal(responses[0].resources, 0);
      assert.equal(c.state.size, 500);
    });

    it('after a control-plane restart (a new cache), resends everything: old versions are never trusted', async () => {
      await h.start();
      h.server.publishPlan(syntheticPlan('plan-1', opts));
      const c = h.client('proxy-a');
      await c.waitFor(() => c.state.systemVersion === 'plan-1');
      const oldVersion = c.state.get(userId(0))!.version;
      await h.server.kill();
      const restarted = await h.start({ cache: new ReservationCache({ versionPrefix: 'restarted.' }) }, true);
      restarted.publishPlan(syntheticPlan('plan-1', opts));
      await c.waitFor(
        () => c.state.get(userId(0))?.version !== oldVersion,
        10_000,
        'resync from the restarted server',
      );
      assert.equal(c.stats.resources, 1000);
      assert.equal(c.state.size, 500);
    });
  });
