// Embedded sync, for Istio (a WasmPlugin cannot declare an Envoy singleton): the filter roots of
// all workers elect one of themselves through a lease in shared data (prefix + "leader"), and the
// winner runs the sync engine in its own VM. The lease is a compare-and-swap claim: an absent key
// is created only if still absent, an expired one is taken over only by the first writer, and the
// holder renews it on tick. If the leader's VM dies, another worker takes over once it expires.
import { returned } from '../abi/hostcalls';
import { CAS_CREATE_ONLY, getSharedData, setSharedData } from '../abi/shared_data';
import { log } from '../abi/hostcalls';
import { LogLevel, WasmResult } from '../abi/types';
import { random64 } from '../abi/wasi';
import { Config } from '../config/config';
import { Keys } from '../plan/keys';
import { SyncEngine } from './engine';

const LEASE_BYTES: usize = 16;
const lease: usize = memory.data(<i32>LEASE_BYTES, 8);

export class EmbeddedSync {
  readonly config: Config;
  readonly keys: Keys;
  /** This VM's claim id; random so that no two workers (or restarts) share one. */
  readonly uid: u64;
  leader: bool = false;
  engine: SyncEngine | null = null;

  constructor(config: Config, keys: Keys) {
    this.config = config;
    this.keys = keys;
    let id = random64();
    if (id == 0) id = 1;
    this.uid = id;
  }

  tick(now: u64): void {
    const was = this.leader;
    this.leader = this.elect(now);
    if (this.leader && !was) {
      log(LogLevel.Info, 'earmark: this thread now runs the embedded sync');
      const e = new SyncEngine(this.config, this.keys, now, this.config.tickMs);
      if (e.start(now)) this.engine = e;
    } else if (!this.leader && was) {
      log(LogLevel.Info, 'earmark: this thread no longer runs the embedded sync');
      this.stopEngine();
    }
    const e = this.engine;
    if (e !== null) e.tick(now);
  }

  private elect(now: u64): bool {
    const k = this.keys.leader;
    const leaseMs = <u64>this.config.sync.leaderLeaseMs;
    store<u64>(lease, this.uid);
    store<u64>(lease, now + leaseMs, 8);
    const r = getSharedData(k.ptr, k.len);
    if (r != WasmResult.Ok) {
      return setSharedData(k.ptr, k.len, lease, LEASE_BYTES, CAS_CREATE_ONLY) == WasmResult.Ok;
    }
    const cas = returned.cas;
    const valid = returned.len == LEASE_BYTES;
    const holder = valid ? load<u64>(returned.ptr) : 0;
    const until = valid ? load<u64>(returned.ptr, 8) : 0;
    if (holder == this.uid) {
      if (until > now && until - now > leaseMs / 2) return true;
      return setSharedData(k.ptr, k.len, lease, LEASE_BYTES, cas) == WasmResult.Ok;
    }
    if (now < until) return false;
    return setSharedData(k.ptr, k.len, lease, LEASE_BYTES, cas) == WasmResult.Ok;
  }

  private stopEngine(): void {
    const e = this.engine;
    if (e !== null) e.stop();
    this.engine = null;
  }

  /** Stops syncing and gives the lease up so another worker takes over at its next tick. */
  stop(): void {
    this.stopEngine();
    if (!this.leader) return;
    this.leader = false;
    const k = this.keys.leader;
    if (getSharedData(k.ptr, k.len) != WasmResult.Ok || returned.len != LEASE_BYTES) return;
    if (load<u64>(returned.ptr) != this.uid) return;
    store<u64>(lease, this.uid);
    store<u64>(lease, 0, 8);
    setSharedData(k.ptr, k.len, lease, LEASE_BYTES, returned.cas);
  }

  onQueueReady(token: u32): void {
    const e = this.engine;
    if (e !== null) e.onQueueReady(token);
  }
  onGrpcReceiveInitialMetadata(token: u32, headers: u32): void {
    const e = this.engine;
    if (e !== null) e.onGrpcReceiveInitialMetadata(token, headers);
  }
  onGrpcReceive(token: u32, size: u32, now: u64): void {
    const e = this.engine;
    if (e !== null) e.onGrpcReceive(token, size, now);
  }
  onGrpcClose(token: u32, status: u32, now: u64): void {
    const e = this.engine;
    if (e !== null) e.onGrpcClose(token, status, now);
  }
}
