/**
 * The sync root's whole-response checks that Envoy makes too (delta_subscription_state.cc,
 * handleGoodResponse), on the compiled module: a name given twice is refused with the last good
 * state kept; a response the decoder cannot read is NACKed with its own nonce, found by its
 * top-level fields.
 */
import { strict as assert } from 'node:assert';
import { type Stack, startStack } from './support/stack';
import type { DeltaResponseMsg, ReservationMsg } from './support/protos';
import type { XdsStream } from './support/xds-server';

const TYPE_URL = 'type.googleapis.com/earmark.v1.Reservation';

const res = (name: string, r: ReservationMsg = {}, version = 'v1') => ({
  name,
  version,
  reservation: { instance_address: `10.0.0.${name.length}:8080`, slots: 2, ...r },
});

/** A length-delimited protobuf field (lengths under 128 bytes: one-byte varint). */
const field = (n: number, ...parts: (number[] | Buffer | string)[]): Buffer => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  assert.ok(body.length < 128);
  return Buffer.concat([Buffer.from([(n << 3) | 2, body.length]), body]);
};

/** A Resource {version 1, name 3} whose name is not UTF-8: the decoder stops there. */
const badResource = field(2, field(1, 'v2'), field(3, [0x61, 0xff]));

describe('plugin: sync root response checks (as Envoy makes them)', () => {
  let st: Stack;
  afterEach(async () => st && (await st.close()));

  const connected = async (n: number) => {
    await st.until(
      () => st.server.streams.length >= n && st.server.streams[n - 1].requests.length >= 1,
      `stream ${n}`,
      50,
    );
    return st.server.streams[n - 1];
  };

  /** A proxy holding alice and carol (version 'good'), ACKed on stream 1. */
  const holding = async (): Promise<XdsStream> => {
    st = await startStack();
    const s = await connected(1);
    const good = s.send({ systemVersionInfo: 'good', resources: [res('alice'), res('carol')] });
    await st.until(() => s.answersTo(good).length === 1, 'ACK of the good response');
    assert.equal(s.answersTo(good)[0].error_detail, undefined);
    return s;
  };

  const assertLastGoodState = (before: ReturnType<Stack['record']>) => {
    assert.deepEqual(st.record('alice'), before, 'alice is as she was');
    assert.equal(st.route('alice'), '10.0.0.5:8080');
    assert.equal(st.route('carol'), '10.0.0.5:8080');
    assert.equal(st.meta()!.generation, 1, 'nothing of the refused response was applied');
    assert.equal(st.meta()!.version, 'good');
  };

  const duplicates: [string, DeltaResponseMsg, RegExp][] = [
    [
      'F6a: the same name twice among the updated resources',
      { resources: [res('alice', { slots: 9 }, 'v2'), res('bob'), res('alice', { slots: 7 }, 'v3')] },
      /^duplicate name 'alice' found among added\/updated resources$/,
    ],
    [
      'F6b: a name both updated and removed',
      { systemVersionInfo: 'bad', resources: [res('alice', { slots: 9 }, 'v2')], removed: ['alice'] },
      /^duplicate name 'alice' found in the union of added\+removed resources$/,
    ],
    [
      'F6b: a name removed twice',
      { resources: [res('bob')], removed: ['carol', 'carol'] },
      /^duplicate name 'carol' found in the union of added\+removed resources$/,
    ],
    [
      'F6a: a heartbeat and an update of the same name',
      { resources: [{ name: 'alice', version: 'v1' }, res('alice', { slots: 9 }, 'v2')] },
      /^duplicate name 'alice' found among added\/updated resources$/,
    ],
  ];
  for (const [what, response, reason] of duplicates) {
    it(`NACKs ${what}, naming it, with the last good state kept`, async () => {
      const s = await holding();
      const before = st.record('alice');
      const nonce = s.send(response);
      await st.until(() => s.answersTo(nonce).length === 1, 'answer');
      const nack = s.answersTo(nonce)[0];
      assert.equal(nack.error_detail?.code, 3, 'a NACK');
      assert.match(nack.error_detail?.message ?? '', reason);
      assertLastGoodState(before);
      assert.equal(st.record('bob'), undefined, "the response's other resources were not applied");
      assert.equal(st.envoy.metrics.get('earmark_sync_responses_nacked'), 1);
    });
  }

  it('tells 3,000 distinct names (some sharing long prefixes) apart, then finds the one repeated', async () => {
    const s = await holding();
    const names = Array.from({ length: 3000 }, (_, i) => `user-with-a-long-shared-prefix-${i}`);
    const all = names.map((n) => res(n));
    const ok = s.send({ resources: all });
    await st.until(() => s.answersTo(ok).length === 1, 'ACK of 3,000');
    assert.equal(s.answersTo(ok)[0].error_detail, undefined, 'no false duplicate');
    const again = s.send({ resources: [...all, res(names[1234], {}, 'v2')] });
    await st.until(() => s.answersTo(again).length === 1, 'answer');
    assert.match(
      s.answersTo(again)[0].error_detail?.message ?? '',
      /^duplicate name 'user-with-a-long-shared-prefix-1234' found among added\/updated resources$/,
    );
    assert.equal(st.meta()!.resources, 3002);
  });

  it('F5: NACKs a response it cannot decode with that response’s nonce', async () => {
    const s = await holding();
    const before = st.record('alice');
    // The nonce comes last, after the resource the decoder stops at.
    s.sendRaw(Buffer.concat([badResource, field(4, TYPE_URL), field(5, 'bad-1')]));
    await st.until(() => s.requests.length >= 3, 'answer');
    const nack = s.requests[2];
    assert.equal(nack.response_nonce, 'bad-1');
    assert.equal(nack.error_detail?.code, 3);
    assert.match(nack.error_detail?.message ?? '', /Resource.name is not valid UTF-8/);
    assertLastGoodState(before);
    assert.equal(s.ended, false, 'the stream stays up');
  });
});
