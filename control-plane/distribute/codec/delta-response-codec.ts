/**
 * envoy.service.discovery.v3.DeltaDiscoveryResponse, assembled from pre-framed Resource fields with
 * one copy (the server) and decoded without reflection (the reference client).
 * Fields: system_version_info = 1, resources = 2, type_url = 4, nonce = 5, removed_resources = 6.
 */
import { readResource, type WireResource } from './resource-codec';
import { WireReader } from './wire-reader';
import { WireWriter } from './wire-writer';

export interface DeltaResponseParts {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  /** Resource fields as encodeResourceField / encodeHeartbeatField return them. */
  resourceFields: readonly Uint8Array[];
  removed: readonly string[];
}

/**
 * Appends the fields that close a response (removals, type URL, nonce, system version) to a writer
 * that already holds its resources: protobuf fields may come in any order.
 */
export function writeResponseTail(w: WireWriter, p: Omit<DeltaResponseParts, 'resourceFields'>): WireWriter {
  for (const name of p.removed) w.varint(0x32).string(name);
  if (p.typeUrl) w.varint(0x22).string(p.typeUrl);
  if (p.nonce) w.varint(0x2a).string(p.nonce);
  if (p.systemVersionInfo) w.varint(0x0a).string(p.systemVersionInfo);
  return w;
}

export function encodeDeltaResponse(p: DeltaResponseParts): Buffer {
  const head = new WireWriter(256 + p.removed.length * 24);
  if (p.systemVersionInfo) head.varint(0x0a).string(p.systemVersionInfo);
  if (p.typeUrl) head.varint(0x22).string(p.typeUrl);
  if (p.nonce) head.varint(0x2a).string(p.nonce);
  for (const name of p.removed) head.varint(0x32).string(name);
  return Buffer.concat([head.finish(), ...p.resourceFields]);
}

const topReader = new WireReader();

export interface DecodedDeltaResponse {
  /** The encoded response; resources point into it (bodyStart/bodyEnd). */
  bytes: Uint8Array;
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: WireResource[];
  removed: string[];
}

/** Decodes a response; throws WireFormatError on malformed bytes (the client NACKs what it cannot read). */
export function decodeDeltaResponse(buf: Uint8Array): DecodedDeltaResponse {
  const out: DecodedDeltaResponse = {
    bytes: buf,
    systemVersionInfo: '',
    typeUrl: '',
    nonce: '',
    resources: [],
    removed: [],
  };
  const rd = topReader.reset(buf);
  while (!rd.done) {
    const tag = rd.varint();
    switch (tag) {
      case 0x0a:
        out.systemVersionInfo = rd.string();
        break;
      case 0x12: {
        const len = rd.length();
        out.resources.push(readResource(buf, rd.pos, rd.pos + len));
        rd.pos += len;
        break;
      }
      case 0x22:
        out.typeUrl = rd.string();
        break;
      case 0x2a:
        out.nonce = rd.string();
        break;
      case 0x32:
        out.removed.push(rd.string());
        break;
      default:
        rd.skip(tag & 7); // removed_resource_names, control_plane: not used by Earmark
    }
  }
  return out;
}
