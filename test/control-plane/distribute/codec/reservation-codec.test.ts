import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import {
  readReservation,
  writeReservation,
} from '../../../../control-plane/distribute/codec/reservation-codec';
import { WireFormatError, WireReader } from '../../../../control-plane/distribute/codec/wire-reader';
import { WireWriter } from '../../../../control-plane/distribute/codec/wire-writer';
import { syntheticReservation } from '../../../../control-plane/distribute/testing/synthetic-reservations';
import type { Reservation } from '../../../../control-plane/domain/reservation';

const root = protobuf.loadSync(path.resolve(__dirname, '../../../../proto/earmark/v1/reservation.proto'));
const ReservationType = root.lookupType('earmark.v1.Reservation');

const encode = (r: Reservation) => writeReservation(new WireWriter(), r).finish();

const sample: Reservation = {
  ...syntheticReservation(7, { users: 10 }),
  user: 'ünïcode-user-✓',
  fallback: 'fallback.example:8443',
  burst: 5,
  onExhausted: 'redirect',
  expiresMs: 2 ** 52,
};

describe('distribute/codec: Reservation', () => {
  it('round-trips every field, including field 16 and values beyond 32 bits', () => {
    assert.deepEqual(readReservation(encode(sample)), sample);
  });

  it('writes what protobufjs reflection reads, field for field', () => {
    const decoded = ReservationType.toObject(ReservationType.decode(encode(sample)), {
      longs: Number,
      enums: String,
    });
    assert.equal(decoded.user, sample.user);
    assert.equal(decoded.instanceAddress, sample.instanceAddress);
    assert.equal(decoded.fallback, sample.fallback);
    assert.equal(decoded.onExhausted, 'REDIRECT');
    assert.equal(decoded.expiresMs, sample.expiresMs);
    assert.equal(decoded.slots, sample.slots);
  });

  it('reads what protobufjs reflection writes', () => {
    const msg = ReservationType.fromObject({ ...sample, onExhausted: 'REJECT' });
    const bytes = ReservationType.encode(msg).finish();
    assert.deepEqual(readReservation(bytes), { ...sample, onExhausted: 'reject' });
  });

  it('omits proto3 defaults, so an all-default reservation is empty on the wire', () => {
    const empty = {
      ...sample,
      user: '',
      instanceId: '',
      instanceAddress: '',
      slots: 0,
      ratePerMinute: 0,
      burst: 0,
    };
    Object.assign(empty, {
      cpuMillicores: 0,
      memoryMb: 0,
      bandwidthKbps: 0,
      tier: '',
      priority: 0,
      maxQueueWaitMs: 0,
    });
    Object.assign(empty, { notBeforeMs: 0, expiresMs: 0, fallback: '' });
    assert.equal(encode(empty).length, 2); // only on_exhausted (non-zero enum) remains
  });

  it('skips fields it does not know (a newer contract) instead of failing', () => {
    const w = new WireWriter();
    w.varint((99 << 3) | 2).string('from the future');
    w.varint(100 << 3).varint(123456789);
    w.varint((101 << 3) | 1).raw(Buffer.alloc(8, 7));
    w.varint((102 << 3) | 5).raw(Buffer.alloc(4, 9));
    writeReservation(w, sample);
    w.varint((103 << 3) | 2).string('and after');
    assert.deepEqual(readReservation(w.finish()), sample);
  });

  it('throws WireFormatError on truncated bytes', () => {
    const bytes = encode(sample);
    assert.throws(() => readReservation(bytes.subarray(0, bytes.length - 3)), WireFormatError);
  });

  it('throws WireFormatError on invalid UTF-8 in a string field', () => {
    const bad = Buffer.from([0x0a, 0x02, 0xc3, 0x28]);
    assert.throws(() => readReservation(bad), /invalid UTF-8/);
  });

  it('grows its buffer and shifts long nested messages correctly', () => {
    const w = new WireWriter(4);
    const long = 'x'.repeat(300);
    w.varint(0x12).fork().varint(0x0a).string(long).ldelim();
    const rd = new WireReader(w.finish());
    assert.equal(rd.varint(), 0x12);
    assert.equal(rd.length(), 303, 'a two-byte length prefix');
    assert.equal(rd.varint(), 0x0a);
    assert.equal(rd.string(), long);
    assert.ok(rd.done);
  });
});
