/**
 * The forecast engine split across worker threads: each user belongs to one shard (by a hash of
 * the user id, so their chooser and calibration state stays in one place), every shard runs a
 * ForecastEngine in its own thread, inputs and outputs travel through shared memory. On a 2-core
 * machine two shards roughly halve a cycle, and the calling thread's event loop stays free.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DemandWindows, ForecastBatch } from '../domain/demand';
import type { UserProfile } from '../domain/user';
import type { EngineStatus, ForecastContext, ForecastEngine, ForecastEngineOptions } from './engine';
import type { OnnxQuantileModel } from './model/onnx-model';
import type { ShardJob, ShardReply, ShardRequest } from './shard-worker';

const WORKER_FILE = path.join(__dirname, 'shard-worker.ts');

/** FNV-1a over the user id's UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

interface SharedArrays {
  output: SharedArrayBuffer;
  modelOf: SharedArrayBuffer;
  activity: SharedArrayBuffer | undefined;
}

class Shard {
  private pending: { resolve: (r: ShardReply) => void; reject: (e: Error) => void }[] = [];
  status: EngineStatus | undefined;

  constructor(
    readonly worker: Worker,
    onModelError: (message: string) => void,
  ) {
    worker.on('message', (m: ShardReply) => {
      if (m.kind === 'model-error') return onModelError(m.message);
      const p = this.pending.shift();
      if (!p) return;
      if (m.kind === 'error') p.reject(new Error(m.message));
      else {
        this.status = m.status;
        p.resolve(m);
      }
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`forecast shard exited with code ${code}`)));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  /** Waits for the next reply (the worker answers requests in order). */
  next(): Promise<ShardReply> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  request(m: ShardRequest): Promise<ShardReply> {
    const reply = this.next();
    this.worker.postMessage(m);
    return reply;
  }
}

export class ShardedForecastEngine implements ForecastEngine {
  private shardOf = new Map<string, number>();
  private input: SharedArrayBuffer | undefined;
  /** Shared arrays behind the batches returned, and one set given back by recycle(). */
  private issued = new WeakMap<Float32Array, SharedArrays>();
  private spare: SharedArrays | undefined;

  private constructor(private readonly shards: Shard[]) {}

  static async create(opts: ForecastEngineOptions, count: number): Promise<ShardedForecastEngine> {
    if (opts.model || opts.baselines)
      throw new Error('a sharded engine takes modelFile and default baselines only');
    const report =
      opts.onModelError ?? ((msg: Error) => console.warn(`forecast: ${msg.message}; using baselines`));
    let last = '';
    const onModelError = (message: string) => {
      if (message !== last) report(new Error(message)); // every shard reports the same problem
      last = message;
    };
    const { onModelError: _omit, ...rest } = opts;
    void _omit;
    const shards = Array.from({ length: count }, () => {
      const worker = new Worker(WORKER_FILE, {
        workerData: {
          ...rest,
          threads: 0,
          // Explore as often as one engine over all users would.
          exploreSeriesPerGroup: (rest.exploreSeriesPerGroup ?? 50_000) / count,
        },
        execArgv: ['--require', require.resolve('tsx/cjs')],
      });
      return new Shard(worker, onModelError);
    });
    await Promise.all(shards.map((s) => s.next()));
    return new ShardedForecastEngine(shards);
  }

  private shardFor(user: string): number {
    let s = this.shardOf.get(user);
    if (s === undefined) {
      if (this.shardOf.size > 4_000_000) this.shardOf.clear();
      s = hash(user) % this.shards.length;
      this.shardOf.set(user, s);
    }
    return s;
  }

  async forecast(w: DemandWindows, ctx: ForecastContext = {}): Promise<ForecastBatch> {
    const R = w.resources.length;
    const U = w.users.length;
    if (!(w.stepMs > 0) || !(w.steps >= 1) || w.values.length !== U * R * w.steps)
      throw new Error(
        `demand windows: expected ${U * R} series × ${w.steps} steps = ${U * R * w.steps} values, got ${w.values.length}`,
      );
    if (!this.input || this.input.byteLength < w.values.byteLength)
      this.input = new SharedArrayBuffer(w.values.byteLength);
    new Float32Array(this.input, 0, w.values.length).set(w.values);
    const N = this.shards.length;
    const members: number[][] = Array.from({ length: N }, () => []);
    for (let u = 0; u < U; u++) members[this.shardFor(w.users[u])].push(u);
    const { horizon, quantiles } = this.shards[0].status!;
    // A recycled batch's shared arrays when the caller gave one back (see recycle()), else fresh ones.
    const spare = this.spare;
    this.spare = undefined;
    const size = (b: SharedArrayBuffer | undefined, bytes: number) =>
      b && b.byteLength === bytes ? b : new SharedArrayBuffer(bytes);
    const output = size(spare?.output, U * R * quantiles.length * horizon * 4);
    const modelOf = size(spare?.modelOf, U * 2);
    const activity = this.shards[0].status!.activity ? size(spare?.activity, U * horizon * 4) : undefined;
    await Promise.all(
      this.shards.map((sh, k) => {
        const idx = members[k];
        const taus = new Float32Array(ctx.reservationQuantile || ctx.reservationQuantiles ? idx.length : 0);
        const profiles: [string, UserProfile][] = [];
        idx.forEach((u, j) => {
          const user = w.users[u];
          const p = ctx.profiles?.get(user);
          if (p) profiles.push([user, p]);
          if (taus.length)
            taus[j] = ctx.reservationQuantiles?.[u] ?? ctx.reservationQuantile?.(user, p) ?? NaN;
        });
        const job: ShardJob = {
          input: this.input!,
          output,
          modelOf,
          activity,
          users: idx.map((u) => w.users[u]),
          global: Int32Array.from(idx),
          resources: w.resources,
          startMs: w.startMs,
          stepMs: w.stepMs,
          steps: w.steps,
          profiles,
          events: [...(ctx.events ?? [])],
          taus,
        };
        return sh.request({ kind: 'forecast', job });
      }),
    );
    const values = new Float32Array(output);
    this.issued.set(values, { output, modelOf, activity });
    return {
      issuedAtMs: w.startMs + w.steps * w.stepMs,
      stepMs: w.stepMs,
      horizon,
      quantiles,
      resources: w.resources,
      users: w.users,
      values,
      modelOf: new Uint16Array(modelOf),
      models: this.shards[0].status!.candidates,
      ...(activity ? { activity: new Float32Array(activity) } : {}),
    };
  }

  recycle(batch: ForecastBatch): void {
    const arrays = this.issued.get(batch.values);
    if (arrays) this.spare = arrays;
  }

  async setModel(spec: OnnxQuantileModel | string | null): Promise<void> {
    if (spec !== null && typeof spec !== 'string')
      throw new Error('a sharded engine loads models from files');
    await Promise.all(this.shards.map((s) => s.request({ kind: 'setModel', file: spec })));
  }

  status(): EngineStatus {
    const all = this.shards.map((s) => s.status!);
    const s0 = all[0];
    const phases = { ...s0.lastCycleMs };
    for (const s of all)
      for (const k of Object.keys(phases) as (keyof typeof phases)[])
        phases[k] = Math.max(phases[k], s.lastCycleMs[k]);
    return {
      ...s0,
      modelError: all.find((s) => s.modelError)?.modelError ?? null,
      users: all.reduce((a, s) => a + s.users, 0),
      cycles: Math.max(...all.map((s) => s.cycles)),
      lastCycleMs: phases,
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.shards.map(async (s) => {
        s.worker.postMessage({ kind: 'close' } satisfies ShardRequest);
        await new Promise((r) => s.worker.once('exit', r));
      }),
    );
  }
}
