/**
 * envoy.service.discovery.v3.DeltaDiscoveryResponse, assembled from pre-framed Resource fields with
 * one copy (the server) and decoded without reflection (tests; the reference client uses
 * response-reader.ts).
 * Fields: system_version_info = 1, resources = 2, type_url = 4, nonce = 5, removed_resources = 6.
 */
import { readDeltaResponse, StagedResponse } from './response-reader';
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

/** One resource as a client sees it on the wire, its body still encoded. */
export interface WireResource {
  name: string;
  version: string;
  /** Any.type_url; '' when the resource has no body (a heartbeat). */
  typeUrl: string;
  /** Where the body (Any.value) lies in the response's bytes; bodyStart is -1 for a heartbeat. */
  bodyStart: number;
  bodyEnd: number;
  /** Resource.ttl in milliseconds; undefined when unset. */
  ttlMs?: number;
}

export interface DecodedDeltaResponse {
  /** The encoded response; resources point into it (bodyStart/bodyEnd). */
  bytes: Uint8Array;
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: WireResource[];
  removed: string[];
}

/**
 * Decodes a response into objects (tests, tools); throws WireFormatError on malformed bytes.
 * The reference client reads into a reused StagedResponse instead (response-reader.ts).
 */
export function decodeDeltaResponse(buf: Uint8Array): DecodedDeltaResponse {
  const s = readDeltaResponse(buf, new StagedResponse());
  const resources: WireResource[] = [];
  for (let i = 0; i < s.count; i++) {
    resources.push({
      name: s.name(i),
      version: s.versions[i],
      typeUrl: s.typeUrls[i],
      bodyStart: s.bodyStarts[i],
      bodyEnd: s.bodyEnds[i],
      ttlMs: s.ttls[i] < 0 ? undefined : s.ttls[i],
    });
  }
  return {
    bytes: buf,
    systemVersionInfo: s.systemVersionInfo,
    typeUrl: s.typeUrl,
    nonce: s.nonce,
    resources,
    removed: s.removed.slice(0, s.removedCount),
  };
}
