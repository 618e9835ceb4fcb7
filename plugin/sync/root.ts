// The sync root (root id "earmark_sync"): an Envoy singleton service (bootstrap extension
// envoy.bootstrap.wasm with singleton: true) on the main thread. It needs the "sync" section of
// the configuration; it keeps the plan in shared data current and forwards usage upstream.
import { RootContext } from '../abi/context';
import { log, nowMs, refreshLogLevel, setTickPeriod } from '../abi/hostcalls';
import { LogLevel } from '../abi/types';
import { loadConfig, refuse } from '../config/load';
import { Keys } from '../plan/keys';
import { SyncEngine } from './engine';

export class SyncRoot extends RootContext {
  engine: SyncEngine | null = null;
  private cluster: string = '';

  onConfigure(configSize: u32): bool {
    refreshLogLevel();
    const loaded = loadConfig(configSize);
    if (loaded === null) return false;
    const config = loaded;
    if (!config.hasSync) {
      refuse('sync: required by the sync root (root id ' + this.rootId + ')');
      return false;
    }
    const old = this.engine;
    if (old !== null) old.stop();
    this.engine = new SyncEngine(config, new Keys(config.keyPrefix), nowMs(), config.sync.tickMs);
    this.cluster = config.sync.cluster;
    // The streams open and the usage queue is registered at the first tick, not here: Envoy runs
    // on_configure on a throw-away canary VM first, which must not connect or take the queue.
    setTickPeriod(config.sync.tickMs);
    return true;
  }

  onTick(): void {
    refreshLogLevel();
    const e = this.engine;
    if (e === null) return;
    const now = nowMs();
    if (!e.running) {
      if (!e.start(now)) return;
      log(LogLevel.Info, 'earmark: sync started (cluster ' + this.cluster + ')');
    }
    e.tick(now);
  }

  onQueueReady(token: u32): void {
    const e = this.engine;
    if (e !== null) e.onQueueReady(token);
  }

  onGrpcReceiveInitialMetadata(token: u32, headers: u32): void {
    const e = this.engine;
    if (e !== null) e.onGrpcReceiveInitialMetadata(token, headers);
  }

  onGrpcReceive(token: u32, size: u32): void {
    const e = this.engine;
    if (e !== null) e.onGrpcReceive(token, size, nowMs());
  }

  onGrpcClose(token: u32, status: u32): void {
    const e = this.engine;
    if (e !== null) e.onGrpcClose(token, status, nowMs());
  }

  onDone(): bool {
    const e = this.engine;
    if (e !== null) {
      e.usage.drain();
      e.usage.report(nowMs(), e.plan.versionText);
      e.stop();
    }
    return true;
  }
}
