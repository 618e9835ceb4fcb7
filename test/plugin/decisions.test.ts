/**
 * Every decision the filter makes on a request, on the compiled build/earmark.wasm in our
 * proxy-wasm host: admit to the reserved instance, the unreserved pool, queue, top-up, redirect,
 * reject (429 + Retry-After + JSON), and the fail modes when the plan is missing or stale.
 */
import { strict as assert } from 'node:assert';
import { type Harness, replyJson, startFilter } from './support/harness';

const header = (s: { localReply?: { headers: Array<[string, string]> } }, name: string) =>
  s.localReply?.headers.find(([k]) => k === name)?.[1];

describe('plugin: decisions', () => {
  let h: Harness;
  afterEach(async () => h && (await h.envoy.close()));

  describe('reserved and within the reservation', () => {
    it('routes to the reserved instance, replacing any routing header the client sent', () => {
      h = startFilter();
      h.plant('alice', { address: '10.0.0.5:8080', slots: 2 });
      const s = h.request('alice', 0, { 'x-earmark-instance': '6.6.6.6:66' });
      assert.equal(s.lastStatus, 'Continue');
      assert.deepEqual(s.requestHeaders.getAll('x-earmark-instance'), ['10.0.0.5:8080']);
      const r = h.record('alice');
      assert.ok(r && !r.withdrawn);
      assert.equal(r.live.inFlight, 1);
      assert.equal(h.metric('earmark_requests_admitted'), 1);
    });

    it('admits without touching the counters when the reservation limits nothing', () => {
      h = startFilter();
      h.plant('alice', { address: '10.0.0.5:8080' });
      for (let i = 0; i < 5; i++)
        assert.equal(h.request('alice').requestHeaders.get('x-earmark-instance'), '10.0.0.5:8080');
      const r = h.record('alice');
      assert.ok(r && !r.withdrawn);
      assert.equal(r.live.inFlight, 0);
    });

    it('writes the decision header when configured', () => {
      h = startFilter({ decision_header: 'x-earmark-decision' });
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1 });
      assert.equal(h.request('alice').requestHeaders.get('x-earmark-decision'), 'admitted');
      assert.equal(h.request('bob').requestHeaders.get('x-earmark-decision'), 'unreserved');
    });
  });

  describe('no reservation', () => {
    it('by default goes to the default route: the routing header is removed, not trusted', () => {
      h = startFilter();
      const s = h.request('nobody', 1, { 'x-earmark-instance': '6.6.6.6:66' });
      assert.equal(s.lastStatus, 'Continue');
      assert.equal(s.requestHeaders.get('x-earmark-instance'), undefined);
      assert.equal(h.metric('earmark_requests_unreserved_admitted'), 1);
    });

    it('routes to unreserved.route when set', () => {
      h = startFilter({ unreserved: { route: 'shared-pool' } });
      assert.equal(h.request('nobody').requestHeaders.get('x-earmark-instance'), 'shared-pool');
    });

    it('answers 429 with Retry-After and a JSON body when the shared pool is exhausted', () => {
      h = startFilter({ unreserved: { slots: 1, on_exhausted: 'reject' }, reject: { retry_after_s: 7 } });
      const first = h.request('u1');
      assert.equal(first.lastStatus, 'Continue');
      const second = h.request('u2', 1);
      assert.equal(second.localReply?.status, 429);
      assert.equal(header(second, 'retry-after'), '7');
      assert.deepEqual(
        second.localReply!.headers.filter(([k]) => k === 'content-type'),
        [['content-type', 'application/json']],
        'one content type: ours',
      );
      assert.deepEqual(replyJson(second), {
        error: 'no_reservation',
        message: 'no capacity is reserved for this user and the shared pool is exhausted',
        retry_after_s: 7,
      });
      assert.equal(second.localReply?.details, 'earmark_no_reservation');
      first.finish();
      assert.equal(h.request('u3').lastStatus, 'Continue', 'the pool slot came back');
    });

    it('treats a request without identity as unreserved and counts it', () => {
      h = startFilter();
      assert.equal(h.request(undefined).lastStatus, 'Continue');
      assert.equal(h.metric('earmark_identity_missing'), 1);
    });

    it('treats an identity longer than max_user_id_bytes as missing', () => {
      h = startFilter({ max_user_id_bytes: 8, unreserved: { slots: 1, on_exhausted: 'reject' } });
      h.plant('a-very-long-user', { address: '10.0.0.5:8080' });
      const s = h.request('a-very-long-user');
      assert.equal(s.requestHeaders.get('x-earmark-instance'), undefined);
      assert.equal(h.metric('earmark_identity_missing'), 1);
    });

    it('reads the identity from a property when configured', () => {
      h = startFilter({ identity: { property: ['request', 'headers', 'x-jwt-sub'] } });
      h.plant('carol', { address: '10.0.0.9:80' });
      const s = h.request(undefined, 0, { 'x-jwt-sub': 'carol' });
      assert.equal(s.requestHeaders.get('x-earmark-instance'), '10.0.0.9:80');
    });

    it('ignores a reservation outside its validity window', () => {
      h = startFilter();
      const now = h.envoy.clock.now();
      h.plant('early', { address: '10.0.0.1:80', notBeforeMs: now + 60_000 });
      h.plant('late', { address: '10.0.0.2:80', validUntilMs: now - 1 });
      h.plant('now', { address: '10.0.0.3:80', notBeforeMs: now - 1, validUntilMs: now + 1000 });
      assert.equal(h.request('early').requestHeaders.get('x-earmark-instance'), undefined);
      assert.equal(h.request('late').requestHeaders.get('x-earmark-instance'), undefined);
      assert.equal(h.request('now').requestHeaders.get('x-earmark-instance'), '10.0.0.3:80');
    });

    it('treats an unreadable record as no reservation and counts it', () => {
      h = startFilter();
      h.envoy.sharedData.set('earmark', h.k.record('mallory'), 'not a record');
      assert.equal(h.request('mallory').requestHeaders.get('x-earmark-instance'), undefined);
      assert.equal(h.metric('earmark_records_invalid'), 1);
    });
  });

  describe('reservation exhausted', () => {
    it('REJECT: 429 reservation_exhausted once the slots are taken', () => {
      h = startFilter({ reject: { retry_after_s: 3 } });
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1, onExhausted: 'reject' });
      const a = h.request('alice');
      const b = h.request('alice', 1);
      assert.equal(a.lastStatus, 'Continue');
      assert.equal(b.localReply?.status, 429);
      assert.equal(replyJson(b).error, 'reservation_exhausted');
      assert.equal(header(b, 'retry-after'), '3');
      assert.equal(h.metric('earmark_requests_rejected'), 1);
    });

    it('REJECT on rate: Retry-After is the time until the next token', () => {
      h = startFilter();
      // 6 per minute, burst 1: one token every 10 s.
      h.plant('alice', { address: '10.0.0.5:8080', ratePerMinute: 6, burst: 1, onExhausted: 'reject' });
      assert.equal(h.request('alice').lastStatus, 'Continue');
      const b = h.request('alice');
      assert.equal(b.localReply?.status, 429);
      assert.equal(header(b, 'retry-after'), '10');
      h.envoy.advance(4000);
      assert.equal(header(h.request('alice'), 'retry-after'), '6');
      h.envoy.advance(6000);
      assert.equal(h.request('alice').lastStatus, 'Continue', 'a token refilled after 10 s');
    });

    it('uses the configured reject status', () => {
      h = startFilter({ reject: { status: 503 } });
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1, onExhausted: 'reject' });
      h.request('alice');
      assert.equal(h.request('alice').localReply?.status, 503);
    });

    it('REDIRECT: routes to the reservation fallback, else the default fallback, else 429', () => {
      h = startFilter({ defaults: { fallback: 'overflow-pool' } });
      h.plant('a', { address: '10.0.0.5:8080', slots: 1, onExhausted: 'redirect', fallback: '10.0.9.9:80' });
      h.plant('b', { address: '10.0.0.6:8080', slots: 1, onExhausted: 'redirect' });
      h.request('a');
      h.request('b');
      assert.equal(h.request('a').requestHeaders.get('x-earmark-instance'), '10.0.9.9:80');
      assert.equal(h.request('b').requestHeaders.get('x-earmark-instance'), 'overflow-pool');
      assert.equal(h.metric('earmark_requests_redirected'), 2);
      h.envoy.close();
      h = startFilter();
      h.plant('c', { address: '10.0.0.7:8080', slots: 1, onExhausted: 'redirect' });
      h.request('c');
      assert.equal(h.request('c').localReply?.status, 429);
    });

    it('QUEUE: pauses, and resumes to the reserved instance when the slot is given back', () => {
      h = startFilter();
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1, onExhausted: 'queue', maxQueueWaitMs: 5000 });
      const a = h.request('alice');
      const b = h.request('alice');
      assert.equal(b.lastStatus, 'StopAllIterationAndWatermark');
      assert.equal(b.requestContinued, false);
      a.finish();
      h.envoy.drain();
      assert.equal(b.requestContinued, true);
      assert.equal(b.requestHeaders.get('x-earmark-instance'), '10.0.0.5:8080');
      assert.equal(h.metric('earmark_requests_dequeued'), 1);
    });

    it('unspecified action falls back to defaults.on_exhausted', () => {
      h = startFilter({ defaults: { on_exhausted: 'reject' } });
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1 });
      h.request('alice');
      assert.equal(h.request('alice').localReply?.status, 429);
    });

    it('TOP_UP: flags the shortfall in usage and queues meanwhile', () => {
      h = startFilter();
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1, onExhausted: 'top_up', maxQueueWaitMs: 1000 });
      h.request('alice');
      const b = h.request('alice');
      assert.equal(b.lastStatus, 'StopAllIterationAndWatermark');
      assert.equal(h.metric('earmark_requests_shortfall'), 1);
      assert.equal(h.envoy.metrics.get('earmark_requests_queued'), 1);
    });

    it('QUEUE with max wait 0 gives up at once (fallback or 429)', () => {
      h = startFilter({ defaults: { max_queue_wait_ms: 0 } });
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1, onExhausted: 'queue' });
      h.request('alice');
      assert.equal(h.request('alice').localReply?.status, 429);
    });
  });

  describe('plan missing or stale', () => {
    it('fail open: default route when no plan was ever applied', () => {
      h = startFilter({ fail_mode: 'open' }, { fresh: false });
      h.plant('alice', { address: '10.0.0.5:8080' });
      const s = h.request('alice', 0, { 'x-earmark-instance': '6.6.6.6:66' });
      assert.equal(s.lastStatus, 'Continue');
      assert.equal(s.requestHeaders.get('x-earmark-instance'), undefined);
      assert.equal(h.metric('earmark_requests_fail_open'), 1);
    });

    it('fail closed: 503 plan_unavailable when no plan was ever applied', () => {
      h = startFilter({ fail_mode: 'closed' }, { fresh: false });
      const s = h.request('alice');
      assert.equal(s.localReply?.status, 503);
      assert.equal(replyJson(s).error, 'plan_unavailable');
      assert.equal(h.metric('earmark_requests_fail_closed'), 1);
    });

    it('a plan not refreshed for plan_ttl_ms is stale; a refreshed one is used again at once', () => {
      h = startFilter({ fail_mode: 'closed', plan_ttl_ms: 5000 });
      h.plant('alice', { address: '10.0.0.5:8080' });
      assert.equal(h.request('alice').requestHeaders.get('x-earmark-instance'), '10.0.0.5:8080');
      h.envoy.advance(5000);
      assert.equal(h.request('alice').lastStatus, 'Continue', 'exactly plan_ttl_ms old is still current');
      h.envoy.advance(100); // requests see the clock of the last tick (tick_ms = 100)
      assert.equal(h.request('alice').localReply?.status, 503);
      assert.equal(h.metric('earmark_plan_stale'), 1);
      h.fresh();
      assert.equal(h.request('alice').requestHeaders.get('x-earmark-instance'), '10.0.0.5:8080');
    });

    it('queued requests get the fail mode when the plan goes stale while they wait', () => {
      h = startFilter({ fail_mode: 'open', plan_ttl_ms: 1000 });
      h.plant('alice', { address: '10.0.0.5:8080', slots: 1, onExhausted: 'queue', maxQueueWaitMs: 60_000 });
      h.request('alice');
      const b = h.request('alice');
      assert.equal(b.requestContinued, false);
      h.envoy.advance(1200);
      assert.equal(b.requestContinued, true);
      assert.equal(b.requestHeaders.get('x-earmark-instance'), undefined);
    });
  });
});
