// Shared-data keys. Istio gives every WasmPlugin the same (empty) vm_id, so all keys share one
// namespace with other plugins: every key starts with the configured prefix. Per-user keys are
// prefix + kind + "/" + user id, built in a buffer owned by the root without allocating.
import { Blob } from '../lib/bytes';

export const KIND_RESERVATION: u8 = 0x72; // 'r': the user's record (reservation and live counters)

export const MAX_PREFIX_BYTES: usize = 64;
export const MAX_USER_BYTES: usize = 256;

export class Keys {
  readonly prefix: Blob;
  /** Scratch for per-user keys: prefix, kind, '/', user id. */
  readonly buf: usize;
  readonly meta: Blob;
  readonly pool: Blob;
  readonly leader: Blob;
  readonly usageQueue: Blob;

  constructor(prefix: Blob) {
    const buf = heap.alloc(MAX_PREFIX_BYTES + 2 + MAX_USER_BYTES);
    memory.copy(buf, prefix.ptr, prefix.len);
    this.prefix = prefix;
    this.buf = buf;
    this.meta = join(prefix, 'meta');
    this.pool = join(prefix, 'pool');
    this.leader = join(prefix, 'leader');
    this.usageQueue = join(prefix, 'usage');
  }

  /** Builds the key of `kind` for a user id; returns its length (the key is at `buf`). */
  user(kind: u8, userPtr: usize, userLen: usize): usize {
    const p = this.prefix.len;
    store<u8>(this.buf + p, kind);
    store<u8>(this.buf + p + 1, 0x2f);
    memory.copy(this.buf + p + 2, userPtr, userLen);
    return p + 2 + userLen;
  }
}

function join(prefix: Blob, name: string): Blob {
  return Blob.utf8(prefix.toString() + name);
}
