/**
 * Continuous retraining: on a schedule (or on demand), collect recent demand, train a challenger
 * in a worker thread, compare it with the champion on the newest holdout window, record the
 * candidate in the registry, promote it only if it is better, and hot-swap the engine's model.
 * The event loop never runs training: only message passing and two small file writes.
 *
 *   const r = createRetrainer({ registry, engine, collect: () => readRecentDemand() });
 *   r.start(6 * 3600_000);  // or await r.runOnce()
 *   await r.rollback();     // back to the previous champion
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ForecastEngine } from '../engine';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import { decidePromotion, DEFAULT_PROMOTION, PromotionDecision, PromotionRule } from '../registry/promotion';
import type { RetrainData, RetrainOptions, RetrainResult } from './job';
import type { WorkerJob, WorkerMessage } from './worker';

export interface RetrainerOptions {
  registry: ModelRegistry;
  /** Swapped to the new champion after a promotion or rollback. */
  engine?: ForecastEngine;
  /** Recent demand to learn from (the service reads it from the store). */
  collect: () => Promise<RetrainData>;
  rule?: PromotionRule;
  training?: RetrainOptions;
  onProgress?: (epoch: number, trainLoss: number, valLoss: number) => void;
  onOutcome?: (o: RetrainOutcome) => void;
  /** Aborting ends the round in progress: the worker is terminated, nothing is recorded or swapped. */
  signal?: AbortSignal;
}

export interface RetrainOutcome {
  candidate: ModelVersion;
  decision: PromotionDecision;
  result: Omit<RetrainResult, 'challenger'>;
  champion: number;
}

const WORKER_FILE = path.join(__dirname, 'worker.ts');

/** Runs one job in a fresh worker thread (tsx registered there, whatever started the parent). */
export function runInWorker(
  job: WorkerJob,
  onProgress?: RetrainerOptions['onProgress'],
  signal?: AbortSignal,
): Promise<RetrainResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RetrainingStopped());
    const w = new Worker(WORKER_FILE, {
      workerData: job,
      execArgv: ['--require', require.resolve('tsx/cjs')],
      transferList: [job.data.values.buffer as ArrayBuffer],
    });
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', abort);
      return true;
    };
    // Resolves once the worker is gone, so a stop that awaits the round leaves no thread behind.
    const abort = () => settle() && void w.terminate().finally(() => reject(new RetrainingStopped()));
    signal?.addEventListener('abort', abort, { once: true });
    w.on('message', (m: WorkerMessage) => {
      if (m.kind === 'progress') onProgress?.(m.epoch, m.trainLoss, m.valLoss);
      else if (settle()) {
        void w.terminate();
        if (m.kind === 'done') resolve({ ...m.result, challenger: new Uint8Array(m.result.challenger) });
        else reject(new Error(`retraining failed: ${m.message}`));
      }
    });
    w.on('error', (err) => settle() && reject(err));
    w.on('exit', (code) => {
      if (settle()) reject(new Error(`retraining worker exited with code ${code} before finishing`));
    });
  });
}

/** The round was aborted (the service stopping): not a failure of the model or the data. */
export class RetrainingStopped extends Error {
  constructor() {
    super('retraining stopped');
    this.name = 'RetrainingStopped';
  }
}

export class Retrainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetrainOutcome> | undefined;

  constructor(private readonly o: RetrainerOptions) {}

  /** One round; concurrent calls share the round in progress. */
  runOnce(): Promise<RetrainOutcome> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<RetrainOutcome> {
    const { registry } = this.o;
    const champion = registry.championVersion;
    const data = await this.o.collect();
    if (this.o.signal?.aborted) throw new RetrainingStopped();
    const result = await runInWorker(
      { data, championFile: registry.fileOf(champion), options: this.o.training ?? {} },
      this.o.onProgress,
      this.o.signal,
    );
    // From here to the promotion nothing awaits: a stop either came before (nothing recorded) or
    // finds the round done.
    if (this.o.signal?.aborted) throw new RetrainingStopped();
    const { challenger, ...figures } = result;
    const candidate = registry.addCandidate(challenger, { ...figures, comparedWith: champion });
    // addCandidate re-read registry.json: a rollback made meanwhile (the CLI beside the service)
    // wins over a challenger that was only compared with the champion it replaced.
    const moved = registry.championVersion !== champion;
    const decision: PromotionDecision = moved
      ? {
          promote: false,
          reason: `the champion changed during the round (v${champion} → v${registry.championVersion}); not compared with it`,
        }
      : decidePromotion(
          { champion: result.championLoss, challenger: result.challengerLoss, rows: result.holdoutRows },
          this.o.rule ?? DEFAULT_PROMOTION,
        );
    if (decision.promote) {
      registry.promote(candidate.version, decision.reason);
      await this.o.engine?.setModel(registry.fileOf(candidate.version));
    } else registry.reject(candidate.version, decision.reason);
    const outcome = {
      candidate: registry.get(candidate.version),
      decision,
      result: figures,
      champion: registry.championVersion,
    };
    this.o.onOutcome?.(outcome);
    return outcome;
  }

  /** Back to the previous champion, in the registry and in the engine. */
  async rollback(reason?: string): Promise<ModelVersion> {
    const v = this.o.registry.rollback(reason);
    await this.o.engine?.setModel(v.file);
    return v;
  }

  start(everyMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.runOnce().catch((err) =>
        console.warn(`forecast retraining: ${err instanceof Error ? err.message : err}`),
      );
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export function createRetrainer(o: RetrainerOptions): Retrainer {
  return new Retrainer(o);
}
