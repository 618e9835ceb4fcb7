// The sync root (root id "earmark_sync"): an Envoy singleton service (bootstrap extension
// envoy.bootstrap.wasm with singleton: true) on the main thread. It needs the "sync" section of
// the configuration; it keeps the plan in shared data current and forwards usage upstream.
import { RootContext } from '../abi/context';
import { getBufferBytes, log, nowMs, refreshLogLevel, returned, setTickPeriod } from '../abi/hostcalls';
import { BufferType, LogLevel, WasmResult } from '../abi/types';
import { parseConfig } from '../config/parse';
import { Keys } from '../plan/keys';
import { SyncEngine } from './engine';

export class SyncRoot extends RootContext {
  engine: SyncEngine | null = null;

  onConfigure(configSize: u32): bool {
    refreshLogLevel();
    let text = '';
    if (configSize > 0) {
      if (getBufferBytes(BufferType.PluginConfiguration, 0, configSize) != WasmResult.Ok) {
        log(LogLevel.Error, 'earmark: cannot read the plugin configuration');
        return false;
      }
      text = String.UTF8.decodeUnsafe(returned.ptr, returned.len);
    }
    const parsed = parseConfig(text);
    if (parsed.config === null) {
      log(LogLevel.Error, 'earmark: invalid plugin configuration: ' + parsed.error);
      return false;
    }
    const config = parsed.config!;
    if (!config.hasSync) {
      log(
        LogLevel.Error,
        'earmark: invalid plugin configuration: sync: required by the sync root (root id ' +
          this.rootId +
          ')',
      );
      return false;
    }
    const old = this.engine;
    if (old !== null) old.stop();
    const now = nowMs();
    const e = new SyncEngine(config, new Keys(config.keyPrefix), now);
    if (!e.start(now)) return false;
    this.engine = e;
    setTickPeriod(config.sync.tickMs);
    log(LogLevel.Info, 'earmark: sync started (cluster ' + config.sync.cluster + ')');
    return true;
  }

  onTick(): void {
    refreshLogLevel();
    const e = this.engine;
    if (e !== null) e.tick(nowMs());
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
