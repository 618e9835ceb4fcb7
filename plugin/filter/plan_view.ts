// The filter's view of the plan's freshness, from the meta record the sync root maintains. Read
// once per tick; a request only compares the clock against the cached mark, and re-reads the
// record only when that mark says the plan went stale (so a recovered plan is noticed at once).
// Unmanaged (plain memory owned by the filter state): the check costs no GC frame per request.
import { getSharedData } from '../abi/shared_data';
import { returned } from '../abi/hostcalls';
import { WasmResult } from '../abi/types';
import { Blob } from '../lib/bytes';
import { PlanMeta, decodeMeta } from '../plan/meta';

@unmanaged
export class PlanView {
  /** The meta record's key (bytes owned by the filter state's Keys). */
  private readonly keyPtr: usize;
  private readonly keyLen: usize;
  readonly ttlMs: u64;
  present: bool = false;
  freshMs: u64 = 0;
  generation: u64 = 0;
  appliedMs: u64 = 0;
  resources: u32 = 0;
  private readonly meta: PlanMeta = new PlanMeta();

  constructor(key: Blob, ttlMs: u64) {
    this.keyPtr = key.ptr;
    this.keyLen = key.len;
    this.ttlMs = ttlMs;
  }

  refresh(): void {
    if (
      getSharedData(this.keyPtr, this.keyLen) == WasmResult.Ok &&
      decodeMeta(returned.ptr, returned.len, this.meta)
    ) {
      this.present = this.meta.generation > 0;
      this.freshMs = this.meta.freshMs;
      this.generation = this.meta.generation;
      this.appliedMs = this.meta.appliedMs;
      this.resources = this.meta.resources;
    } else {
      this.present = false;
    }
  }

  private currentAt(now: u64): bool {
    return this.present && (now <= this.freshMs || now - this.freshMs <= this.ttlMs);
  }

  /** Whether requests may be decided from the plan at `now`. */
  usable(now: u64): bool {
    if (this.currentAt(now)) return true;
    this.refresh();
    return this.currentAt(now);
  }

  stale(now: u64): bool {
    return !this.currentAt(now);
  }
}
