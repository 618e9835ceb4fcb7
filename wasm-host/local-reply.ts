// The response Envoy builds for sendLocalReply (source/common/http/utility.cc prepareLocalReply,
// envoy common/wasm/context.cc sendLocalResponse): :status, then the plugin's extra headers
// (addCopy), then content-length, and content-type text/plain only if the plugin set none; no body
// → no content-length/type. A gRPC request gets a trailers-only response (200, grpc-status,
// percent-encoded grpc-message). Details have whitespace replaced by '_'; grpc_status outside
// 0..16 means "not set" (SDKs pass -1).

import { asciiLower, HeaderMap } from './header-map';
import type { Pairs } from './pairs';

export interface LocalReply {
  status: number;
  body: string;
  headers: Array<[string, string]>;
  details: string;
  grpcStatus?: number;
}

/** Grpc::Utility::httpToGrpcStatus */
export const httpToGrpcStatus = (code: number): number => {
  switch (code) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
};

/** PercentEncoding::encode as used for grpc-message: bytes outside 0x20..0x7e and '%' → %XX. */
const percentEncode = (latin1: string): string =>
  latin1.replace(
    /[^\x20-\x24\x26-\x7e]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'),
  );

/** Set a header in place if present (Envoy's inline-header setters), else append it. */
const setInPlace = (h: HeaderMap, key: string, value: string): void => {
  const i = h.indexOfRaw(key);
  if (i >= 0) h.setValueAt(i, value);
  else h.addRaw(key, value);
};

/** Utility::prepareLocalReply: :status, then the plugin's headers, then content-length / type. */
export const buildLocalReply = (
  code: number,
  body: Uint8Array,
  extra: Pairs,
  grpcStatus: number,
  details: string,
  request: { isGrpc: boolean; isHead: boolean },
): { reply: LocalReply; headers: HeaderMap; body: Uint8Array } => {
  const grpc = grpcStatus >= 0 && grpcStatus <= 16 ? grpcStatus : undefined;
  const headers = new HeaderMap();
  headers.addRaw(':status', String(code));
  for (let i = 0; i < extra.keys.length; i++) headers.addRaw(asciiLower(extra.keys[i]), extra.values[i]);
  const text = Buffer.from(body).toString('latin1');
  let outBody = body;
  if (request.isGrpc) {
    setInPlace(headers, ':status', '200');
    setInPlace(headers, 'content-type', 'application/grpc');
    if (!headers.getRaw('grpc-status'))
      setInPlace(headers, 'grpc-status', String(grpc ?? httpToGrpcStatus(code)));
    if (text.length > 0 && !request.isHead) setInPlace(headers, 'grpc-message', percentEncode(text));
    headers.removeRaw('content-length');
    outBody = EMPTY;
  } else if (body.length > 0) {
    setInPlace(headers, 'content-length', String(body.length));
    if (headers.getRaw('content-type') === undefined) headers.addRaw('content-type', 'text/plain');
  } else {
    headers.removeRaw('content-length');
    headers.removeRaw('content-type');
  }
  if (request.isHead) outBody = EMPTY;
  const reply: LocalReply = {
    status: code,
    body: Buffer.from(body).toString('utf8'),
    headers: headers.entries(),
    details: details.replace(/\s/g, '_'),
    grpcStatus: grpc,
  };
  return { reply, headers, body: outBody };
};

const EMPTY = new Uint8Array(0);
