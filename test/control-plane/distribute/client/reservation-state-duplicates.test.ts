import { strict as assert } from 'node:assert';
import { ReservationState } from '../../../../control-plane/distribute/client/reservation-state';
import { encodeDeltaResponse } from '../../../../control-plane/distribute/codec/delta-response-codec';
import {
  encodeHeartbeatField,
  encodeResourceField,
  RESERVATION_TYPE_URL,
} from '../../../../control-plane/distribute/codec/resource-codec';
import {
  syntheticReservation,
  userId,
} from '../../../../control-plane/distribute/testing/synthetic-reservations';

const opts = { users: 10 };
const update = (i: number) => Buffer.from(encodeResourceField(syntheticReservation(i, opts), 'v1', 0));
const heartbeat = (i: number) => Buffer.from(encodeHeartbeatField(userId(i), 'v1', 0));
const response = (fields: Buffer[]) =>
  encodeDeltaResponse({
    systemVersionInfo: 's',
    typeUrl: RESERVATION_TYPE_URL,
    nonce: 'n',
    resourceFields: fields,
    removed: [],
  });

// A name twice in one response is refused whatever the order and kind of its two resources, and
// whether or not the user is held already; the state is left as it was.
describe('distribute/client: ReservationState refuses a name twice in one response', () => {
  const cases: [string, (i: number) => Buffer, (i: number) => Buffer][] = [
    ['update, update', update, update],
    ['update, heartbeat', update, heartbeat],
    ['heartbeat, update', heartbeat, update],
    ['heartbeat, heartbeat', heartbeat, heartbeat],
  ];
  for (const [order, first, second] of cases)
    for (const held of [false, true])
      it(`${order} of a user ${held ? 'held' : 'not held'}`, () => {
        const s = new ReservationState();
        assert.ok(s.apply(response([update(1), ...(held ? [update(3)] : [])]), 0).ok);
        const before = JSON.stringify(s.versions());
        const out = s.apply(response([update(2), first(3), second(3)]), 0);
        assert.ok(!out.ok, 'refused');
        assert.match(out.error, /appears twice/);
        assert.equal(JSON.stringify(s.versions()), before);
      });
});
