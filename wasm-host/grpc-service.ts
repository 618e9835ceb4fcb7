// Decoding the grpc_service argument of proxy_grpc_call/stream: a serialized
// envoy.config.core.v3.GrpcService (envoy_grpc = 1 {cluster_name = 1}, google_grpc = 2
// {target_uri = 1}, timeout = 3, initial_metadata = 5 {key = 1, value = 2}). Like protobuf's
// ParseFromString it skips unknown fields and fails only on malformed wire data or bad UTF-8 in a
// string field; Envoy then retries the bytes as a plain cluster name (envoy context.cc grpcCall).

import type { GrpcTarget } from './process-core';

class ProtoReader {
  p = 0;
  constructor(readonly b: Uint8Array) {}
  get done(): boolean {
    return this.p >= this.b.length;
  }
  varint(): bigint {
    let r = 0n;
    let shift = 0n;
    while (true) {
      if (this.p >= this.b.length || shift > 63n) throw new Error('truncated varint');
      const x = this.b[this.p++];
      r |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) return r;
      shift += 7n;
    }
  }
  bytes(): Uint8Array {
    const n = Number(this.varint());
    if (this.p + n > this.b.length) throw new Error('truncated field');
    const out = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  }
  skip(wire: number, field: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.advance(4);
    else if (wire === 3) {
      while (true) {
        const [f, w] = this.tag();
        if (w === 4) {
          if (f !== field) throw new Error('mismatched group end');
          return;
        }
        this.skip(w, f);
      }
    } else throw new Error(`bad wire type ${wire}`);
  }
  advance(n: number): void {
    if (this.p + n > this.b.length) throw new Error('truncated');
    this.p += n;
  }
  tag(): [number, number] {
    const t = Number(this.varint());
    const field = t >>> 3;
    if (field === 0) throw new Error('field 0');
    return [field, t & 7];
  }
}

const utf8 = (b: Uint8Array): string => {
  const s = Buffer.from(b).toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(Buffer.from(b))) throw new Error('invalid UTF-8 in string field');
  return s;
};

const stringField = (msg: Uint8Array, want: number): string | undefined => {
  const r = new ProtoReader(msg);
  let out: string | undefined;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === want && w === 2) out = utf8(r.bytes());
    else r.skip(w, f);
  }
  return out;
};

/** The parsed GrpcService, or undefined when the bytes are not a valid message. */
export const parseGrpcService = (bytes: Uint8Array): GrpcTarget | undefined => {
  try {
    const r = new ProtoReader(bytes);
    const target: GrpcTarget = { metadata: [] };
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1 && w === 2) {
        target.cluster = stringField(r.bytes(), 1) ?? '';
        target.targetUri = undefined;
      } else if (f === 2 && w === 2) {
        target.targetUri = stringField(r.bytes(), 1) ?? '';
        target.cluster = undefined;
      } else if (f === 3 && w === 2) {
        const d = new ProtoReader(r.bytes());
        let seconds = 0;
        let nanos = 0;
        while (!d.done) {
          const [df, dw] = d.tag();
          if (df === 1 && dw === 0) seconds = Number(BigInt.asIntN(64, d.varint()));
          else if (df === 2 && dw === 0) nanos = Number(BigInt.asIntN(32, d.varint()));
          else d.skip(dw, df);
        }
        target.timeoutMs = seconds * 1000 + nanos / 1e6;
      } else if (f === 5 && w === 2) {
        const hv = r.bytes();
        target.metadata.push([stringField(hv, 1) ?? '', stringField(hv, 2) ?? '']);
      } else r.skip(w, f);
    }
    return target;
  } catch {
    return undefined;
  }
};

/** Encode a GrpcService (tests, fixtures, plugin tooling). */
export const encodeGrpcService = (t: {
  cluster?: string;
  targetUri?: string;
  metadata?: Array<[string, string]>;
}): Uint8Array => {
  const out: number[] = [];
  const len = (n: number): void => {
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
  };
  const str = (field: number, s: string): number[] => {
    const b = [...Buffer.from(s, 'utf8')];
    const head: number[] = [(field << 3) | 2];
    let n = b.length;
    while (n > 0x7f) {
      head.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    head.push(n);
    return head.concat(b);
  };
  const sub = (field: number, body: number[]): void => {
    out.push((field << 3) | 2);
    len(body.length);
    out.push(...body);
  };
  if (t.cluster !== undefined) sub(1, str(1, t.cluster));
  if (t.targetUri !== undefined) sub(2, str(1, t.targetUri));
  for (const [k, v] of t.metadata ?? []) sub(5, str(1, k).concat(str(2, v)));
  return new Uint8Array(out);
};
