/**
 * Robustness of the decoders on the paths real bytes take, on the compiled module: 10,000 random
 * byte strings as a user's shared-data record (read by the filter on a request), 10,000 random
 * gRPC messages to the sync root (the delta decoder, through the gRPC stream), random usage batches
 * on the sync root's queue and random configuration documents. Nothing may trap; the last good
 * state must survive; the module must still work afterwards.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { EnvoyProcess } from '../../wasm-host';
import { FILTER_ROOT, VM_ID, startFilter, wasmPath } from './support/harness';
import { encodeDeltaResponse } from './support/protos';
import { encodeRecord } from './support/records';
import { type Stack, startStack } from './support/stack';

const N = 10_000;

/** Random bytes; every other one starts like a real record/message so decoding goes deeper. */
function* samples(n: number, validPrefix: () => Buffer): Generator<Buffer> {
  for (let i = 0; i < n; i++) {
    const len = i % 3 === 0 ? i % 97 : (i * 7919) % 600;
    const b = randomBytes(len);
    if (i % 2 === 1) {
      const p = validPrefix();
      p.copy(b, 0, 0, Math.min(p.length, Math.max(0, b.length - 1 - (i % 11))));
    }
    yield b;
  }
}

describe('plugin: fuzzing the decoders through their real paths', () => {
  it(`${N} random shared-data records: every request is decided, nothing traps`, () => {
    const h = startFilter({ unreserved: { slots: 0 } }, { concurrency: 2 });
    const good = Buffer.from(
      encodeRecord({ address: '10.0.0.1:80', slots: 3, ratePerMinute: 60, fallback: 'f:1' }),
    );
    let i = 0;
    let routed = 0;
    for (const b of samples(N, () => good)) {
      h.envoy.sharedData.set(VM_ID, h.k.record('fuzz'), b);
      const s = h.request('fuzz', i++ % 2);
      assert.ok(s.lastStatus === 'Continue' || s.localReply !== undefined || s.lastStatus.startsWith('Stop'));
      if (s.requestHeaders.get('x-earmark-instance') !== undefined) routed++;
      s.finish();
    }
    assert.equal(h.filter.failed, false, h.filter.vms.map((v) => v.failMessage).join('; '));
    assert.ok(routed < N / 100, `random bytes are (almost) never a reservation (${routed})`);
    h.plant('fuzz', { address: '10.0.0.2:80', slots: 1 });
    assert.equal(h.request('fuzz').requestHeaders.get('x-earmark-instance'), '10.0.0.2:80');
    void h.envoy.close();
  });

  describe('the sync root', () => {
    let st: Stack;
    afterEach(async () => st && (await st.close()));

    it(`${N} random gRPC messages: each is answered, nothing traps, the last good state stays`, async function () {
      this.timeout(600_000);
      st = await startStack();
      await st.until(
        () => st.server.current !== undefined && st.server.current.requests.length > 0,
        'stream',
        50,
      );
      const s = st.server.current!;
      const goodNonce = s.send({
        systemVersionInfo: 'good',
        resources: [
          { name: 'alice', version: 'a1', reservation: { instance_address: '10.0.0.5:80', slots: 2 } },
        ],
      });
      await st.until(() => s.answersTo(goodNonce).length === 1, 'ACK of the good plan');
      const before = st.record('alice');
      const valid = encodeDeltaResponse({
        nonce: 'x',
        resources: [
          { name: 'mallory', version: 'm', reservation: { instance_address: '1.2.3.4:5', slots: 1 } },
        ],
      });
      let sent = 0;
      const batch = 250;
      const all = [...samples(N, () => valid)];
      while (sent < N) {
        for (const b of all.slice(sent, sent + batch)) s.sendRaw(b);
        sent += Math.min(batch, N - sent);
        const want = 1 + 1 + sent; // initial request, ACK of the good plan, one answer per message
        await st.until(() => s.requests.length >= want, `answers to ${sent} messages`);
      }
      assert.equal(s.requests.length, N + 2, 'one ACK or NACK per message, no more');
      assert.equal(st.sync!.failed, false, st.sync!.vms[0].failMessage);
      const nacks = s.requests.filter((r) => r.error_detail !== undefined).length;
      assert.ok(nacks > N * 0.9, `most random messages are refused (${nacks} NACKs)`);
      // Random bytes may happen to be a valid (empty or removal-only) response; the planted plan
      // must still be there unless one of them named 'alice' (which random bytes never do).
      assert.deepEqual(st.record('alice'), before);
      const after = s.send({
        resources: [{ name: 'bob', version: 'b1', reservation: { instance_address: '10.0.0.6:80' } }],
      });
      await st.until(() => s.answersTo(after).length === 1, 'ACK after the fuzz');
      assert.equal(s.answersTo(after)[0].error_detail, undefined);
      assert.equal(st.route('bob'), '10.0.0.6:80');
      assert.equal(st.route('alice'), '10.0.0.5:80');
    });

    it('random usage batches on the queue are dropped whole; real ones still get reported', async () => {
      st = await startStack({ config: { usage: { flush_ms: 200 } } });
      await st.until(
        () => st.server.current !== undefined && st.server.current.requests.length > 0,
        'stream',
        50,
      );
      const s = st.server.current!;
      const n = s.send({ resources: [] });
      await st.until(() => s.answersTo(n).length === 1, 'ACK');
      const token = st.envoy.sharedQueues.resolve(VM_ID, st.k.usageQueue);
      assert.notEqual(token, undefined);
      const magic = Buffer.from([0x45, 0x4d, 0x55, 0x31, 1, 0, 0, 0]);
      for (const b of samples(2000, () => magic)) st.envoy.sharedQueues.enqueue(token!, new Uint8Array(b));
      st.route('ursula', 0);
      await st.until(
        () => st.server.reports.some((r) => (r.users ?? []).some((u) => u.user === 'ursula')),
        'report',
        100,
      );
      assert.equal(st.sync!.failed, false);
    });
  });

  it('random configuration documents are refused or accepted, never trap', () => {
    const envoy = new EnvoyProcess({ concurrency: 1, clock: 'virtual' });
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      'sync',
      'queue',
      '1',
      '-',
      'e',
      '\\u00',
      'true',
      'null',
      ' ',
      '\n',
    ];
    for (let i = 0; i < 300; i++) {
      let doc = '';
      const n = 1 + (i % 40);
      for (let k = 0; k < n; k++) doc += pieces[randomBytes(1)[0] % pieces.length];
      if (i % 5 === 0) doc = randomBytes(i % 64).toString('latin1');
      const r = envoy.checkConfiguration({
        name: 'e',
        rootId: FILTER_ROOT,
        vmId: VM_ID,
        wasm: wasmPath(),
        configuration: doc,
      });
      assert.ok(
        r.ok || r.logs.some((l) => l.message.startsWith('earmark: invalid plugin configuration')),
        doc,
      );
      assert.ok(!r.logs.some((l) => /aborted/.test(l.message)), doc);
    }
    void envoy.close();
  });
});
