/**
 * Worker-thread side of the sharded engine (sharded-engine.ts): one ForecastEngine over a fixed
 * share of the users. It gathers its users' windows from the shared input, forecasts, and writes
 * its users' quantiles straight into the shared output.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DemandEvent } from '../domain/event';
import type { ResourceKind } from '../domain/demand';
import type { UserProfile } from '../domain/user';
import { createLocalForecastEngine, EngineStatus, ForecastEngineOptions } from './engine';

export type ShardRequest =
  { kind: 'forecast'; job: ShardJob } | { kind: 'setModel'; file: string | null } | { kind: 'close' };

export interface ShardJob {
  /** Shared, all users: values[(g * R + r) * steps + t]. */
  input: SharedArrayBuffer;
  /** Shared, all users: the batch's values. */
  output: SharedArrayBuffer;
  modelOf: SharedArrayBuffer;
  /** Shared, all users × horizon: ForecastBatch.activity (absent when the engines do not fill it). */
  activity?: SharedArrayBuffer;
  /** This shard's users and their global indices. */
  users: string[];
  global: Int32Array;
  resources: readonly ResourceKind[];
  startMs: number;
  stepMs: number;
  steps: number;
  profiles: [string, UserProfile][];
  events: DemandEvent[];
  /** Per shard user, or empty. */
  taus: Float32Array;
}

export type ShardReply =
  | { kind: 'ready' | 'done' | 'swapped'; status: EngineStatus }
  | { kind: 'model-error'; message: string }
  | { kind: 'error'; message: string };

let gathered = new Float32Array(0);

async function main(options: ForecastEngineOptions): Promise<void> {
  const post = (m: ShardReply) => parentPort!.postMessage(m);
  const engine = await createLocalForecastEngine({
    ...options,
    onModelError: (e) => post({ kind: 'model-error', message: e.message }),
  });
  post({ kind: 'ready', status: engine.status() });
  parentPort!.on('message', async (m: ShardRequest) => {
    try {
      if (m.kind === 'close') {
        await engine.close();
        process.exit(0);
      } else if (m.kind === 'setModel') {
        await engine.setModel(m.file);
        post({ kind: 'swapped', status: engine.status() });
      } else {
        const j = m.job;
        const R = j.resources.length;
        const span = R * j.steps;
        const input = new Float32Array(j.input);
        // This shard's windows, gathered into a buffer kept across cycles (the engine keeps no reference).
        if (gathered.length < j.users.length * span) gathered = new Float32Array(j.users.length * span);
        const values = gathered.subarray(0, j.users.length * span);
        for (let k = 0; k < j.users.length; k++)
          values.set(input.subarray(j.global[k] * span, (j.global[k] + 1) * span), k * span);
        // Quantiles and models go straight into the shared output, at each user's global index.
        await engine.forecastInto(
          {
            users: j.users,
            resources: j.resources,
            startMs: j.startMs,
            stepMs: j.stepMs,
            steps: j.steps,
            values,
          },
          {
            profiles: new Map(j.profiles),
            events: j.events,
            reservationQuantiles: j.taus.length ? j.taus : undefined,
          },
          {
            values: new Float32Array(j.output),
            modelOf: new Uint16Array(j.modelOf),
            index: j.global,
            activity: j.activity ? new Float32Array(j.activity) : undefined,
          },
        );
        post({ kind: 'done', status: engine.status() });
      }
    } catch (err) {
      post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  });
}

if (parentPort) void main(workerData as ForecastEngineOptions);
