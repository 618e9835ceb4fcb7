import { strict as assert } from 'node:assert';
import { ReservationCache } from '../../../../control-plane/distribute/cache/reservation-cache';
import {
  syntheticPlan,
  syntheticReservation,
  syntheticReservations,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';
import type { Plan } from '../../../../control-plane/domain/plan';
import { CLIENT_TRANSPORTS, Harness, eventually } from '../harness';

const opts = { users: 4000 };
// More revisions than the ACK window (4), so that coalescing has something to skip.
const PUBLISHES = 8;

/** Plan k changes every user's figures, so each revision is a full-size delta. */
function planK(k: number): Plan {
  return { ...syntheticPlan(`plan-${k}`, opts), reservations: syntheticReservations(opts, k) };
}

for (const transport of CLIENT_TRANSPORTS)
  describe(`distribute/server: slow or stuck proxies (${transport} client)`, () => {
    const h = new Harness(transport);
    afterEach(() => h.cleanup());

    for (const gate of ['the ACK window', 'HTTP/2 flow control'] as const) {
      it(`do not delay a fast proxy, and get only the latest state when they catch up (held back by ${gate})`, async () => {
        // Without the ACK window, small responses fill grpc-js's 16-message read buffer and the HTTP/2 window.
        await h.start(
          gate === 'HTTP/2 flow control' ? { maxInFlight: 1_000_000, maxResponseBytes: 16_384 } : {},
        );
        h.server.publishPlan(planK(0));
        // A 64 KiB HTTP/2 window (grpc-js's default) so that a stuck proxy fills it quickly.
        const slow = h.client(
          'slow',
          transport === 'http2'
            ? { windowBytes: 65_535 }
            : { channelOptions: { 'grpc-node.flow_control_window': 65_535 } },
        );
        const fast = h.client('fast');
        await slow.waitFor(() => slow.state.systemVersion === 'plan-0');
        await fast.waitFor(() => fast.state.systemVersion === 'plan-0');
        slow.pause();
        const slowVersions = new Set<string>();
        slow.on('response', (r) => r.systemVersion && slowVersions.add(r.systemVersion));

        for (let k = 1; k <= PUBLISHES; k++) {
          h.server.publishPlan(planK(k));
          await fast.waitFor(
            () => fast.state.systemVersion === `plan-${k}`,
            20_000,
            `fast proxy at plan-${k}`,
          );
        }
        // The fast proxy got every revision while the slow one was stuck.
        assert.equal(
          fast.state.get('diurnal-000000')!.reservation.slots,
          planK(PUBLISHES).reservations.get('diurnal-000000')!.slots,
        );
        const stuck = h.server.node('slow')!;
        assert.ok(stuck.revisionsBehind > 0, 'the slow node is behind');
        if (gate === 'HTTP/2 flow control') {
          assert.ok(stuck.writeBlocked, 'the server waits on HTTP/2 flow control instead of buffering');
          // Node's HTTP/2 stream high-water mark (16 KiB) plus the one response whose write returned false.
          const bound = 16_384 + 16_384 + 512;
          assert.ok(stuck.bufferedBytes <= bound, `buffered ${stuck.bufferedBytes} bytes, over ${bound}`);
        } else {
          assert.ok(
            stuck.inFlight >= 1 && stuck.inFlight <= 4,
            'no more than maxInFlight responses are outstanding',
          );
        }

        slow.resume();
        await slow.waitFor(
          () => slow.state.systemVersion === `plan-${PUBLISHES}`,
          20_000,
          'slow proxy catching up',
        );
        for (const [user, r] of planK(PUBLISHES).reservations)
          assert.deepEqual(slow.state.get(user)!.reservation, r);
        assert.ok(slowVersions.has(`plan-${PUBLISHES}`));
        assert.ok(
          slowVersions.size < PUBLISHES,
          `intermediate revisions were coalesced (saw ${[...slowVersions].join(', ')})`,
        );
        await eventually(() => h.server.node('slow')!.revisionsBehind === 0, 'slow node ACKs the latest');
      });
    }

    it('end a proxy that fell behind the change log with UNAVAILABLE; it reconnects and resyncs exactly', async () => {
      const small = { users: 50 };
      await h.start({ cache: new ReservationCache({ maxLogNames: 60 }) });
      h.server.publishPlan(syntheticPlan('plan-0', small));
      const c = h.client('laggard');
      await c.waitFor(() => c.state.systemVersion === 'plan-0');
      await eventually(() => h.server.node('laggard')?.ackedRevision === 1, 'ACK');
      c.pause();
      for (let k = 1; k <= 5; k++) {
        h.server.publishChanges({
          upsert: Array.from({ length: 20 }, (_, i) => syntheticReservation(i, small, k)),
          systemVersion: `plan-${k}`,
        });
      }
      h.server.publishChanges({ remove: ['bursty-000001'], systemVersion: 'plan-6' });
      c.resume();
      await c.waitFor(() => c.state.systemVersion === 'plan-6', 10_000, 'resync');
      assert.ok(c.stats.connects >= 2, 'the stream was ended and the client reconnected');
      assert.ok(h.logger.lines.some((l) => /fell behind the change log/.test(String(l.fields?.error))));
      assert.equal(c.state.size, 49);
      for (const e of h.server.cache.values()) assert.equal(c.state.get(e.name)!.version, e.version);
    });
  });
