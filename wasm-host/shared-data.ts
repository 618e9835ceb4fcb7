// Process-wide shared data (cpp-host src/shared_data.cc, shared_data.h): one map per vm_id, shared by
// every VM of the process; one global CAS counter starting at 1 that skips 0 on wrap; cas = 0 writes
// unconditionally; a stale cas gives CAS_MISMATCH; writing an absent key always succeeds; the ABI
// has no delete. Keys are latin1 strings (one char per byte) so any bytes round-trip.

import { WasmResult } from './abi';
import { bytesToLatin1, latin1ToBytes } from './memory';

export interface SharedEntry {
  value: Uint8Array;
  cas: number;
}

export class SharedData {
  private readonly data = new Map<string, Map<string, SharedEntry>>();
  private cas = 1;

  private nextCas(): number {
    const result = this.cas;
    this.cas = (this.cas + 1) >>> 0;
    if (this.cas === 0) this.cas = 1; // 0 is not a valid CAS value.
    return result;
  }

  /** Raw lookup: vm_id and key as latin1. */
  getRaw(vmId: string, key: string): SharedEntry | undefined {
    return this.data.get(vmId)?.get(key);
  }

  /** SharedData::set: the value is copied (owned by the store). */
  setRaw(vmId: string, key: string, value: Uint8Array, cas: number): number {
    let map = this.data.get(vmId);
    if (map === undefined) {
      map = new Map();
      this.data.set(vmId, map);
    }
    const entry = map.get(key);
    if (entry !== undefined) {
      if (cas !== 0 && cas !== entry.cas) return WasmResult.CasMismatch;
      entry.value = value;
      entry.cas = this.nextCas();
    } else {
      map.set(key, { value, cas: this.nextCas() });
    }
    return WasmResult.Ok;
  }

  // ---- driver-facing (keys as UTF-8 strings, values as bytes) ----

  get(vmId: string, key: string): SharedEntry | undefined {
    const e = this.getRaw(Buffer.from(vmId).toString('latin1'), Buffer.from(key).toString('latin1'));
    return e === undefined ? undefined : { value: e.value.slice(), cas: e.cas };
  }

  set(vmId: string, key: string, value: string | Uint8Array, cas = 0): number {
    const bytes = typeof value === 'string' ? new Uint8Array(Buffer.from(value)) : value.slice();
    return this.setRaw(Buffer.from(vmId).toString('latin1'), Buffer.from(key).toString('latin1'), bytes, cas);
  }

  keys(vmId: string): string[] {
    const map = this.data.get(Buffer.from(vmId).toString('latin1'));
    return map === undefined
      ? []
      : [...map.keys()].map((k) => Buffer.from(latin1ToBytes(k)).toString('utf8'));
  }

  size(vmId: string): number {
    return this.data.get(Buffer.from(vmId).toString('latin1'))?.size ?? 0;
  }

  /** Total bytes of keys and values held for a vm_id (for memory budgets in benches). */
  bytes(vmId: string): number {
    let n = 0;
    for (const [k, e] of this.data.get(Buffer.from(vmId).toString('latin1')) ?? [])
      n += k.length + e.value.length;
    return n;
  }
}

export const keyToString = (k: string): string => Buffer.from(latin1ToBytes(k)).toString('utf8');
export { bytesToLatin1 };
