/**
 * Worker-thread entry for retraining: receives one job, posts progress and the result. Started
 * by retrainer.ts with tsx registered in the worker (execArgv), so it runs from TypeScript source
 * whether the parent came from `tsx`, mocha or the `earmark` bin shim.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { retrain, RetrainData, RetrainOptions } from './job';

export interface WorkerJob {
  data: RetrainData;
  championFile: string;
  options: RetrainOptions;
}

export type WorkerMessage =
  | { kind: 'progress'; epoch: number; trainLoss: number; valLoss: number }
  | { kind: 'done'; result: Awaited<ReturnType<typeof retrain>> }
  | { kind: 'error'; message: string };

async function main(job: WorkerJob): Promise<void> {
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);
  try {
    const result = await retrain(job.data, job.championFile, job.options, (epoch, trainLoss, valLoss) =>
      post({ kind: 'progress', epoch, trainLoss, valLoss }),
    );
    post({ kind: 'done', result }, [result.challenger.buffer as ArrayBuffer]);
  } catch (err) {
    post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

if (parentPort) void main(workerData as WorkerJob);
