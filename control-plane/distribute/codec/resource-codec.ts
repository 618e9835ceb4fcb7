/**
 * envoy.service.discovery.v3.Resource carrying a Reservation. The server encodes each (user, version)
 * once, when it is published, already framed as field 2 of a DeltaDiscoveryResponse, so a response
 * to any number of proxies is a concatenation of ready bytes (the client side is response-reader.ts).
 * Resource fields: name = 3, version = 1, resource (Any) = 2, ttl (Duration) = 6.
 */
import type { Reservation } from '../../domain/reservation';
import { writeReservation } from './reservation-codec';
import { WireWriter } from './wire-writer';

export const RESERVATION_TYPE_URL = 'type.googleapis.com/earmark.v1.Reservation';
const TYPE_URL_BYTES = Buffer.from(RESERVATION_TYPE_URL, 'utf8');

const scratch = new WireWriter(4096);

function writeTtl(w: WireWriter, ttlMs: number): void {
  if (ttlMs <= 0) return;
  const seconds = Math.floor(ttlMs / 1000);
  const nanos = Math.round((ttlMs - seconds * 1000) * 1e6);
  w.varint(0x32).fork(); // field 6: google.protobuf.Duration
  if (seconds !== 0) w.varint(0x08).varint(seconds);
  if (nanos !== 0) w.varint(0x10).varint(nanos);
  w.ldelim();
}

/** Writes Resource{name, version, Any(Reservation), ttl}, framed as DeltaDiscoveryResponse field 2, into `w`. */
export function writeResourceField(
  w: WireWriter,
  r: Reservation,
  version: string,
  ttlMs: number,
): WireWriter {
  w.varint(0x12).fork();
  w.varint(0x1a).string(r.user);
  w.varint(0x0a).string(version);
  w.varint(0x12).fork();
  w.varint(0x0a).bytes(TYPE_URL_BYTES);
  w.varint(0x12).fork();
  writeReservation(w, r);
  w.ldelim().ldelim();
  writeTtl(w, ttlMs);
  return w.ldelim();
}

/** The same, in its own Buffer. */
export function encodeResourceField(r: Reservation, version: string, ttlMs: number): Buffer {
  return writeResourceField(scratch.reset(), r, version, ttlMs).finish();
}

/** A heartbeat Resource{name, version, ttl} with no body, framed as field 2. */
export function encodeHeartbeatField(name: string, version: string, ttlMs: number): Buffer {
  const w = scratch.reset();
  w.varint(0x12).fork();
  w.varint(0x1a).string(name);
  w.varint(0x0a).string(version);
  writeTtl(w, ttlMs);
  w.ldelim();
  return w.finish();
}
