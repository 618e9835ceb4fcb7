import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import {
  decodeDeltaResponse,
  encodeDeltaResponse,
} from '../../../../control-plane/distribute/codec/delta-response-codec';
import { readReservation } from '../../../../control-plane/distribute/codec/reservation-codec';
import {
  encodeHeartbeatField,
  encodeResourceField,
  RESERVATION_TYPE_URL,
} from '../../../../control-plane/distribute/codec/resource-codec';
import { WireFormatError } from '../../../../control-plane/distribute/codec/wire-reader';
import { deltaResponseReflectionCodec } from '../../../../control-plane/distribute/protos';
import { syntheticReservation } from '../../../../control-plane/distribute/testing/synthetic-reservations';

const ReservationType = protobuf
  .loadSync(path.resolve(__dirname, '../../../../proto/earmark/v1/reservation.proto'))
  .lookupType('earmark.v1.Reservation');

interface ReflectedResponse {
  systemVersionInfo?: string;
  typeUrl?: string;
  nonce?: string;
  removedResources?: string[];
  resources?: {
    name?: string;
    version?: string;
    resource?: { type_url: string; value: Buffer };
    ttl?: { seconds: string; nanos?: number };
  }[];
}

const a = syntheticReservation(1, { users: 5 });
const b = syntheticReservation(2, { users: 5 });

function sampleResponse(): Buffer {
  return encodeDeltaResponse({
    systemVersionInfo: 'plan-42',
    typeUrl: RESERVATION_TYPE_URL,
    nonce: 'n-1',
    resourceFields: [
      encodeResourceField(a, 'v1.a', 300_000),
      encodeResourceField(b, 'v1.b', 1_500),
      encodeHeartbeatField(a.user, 'v1.a', 300_000),
    ],
    removed: ['gone-1', 'gone-2'],
  });
}

describe('distribute/codec: DeltaDiscoveryResponse', () => {
  it('is read by the reflection codec (proto-loader) exactly as written', () => {
    const r = deltaResponseReflectionCodec<ReflectedResponse>().deserialize(sampleResponse());
    assert.equal(r.systemVersionInfo, 'plan-42');
    assert.equal(r.typeUrl, RESERVATION_TYPE_URL);
    assert.equal(r.nonce, 'n-1');
    assert.deepEqual(r.removedResources, ['gone-1', 'gone-2']);
    assert.equal(r.resources!.length, 3);
    const [first, second, heartbeat] = r.resources!;
    assert.equal(first.name, a.user);
    assert.equal(first.version, 'v1.a');
    assert.equal(first.resource!.type_url, RESERVATION_TYPE_URL); // proto-loader keeps Any's field names as written
    const decoded = ReservationType.toObject(ReservationType.decode(first.resource!.value), {
      longs: Number,
    });
    assert.equal(decoded.instanceAddress, a.instanceAddress);
    assert.equal(first.ttl!.seconds, '300');
    assert.equal(second.ttl!.seconds, '1');
    assert.equal(second.ttl!.nanos, 500_000_000);
    assert.equal(heartbeat.name, a.user);
    assert.equal(heartbeat.resource, undefined, 'a heartbeat has no body');
  });

  it('decodes its own encoding: bodies, heartbeats, TTLs and removals', () => {
    const r = decodeDeltaResponse(sampleResponse());
    assert.equal(r.nonce, 'n-1');
    assert.deepEqual(r.removed, ['gone-1', 'gone-2']);
    assert.deepEqual(readReservation(r.bytes, r.resources[0].bodyStart, r.resources[0].bodyEnd), a);
    assert.equal(r.resources[1].ttlMs, 1500);
    assert.equal(r.resources[2].bodyStart, -1, 'a heartbeat has no body');
    assert.equal(r.resources[2].version, 'v1.a');
  });

  it('decodes what the reflection codec writes', () => {
    const bytes = deltaResponseReflectionCodec<object>().serialize({
      nonce: 'x',
      typeUrl: RESERVATION_TYPE_URL,
      resources: [
        {
          name: b.user,
          version: '9',
          resource: {
            typeUrl: RESERVATION_TYPE_URL,
            value: ReservationType.encode(
              ReservationType.fromObject({ ...b, onExhausted: 'QUEUE' }),
            ).finish(),
          },
        },
      ],
    });
    const r = decodeDeltaResponse(bytes);
    assert.equal(r.resources[0].name, b.user);
    assert.deepEqual(readReservation(r.bytes, r.resources[0].bodyStart, r.resources[0].bodyEnd), {
      ...b,
      onExhausted: 'queue',
    });
  });

  it('reads length prefixes of one, two and three bytes, and throws WireFormatError when cut inside a field', () => {
    // Lengths of 128..16383 (every Resource and its Any) are read inline; the others by the loop.
    const long = syntheticReservation(3, { users: 5 });
    const bytes = encodeDeltaResponse({
      systemVersionInfo: 'plan-43',
      typeUrl: RESERVATION_TYPE_URL,
      nonce: 'n-2',
      resourceFields: [
        encodeResourceField(a, 'v', 0), // ~150 bytes: a two-byte length
        encodeHeartbeatField('h', 'v', 0), // a few bytes: one-byte length
        encodeResourceField({ ...long, fallback: 'f'.repeat(20_000) }, 'v2', 300_000), // three bytes
        encodeResourceField(b, 'x'.repeat(16_000), 1_500), // ~16,150 bytes: two, its Any one
      ],
      removed: ['gone'],
    });
    const reflect = deltaResponseReflectionCodec<ReflectedResponse>();
    const all = decodeDeltaResponse(bytes).resources.map((x) => x.name);
    assert.deepEqual(
      all,
      (reflect.deserialize(bytes).resources ?? []).map((x) => x.name),
    );
    // Where the top-level fields end (all are length-delimited), walked here independently.
    const varint = (at: number): [number, number] => {
      let v = 0;
      for (let mul = 1; ; mul *= 128) {
        const byte = bytes[at++];
        v += (byte & 0x7f) * mul;
        if (byte < 0x80) return [v, at];
      }
    };
    const ends = new Set<number>([0]);
    for (let at = 0; at < bytes.length;) {
      const [len, body] = varint(varint(at)[1]);
      at = body + len;
      ends.add(at);
    }
    // Cut anywhere else, a field overruns the message: WireFormatError. At a field's end, the
    // fields before it.
    for (let cut = 0; cut <= bytes.length; cut += cut < 400 || bytes.length - cut < 400 ? 1 : 97) {
      const part = bytes.subarray(0, cut);
      if (!ends.has(cut)) {
        assert.throws(() => decodeDeltaResponse(part), WireFormatError, `cut ${cut}`);
        continue;
      }
      const names = decodeDeltaResponse(part).resources.map((x) => x.name);
      assert.deepEqual(names, all.slice(0, names.length), `cut ${cut}`);
    }
  });

  it('rejects a truncated response with WireFormatError', () => {
    const bytes = sampleResponse();
    assert.throws(() => decodeDeltaResponse(bytes.subarray(0, bytes.length - 10)), WireFormatError);
  });

  it('reads ttl durations of every shape as the reflection codec wrote them (short ones inline)', () => {
    // seconds of 1, 2 and 3 varint bytes, with and without nanos, nanos alone (3 bytes too)
    const cases: [seconds: number, nanos: number][] = [
      [300, 0],
      [5, 0],
      [127, 0],
      [128, 0],
      [16383, 0],
      [16384, 0],
      [300, 5_000_000],
      [0, 128],
      [0, 999_999_999],
      [1_000_000, 0],
    ];
    const bytes = deltaResponseReflectionCodec<object>().serialize({
      nonce: 'x',
      typeUrl: RESERVATION_TYPE_URL,
      resources: cases.map(([seconds, nanos], i) => ({
        name: `u${i}`,
        version: '1',
        // a zero field left out, as a proto3 encoder does (protobufjs writes one that is present)
        ttl: { ...(seconds ? { seconds } : {}), ...(nanos ? { nanos } : {}) },
      })),
    });
    const r = decodeDeltaResponse(bytes);
    assert.deepEqual(
      r.resources.map((x) => x.ttlMs),
      cases.map(([seconds, nanos]) => seconds * 1000 + Math.floor(nanos / 1e6)),
    );
  });
});
