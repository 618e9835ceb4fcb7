// Shared-data keys. Istio gives every WasmPlugin the same (empty) vm_id, so all keys share one
// namespace with other plugins: every key starts with the configured prefix. Per-user keys are
// prefix + kind + "/" + user id, built in a buffer owned by the root without allocating.
import { Blob } from '../lib/bytes';

export const KIND_RESERVATION: u8 = 0x72; // 'r': the user's record (reservation and live counters)

export const MAX_PREFIX_BYTES: usize = 64;
export const MAX_USER_BYTES: usize = 256;
export const MAX_KEY_BYTES: usize = MAX_PREFIX_BYTES + 2 + MAX_USER_BYTES;

let lastKeysId: u32 = 0;

/**
 * Builds per-user keys in a buffer that starts with the prefix: prefix, kind, '/', user id.
 * Unmanaged (plain memory): the request path builds a key without a GC frame.
 */
@unmanaged
export class UserKeys {
  /** The key being built; valid until the next build. */
  readonly buf: usize;
  readonly prefixLen: usize;
  /** Tells key heads written by writeHead from different prefixes apart (never 0). */
  readonly id: u32;

  constructor(prefix: Blob) {
    this.buf = heap.alloc(MAX_KEY_BYTES);
    this.prefixLen = prefix.len;
    this.id = ++lastKeysId;
    memory.copy(this.buf, prefix.ptr, prefix.len);
  }

  /** Writes prefix, kind, '/' at `dst` (MAX_KEY_BYTES long); returns the length, where an id goes. */
  writeHead(dst: usize, kind: u8): usize {
    const p = this.prefixLen;
    memory.copy(dst, this.buf, p);
    store<u8>(dst + p, kind);
    store<u8>(dst + p + 1, 0x2f);
    return p + 2;
  }

  /** Builds the key of `kind` for a user id; returns its length (the key is at `buf`). */
  build(kind: u8, userPtr: usize, userLen: usize): usize {
    const p = this.prefixLen;
    store<u8>(this.buf + p, kind);
    store<u8>(this.buf + p + 1, 0x2f);
    memory.copy(this.buf + p + 2, userPtr, userLen);
    return p + 2 + userLen;
  }
}

export class Keys {
  readonly prefix: Blob;
  /** Per-user keys, built in a scratch buffer. */
  readonly users: UserKeys;
  /** Scratch for per-user keys: prefix, kind, '/', user id (users.buf). */
  readonly buf: usize;
  readonly meta: Blob;
  readonly pool: Blob;
  readonly leader: Blob;
  readonly usageQueue: Blob;
  /** The usage queue consumer's liveness stamp (plan/usage_consumer.ts). */
  readonly usageConsumer: Blob;

  constructor(prefix: Blob) {
    const users = new UserKeys(prefix);
    this.prefix = prefix;
    this.users = users;
    this.buf = users.buf;
    this.meta = join(prefix, 'meta');
    this.pool = join(prefix, 'pool');
    this.leader = join(prefix, 'leader');
    this.usageQueue = join(prefix, 'usage');
    this.usageConsumer = join(prefix, 'usage-consumer');
  }

  /** Builds the key of `kind` for a user id; returns its length (the key is at `buf`). */
  user(kind: u8, userPtr: usize, userLen: usize): usize {
    return this.users.build(kind, userPtr, userLen);
  }
}

function join(prefix: Blob, name: string): Blob {
  return Blob.utf8(prefix.toString() + name);
}
