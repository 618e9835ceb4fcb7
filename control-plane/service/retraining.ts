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
import { ModelRegistry } from '../forecast/registry/model-registry';
import { createRetrainer, type RetrainOutcome } from '../forecast/retrain/retrainer';
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
}

export interface RetrainingStatus {
  enabled: boolean;
  reason?: string;
  runs: number;
  running: boolean;
  champion?: number;
  last?: { atMs: number; promoted: boolean; reason: string } | { atMs: number; error: string };
}

/** The model the engine should start on: the registry's champion, when there is a default model at all. */
export function championModelFile(registryDir: string, defaultModelFile: string): string | undefined {
  if (!fs.existsSync(defaultModelFile)) return undefined;
  const registry = new ModelRegistry(registryDir, defaultModelFile);
  return registry.fileOf(registry.championVersion);
}

export class RetrainingSchedule {
  private timer: TimerHandle | undefined;
  private running = false;
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
      this.registry = new ModelRegistry(o.registryDir, o.defaultModelFile, () => o.clock.now());
      this.state = { enabled: true, runs: 0, running: false, champion: this.registry.championVersion };
    }
  }

  start(): void {
    if (!this.state.enabled) return;
    this.timer = this.o.clock.setTimer(this.o.everyMs, () => {
      void this.runOnce().finally(() => this.state.enabled && this.timer && this.start());
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  status(): RetrainingStatus {
    return { ...this.state, running: this.running };
  }

  async runOnce(): Promise<RetrainOutcome | undefined> {
    if (!this.registry || this.running) return undefined;
    this.running = true;
    const { o } = this;
    const atMs = o.clock.now();
    try {
      const retrainer = createRetrainer({
        registry: this.registry,
        engine: o.engine,
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
      o.logger.warn('retraining failed; the current model stays', { error: (err as Error).message });
      return undefined;
    } finally {
      this.state.runs++;
      this.running = false;
    }
  }
}
