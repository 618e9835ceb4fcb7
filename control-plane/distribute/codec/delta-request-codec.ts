/**
 * The reference client's ACK/NACK: a DeltaDiscoveryRequest with type_url (2), response_nonce (6)
 * and, for a NACK, error_detail (7, google.rpc.Status{code 1, message 2}), hand-encoded because a
 * proxy sends one per response. Other requests go through proto-loader (protos.ts).
 */
import { WireWriter } from './wire-writer';

export function encodeAck(typeUrl: string, nonce: string, error?: { code: number; message: string }): Buffer {
  const w = new WireWriter(128 + (error?.message.length ?? 0) * 3);
  w.varint(0x12).string(typeUrl);
  if (nonce) w.varint(0x32).string(nonce);
  if (error) {
    w.varint(0x3a).fork();
    if (error.code) w.varint(0x08).varint(error.code);
    w.varint(0x12).string(error.message);
    w.ldelim();
  }
  return w.finish();
}
