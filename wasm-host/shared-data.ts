// Process-wide shared data (cpp-host src/shared_data.cc, shared_data.h): one store per vm_id, shared
// by every VM of the process; one global CAS counter starting at 1 that skips 0 on wrap; cas = 0
// writes unconditionally; a stale cas gives CAS_MISMATCH; writing an absent key always succeeds;
// the ABI has no delete. Keys and values are bytes (see shared-store.ts for the layout).

import { WasmResult as WasmResultValues } from './abi';
import { SharedStore, type WordViews } from './shared-store';
// Local copy: module exports are getters under tsx, too slow on the per-call path.
const WasmResult = WasmResultValues;

export interface SharedEntry {
  value: Uint8Array;
  cas: number;
}

const bytes = (s: string | Uint8Array): Uint8Array =>
  typeof s === 'string' ? new Uint8Array(Buffer.from(s, 'utf8')) : s;

export class SharedData {
  private readonly stores = new Map<string, SharedStore>();
  private cas = 1;
  readonly nextCas = (): number => {
    const result = this.cas;
    this.cas = (this.cas + 1) >>> 0;
    if (this.cas === 0) this.cas = 1; // 0 is not a valid CAS value.
    return result;
  };

  /** The store of one vm_id (latin1 name), created empty; host functions keep it at hand. */
  storeFor(vmIdRaw: string): SharedStore {
    let s = this.stores.get(vmIdRaw);
    if (s === undefined) {
      s = new SharedStore();
      this.stores.set(vmIdRaw, s);
    }
    return s;
  }

  /** SharedData::set on a store, key and value given as (bytes, offset, length); words = wordsOf(src). */
  setIn(
    store: SharedStore,
    src: Uint8Array,
    words: WordViews,
    kAt: number,
    kLen: number,
    vAt: number,
    vLen: number,
    cas: number,
  ): number {
    return store.set(src, kAt, kLen, src, vAt, vLen, cas, this.nextCas, words) < 0
      ? WasmResult.CasMismatch
      : WasmResult.Ok;
  }

  // ---- driver-facing (vm_id and key as UTF-8 strings, values as strings or bytes) ----

  private store(vmId: string): SharedStore {
    return this.storeFor(Buffer.from(vmId, 'utf8').toString('latin1'));
  }

  get(vmId: string, key: string | Uint8Array): SharedEntry | undefined {
    const s = this.store(vmId);
    const k = bytes(key);
    const off = s.find(k, 0, k.length);
    return off < 0 ? undefined : { value: s.value(off), cas: s.cas(off) };
  }

  set(vmId: string, key: string | Uint8Array, value: string | Uint8Array, cas = 0): number {
    const k = bytes(key);
    const v = bytes(value);
    return this.store(vmId).set(k, 0, k.length, v, 0, v.length, cas, this.nextCas) < 0
      ? WasmResult.CasMismatch
      : WasmResult.Ok;
  }

  keys(vmId: string): string[] {
    const s = this.store(vmId);
    return s.records().map((off) => Buffer.from(s.key(off)).toString('utf8'));
  }

  size(vmId: string): number {
    return this.store(vmId).count;
  }

  /** Bytes held for a vm_id (records and index), for memory budgets in benches. */
  bytes(vmId: string): number {
    return this.store(vmId).bytes();
  }
}
