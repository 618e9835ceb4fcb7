/**
 * Retraining on the service clock: every `everyMs`, recent demand from the store is handed to the
 * forecast engine's Retrainer, which trains a challenger in a worker thread, promotes it only if it
 * beats the champion on held-out data, and hot-swaps the engine's model. Only runs when there is an
 * ONNX champion to start from; with baselines alone there is nothing to retrain.
 */
import * as fs from 'node:fs';
import type { Clock, TimerHandle } from '../domain/clock';
import { RESOURCES } from '../domain/demand';
import type { Logger } from '../domain/logger';
import type { ForecastEngine } from '../forecast/engine';
import { readSignature } from '../forecast/model/signature';
import { ModelRegistry } from '../forecast/registry/model-registry';
import { createRetrainer, RetrainingStopped, type RetrainOutcome } from '../forecast/retrain/retrainer';
import type { CycleStore } from './stages';

export interface RetrainingOptions {
  clock: Clock;
  everyMs: number;
  engine: ForecastEngine;
  /** Where challenger versions and registry.json are kept (e.g. var/models). */
  registryDir: string;
  /** Version 0: the committed default model. */
  defaultModelFile: string;
  store: Pick<CycleStore, 'readDemandWindows'>;
  stepMs: number;
  /** Steps of recent demand to learn from. */
  steps: number;
  logger: Logger;
  /**
   * How often, between rounds, registry.json is read for a champion changed outside the service
   * (`earmark models rollback`); 0 = only before each round. Default 60 s.
   */
  followMs?: number;
}

export interface RetrainingStatus {
  enabled: boolean;
  reason?: string;
  runs: number;
  running: boolean;
  champion?: number;
  last?: { atMs: number; promoted: boolean; reason: string } | { atMs: number; error: string };
}

/** Throws unless `file` reads and decodes as a model of the contract (no onnxruntime session). */
function checkModelFile(file: string): void {
  readSignature(fs.readFileSync(file), file);
}

/**
 * Rolls the registry back past champions whose file is missing or damaged (a power cut, a
 * deletion), at worst to version 0, warning for each: serving baselines and failing every round
 * at loading the champion, while an older champion is intact, helps no one.
 */
function fallBack(registry: ModelRegistry, warn: (message: string) => void): void {
  try {
    for (const s of registry.rollBackPastUnusable(checkModelFile))
      warn(
        `forecast model v${s.version} is unusable (${s.error}); rolled back to v${registry.championVersion}`,
      );
  } catch (err) {
    warn(`forecast model registry ${registry.dir}: ${(err as Error).message}`);
  }
}

/**
 * The model the engine should start on: the registry's newest usable champion, when there is a
 * default model at all.
 */
export function championModelFile(
  registryDir: string,
  defaultModelFile: string,
  warn: (message: string) => void = (m) => console.warn(m),
): string | undefined {
  if (!fs.existsSync(defaultModelFile)) return undefined;
  const registry = new ModelRegistry(registryDir, defaultModelFile, Date.now, warn);
  fallBack(registry, warn);
  return registry.fileOf(registry.championVersion);
}

export class RetrainingSchedule {
  private timer: TimerHandle | undefined;
  private followTimer: TimerHandle | undefined;
  /** A look at the registry between rounds, in progress (a round waits for it). */
  private following: Promise<void> | undefined;
  private running = false;
  /** The round in progress and its abort (stop). */
  private current: Promise<unknown> | undefined;
  private abort: AbortController | undefined;
  private state: RetrainingStatus;
  private readonly registry: ModelRegistry | undefined;

  constructor(private readonly o: RetrainingOptions) {
    if (!(o.everyMs > 0)) this.state = { enabled: false, reason: 'disabled', runs: 0, running: false };
    else if (!fs.existsSync(o.defaultModelFile))
      this.state = {
        enabled: false,
        reason: `no champion model at ${o.defaultModelFile}; forecasting runs on baselines`,
        runs: 0,
        running: false,
      };
    else {
      this.registry = new ModelRegistry(
        o.registryDir,
        o.defaultModelFile,
        () => o.clock.now(),
        (m) => o.logger.warn(m),
      );
      this.state = { enabled: true, runs: 0, running: false, champion: this.registry.championVersion };
    }
  }

  start(): void {
    if (!this.state.enabled) return;
    this.scheduleRound();
    this.scheduleFollow();
  }

  private scheduleRound(): void {
    this.timer = this.o.clock.setTimer(this.o.everyMs, () => {
      void this.runOnce().finally(() => this.state.enabled && this.timer && this.scheduleRound());
    });
  }

  /**
   * A rollback made with the CLI while the service runs is served within followMs, not only at
   * the next round (6 h by default): the operator rolled back because the model is bad now.
   */
  private scheduleFollow(): void {
    const every = this.o.followMs ?? 60_000;
    if (!(every > 0)) return;
    this.followTimer = this.o.clock.setTimer(every, () => {
      void this.followNow().finally(() => this.followTimer && this.scheduleFollow());
    });
  }

  private async followNow(): Promise<void> {
    if (this.running || this.following) return;
    this.following = this.followRegistry().catch((err: Error) =>
      this.o.logger.warn('cannot follow the model registry', { error: err.message }),
    );
    await this.following;
    this.following = undefined;
  }

  /**
   * Cancels the timer and ends the round in progress (its worker terminated, nothing promoted or
   * swapped); resolves once that round is over, so the engine can be closed after it.
   */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.followTimer?.cancel();
    this.followTimer = undefined;
    this.abort?.abort();
    await this.current;
    await this.following;
  }

  status(): RetrainingStatus {
    return { ...this.state, running: this.running };
  }

  /**
   * Before a round: registry.json as on disk now (`earmark models rollback` may have changed it
   * while the service ran), past any champion whose file became unusable; the engine is swapped to
   * that champion when it is not the one this schedule last served.
   */
  private async followRegistry(): Promise<void> {
    const registry = this.registry!;
    fallBack(registry, (m) => this.o.logger.warn(m)); // re-reads registry.json first
    const champion = registry.championVersion;
    if (champion === this.state.champion) return;
    const file = registry.fileOf(champion);
    await this.o.engine.setModel(file);
    // setModel keeps the last good model when a file does not load (and reports why): the champion
    // counts as served only once the engine runs it, so a failed swap is tried again next time.
    const st = this.o.engine.status();
    if (st.model === null || st.modelFile !== file) {
      this.o.logger.warn('forecast champion changed outside the service, but it does not load; not served', {
        from: this.state.champion,
        to: champion,
        error: st.modelError ?? undefined,
      });
      return;
    }
    this.o.logger.warn('forecast champion changed outside the service; serving it', {
      from: this.state.champion,
      to: champion,
    });
    this.state.champion = champion;
  }

  runOnce(): Promise<RetrainOutcome | undefined> {
    if (!this.registry || this.running) return Promise.resolve(undefined);
    this.running = true;
    this.abort = new AbortController();
    const round = this.round(this.registry, this.abort.signal);
    this.current = round;
    return round;
  }

  private async round(registry: ModelRegistry, signal: AbortSignal): Promise<RetrainOutcome | undefined> {
    const { o } = this;
    const atMs = o.clock.now();
    try {
      await this.following;
      await this.followRegistry();
      const retrainer = createRetrainer({
        registry,
        engine: o.engine,
        signal,
        collect: async () => {
          const to = Math.floor(atMs / o.stepMs) * o.stepMs;
          const w = await o.store.readDemandWindows({
            fromMs: to - o.steps * o.stepMs,
            toMs: to,
            stepMs: o.stepMs,
          });
          const R = w.resources.length;
          const resourceOf = new Int8Array(w.users.length * R);
          for (let i = 0; i < resourceOf.length; i++) resourceOf[i] = RESOURCES.indexOf(w.resources[i % R]);
          return {
            series: w.users.length * R,
            resourceOf,
            startMs: w.startMs,
            stepMs: w.stepMs,
            steps: w.steps,
            values: w.values,
          };
        },
      });
      const out = await retrainer.runOnce();
      this.state.last = { atMs, promoted: out.decision.promote, reason: out.decision.reason };
      this.state.champion = out.champion;
      o.logger.info('retraining finished', { promoted: out.decision.promote, reason: out.decision.reason });
      return out;
    } catch (err) {
      this.state.last = { atMs, error: (err as Error).message };
      if (err instanceof RetrainingStopped) o.logger.info('retraining stopped; nothing recorded');
      else o.logger.warn('retraining failed; the current model stays', { error: (err as Error).message });
      return undefined;
    } finally {
      this.state.runs++;
      this.running = false;
    }
  }
}
