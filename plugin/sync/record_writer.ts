// Writing the plan into shared data: reservation records (keeping the live counters the filters
// maintain in them), TTL deadline refreshes, tombstones, and the plan's meta record. Writes race
// the filters' compare-and-swap updates of the same records, so they are read-modify-write with
// CAS too; after MAX_WRITE_ATTEMPTS lost races a write goes through unconditionally, since
// applying the plan matters more than one request's accounting.
import { returned } from '../abi/hostcalls';
import { CAS_CREATE_ONLY, getSharedData, setSharedData } from '../abi/shared_data';
import { WasmResult } from '../abi/types';
import { ByteWriter } from '../lib/bytes';
import { KIND_RESERVATION, Keys } from '../plan/keys';
import { LIVE_BYTES, Limits, initLive } from '../plan/live';
import { PlanMeta, encodeMeta } from '../plan/meta';
import { LIVE_OFFSET, RecordStatus, ReservationView, decodeRecord, encodeTombstone } from '../plan/record';

const MAX_WRITE_ATTEMPTS: i32 = 8;

export class RecordWriter {
  readonly keys: Keys;
  private readonly value: ByteWriter = new ByteWriter(256);
  private readonly limits: Limits = new Limits();
  private readonly old: ReservationView = new ReservationView();

  constructor(keys: Keys) {
    this.keys = keys;
  }

  /** Writes an encoded record (at recPtr), carrying over the live counters of the one it replaces. */
  reservation(namePtr: usize, nameLen: usize, recPtr: usize, recLen: usize, now: u64): void {
    const k = this.keys;
    const keyLen = k.user(KIND_RESERVATION, namePtr, nameLen);
    const v = this.value;
    const l = this.limits;
    l.slots = load<u32>(recPtr, 8);
    l.ratePerMinute = load<u32>(recPtr, 12);
    l.burst = load<u32>(recPtr, 16);
    for (let attempt = 0; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      v.reset();
      v.bytes(recPtr, recLen);
      let cas = CAS_CREATE_ONLY;
      if (getSharedData(k.buf, keyLen) == WasmResult.Ok) {
        cas = returned.cas;
        if (decodeRecord(returned.ptr, returned.len, this.old) == RecordStatus.Valid) {
          memory.copy(v.ptr + LIVE_OFFSET, this.old.livePtr, LIVE_BYTES);
        } else initLive(v.ptr + LIVE_OFFSET, l, now);
      } else initLive(v.ptr + LIVE_OFFSET, l, now);
      if (attempt == MAX_WRITE_ATTEMPTS) cas = 0;
      if (setSharedData(k.buf, keyLen, v.ptr, v.len, cas) == WasmResult.Ok) return;
    }
  }

  /** Moves a record's valid_until (a TTL refreshed by a heartbeat). */
  deadline(namePtr: usize, nameLen: usize, validUntilMs: u64): void {
    const k = this.keys;
    const keyLen = k.user(KIND_RESERVATION, namePtr, nameLen);
    for (let attempt = 0; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      if (getSharedData(k.buf, keyLen) != WasmResult.Ok) return;
      if (decodeRecord(returned.ptr, returned.len, this.old) != RecordStatus.Valid) return;
      store<u64>(returned.ptr, validUntilMs, 40);
      const cas = attempt == MAX_WRITE_ATTEMPTS ? 0 : returned.cas;
      if (setSharedData(k.buf, keyLen, returned.ptr, returned.len, cas) == WasmResult.Ok) return;
    }
  }

  /** Shrinks a user's record to a tombstone (shared data has no delete; the key is reused). */
  tombstone(user: string): void {
    const utf8 = String.UTF8.encode(user);
    const k = this.keys;
    const keyLen = k.user(KIND_RESERVATION, changetype<usize>(utf8), <usize>utf8.byteLength);
    const v = this.value;
    v.reset();
    encodeTombstone(v);
    setSharedData(k.buf, keyLen, v.ptr, v.len, 0);
  }

  meta(m: PlanMeta): void {
    const v = this.value;
    v.reset();
    encodeMeta(v, m);
    const k = this.keys.meta;
    setSharedData(k.ptr, k.len, v.ptr, v.len, 0);
  }
}
