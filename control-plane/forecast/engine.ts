/**
 * The forecasting stage of the cycle: DemandWindows in, ForecastBatch out.
 *
 *   const engine = await createForecastEngine({ modelFile });     // once
 *   const batch = await engine.forecast(windows, { profiles, events });   // every cycle
 *
 * Each call (1) runs every candidate (baselines, the intermittent method, the ONNX model) for
 * every series, (2) scores the forecasts issued `scoringLead` steps ago against the newest
 * observation, (3) lets each user keep or switch model by decayed cost (chooser.ts), and
 * (4) issues the chosen model's calibrated quantiles (calibration.ts) with planned events applied.
 * The ONNX model failing to load or run never fails the cycle: its users fall back to baselines.
 */
import { DEFAULT_QUANTILES, DemandWindows, ForecastBatch } from '../domain/demand';
import type { SeriesForecaster } from '../domain/forecaster';
import {
  createFleetIntermittent,
  defaultBaselines,
  FleetIntermittent,
  isFleetIntermittent,
} from './baselines';
import { minHistoryOf } from './baselines/needs';
import { CalibrationOptions, DEFAULT_CALIBRATION } from './calibration';
import type { EngineStatus, ForecastContext, ForecastEngine, ForecastEngineOptions } from './engine-types';
import { baselinesAtLead, onnxAtLead, OnnxOutput, sparseUsers } from './candidates';
import { feedFleetPrior } from './fleet-gaps';
import { activityOf, IntermittentOutput, runIntermittent } from './intermittent-candidate';
import { choose, ChooserOptions, DEFAULT_CHOOSER, lowestCost } from './chooser';
import { perUser } from './per-user';
import { issue, IssueTarget } from './issue';
import type { OnnxQuantileModel } from './model/onnx-model';
import { ModelSlot } from './model-slot';
import { OnnxReuse, runOnnxStage } from './onnx-stage';
import { PortfolioState } from './portfolio-state';
import { CandidateRunner } from './runner';
import { rememberCandidates, scoreIssued } from './scoring';

export type { EngineStatus, ForecastContext, ForecastEngine, ForecastEngineOptions } from './engine-types';

/** An engine in this thread that can also write its users' forecasts into a caller's arrays. */
export interface LocalForecastEngine extends ForecastEngine {
  /** As forecast(), but user u's values and model go to `into` at index into.index[u]; returns them there. */
  forecastInto(windows: DemandWindows, ctx: ForecastContext, into: IssueTarget): Promise<ForecastBatch>;
}

export async function createLocalForecastEngine(
  opts: ForecastEngineOptions = {},
): Promise<LocalForecastEngine> {
  const engine = new Engine(opts);
  if (opts.model) await engine.setModel(opts.model);
  else if (opts.modelFile) await engine.setModel(opts.modelFile);
  return engine;
}

export async function createForecastEngine(opts: ForecastEngineOptions = {}): Promise<ForecastEngine> {
  if (opts.threads && opts.threads > 0) {
    // Required lazily: the worker side imports this module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ShardedForecastEngine } = require('./sharded-engine') as typeof import('./sharded-engine');
    return ShardedForecastEngine.create(opts, opts.threads);
  }
  return createLocalForecastEngine(opts);
}

class Engine implements LocalForecastEngine {
  private readonly baselines: SeriesForecaster[];
  /** Per candidate: run only for sparse users (the intermittent method). */
  private readonly sparseOnly: Uint8Array;
  /** The intermittent method (run as one batch, fed with the fleet's gaps) and its index, or -1. */
  private readonly intermittent: FleetIntermittent | undefined;
  private readonly mInt: number;
  private readonly horizon: number;
  private readonly quantiles: number[];
  private readonly lead: number;
  private readonly chooser: ChooserOptions;
  private readonly calib: CalibrationOptions;
  private readonly slot: ModelSlot;
  /** The last cycle's model run failed (its error is the slot's until a clean run). */
  private runFailed = false;
  private get model(): OnnxQuantileModel | null {
    return this.slot.model;
  }
  private state: PortfolioState | null = null;
  private cycles = 0;
  private onnxReuse: OnnxReuse = {};
  private intermittentOut: Float32Array = new Float32Array(0);
  /** Output arrays this engine returned, and one given back by recycle() for the next cycle. */
  private issued = new WeakSet<Float32Array>();
  private spare: ForecastBatch | undefined;
  private levelCache = {
    levels: [] as readonly number[],
    cache: new Float32Array(0),
    model: new Int16Array(0),
  };
  /** Candidate buffers reused across cycles (S × M each: too large to allocate every minute). */
  private scratchMed = new Float32Array(0);
  private scratchQ = new Float32Array(0);
  private lastCycleMs: EngineStatus['lastCycleMs'] = {
    scoring: 0,
    choice: 0,
    baselines: 0,
    intermittent: 0,
    features: 0,
    onnx: 0,
    issue: 0,
  };

  constructor(private readonly opts: ForecastEngineOptions) {
    this.baselines = opts.baselines ?? [...defaultBaselines(), createFleetIntermittent()];
    this.mInt = this.baselines.findIndex(isFleetIntermittent);
    this.intermittent = this.mInt >= 0 ? (this.baselines[this.mInt] as FleetIntermittent) : undefined;
    this.sparseOnly = new Uint8Array(this.baselines.length + 1);
    this.baselines.forEach(
      (b, m) => (this.sparseOnly[m] = m === this.mInt || opts.sparseOnly?.includes(b.name) ? 1 : 0),
    );
    this.horizon = opts.horizon ?? 15;
    this.quantiles = [...(opts.quantiles ?? DEFAULT_QUANTILES)];
    this.levelCache.levels = this.quantiles;
    if (!this.quantiles.includes(0.5)) throw new Error('forecast quantiles must include 0.5');
    this.lead = Math.max(1, Math.min(opts.scoringLead ?? 5, this.horizon));
    this.chooser = { ...DEFAULT_CHOOSER, ...opts.chooser };
    this.calib = { ...DEFAULT_CALIBRATION, ...opts.calibration };
    const warn = (x: Error) => console.warn(`forecast: ${x.message}; using baselines`);
    this.slot = new ModelSlot(this.horizon, opts.modelThreads, opts.onModelError ?? warn);
  }

  /** Candidate names: baselines, then the model slot (always present, so indices stay stable). */
  private names(): string[] {
    return [...this.baselines.map((b) => b.name), this.model ? `onnx:${this.model.name}` : 'onnx'];
  }

  status(): EngineStatus {
    return {
      horizon: this.horizon,
      quantiles: [...this.quantiles],
      model: this.model?.name ?? null,
      modelFile: this.slot.file,
      modelError: this.slot.error,
      candidates: this.names(),
      activity: this.intermittent !== undefined && this.opts.activity !== false,
      users: this.state?.users ?? 0,
      cycles: this.cycles,
      lastCycleMs: { ...this.lastCycleMs },
    };
  }

  async setModel(spec: OnnxQuantileModel | string | null): Promise<void> {
    if (await this.slot.set(spec)) this.onnxReuse = {};
  }

  close(): Promise<void> {
    return this.slot.close();
  }

  forecast(w: DemandWindows, ctx: ForecastContext = {}): Promise<ForecastBatch> {
    return this.cycle(w, ctx);
  }

  forecastInto(w: DemandWindows, ctx: ForecastContext, into: IssueTarget): Promise<ForecastBatch> {
    return this.cycle(w, ctx, into);
  }

  recycle(batch: ForecastBatch): void {
    if (this.issued.has(batch.values)) this.spare = batch;
  }

  private async cycle(w: DemandWindows, ctx: ForecastContext, target?: IssueTarget): Promise<ForecastBatch> {
    const R = w.resources.length;
    const U = w.users.length;
    const S = U * R;
    if (!(w.stepMs > 0) || !(w.steps >= 1) || w.values.length !== S * w.steps)
      throw new Error(
        `demand windows: expected ${S} series × ${w.steps} steps = ${S * w.steps} values, got ${w.values.length}`,
      );
    const H = this.horizon;
    const Q = this.quantiles.length;
    const L = this.lead;
    // Write into a recycled batch's arrays when the caller gave one back (and no target is given).
    let into = target;
    const spare = this.spare;
    this.spare = undefined;
    if (!into && spare && spare.values.length === S * Q * H && spare.modelOf.length === U)
      into = {
        values: spare.values,
        modelOf: spare.modelOf,
        activity: spare.activity?.length === U * H ? spare.activity : undefined,
      };
    const names = this.names();
    const M = names.length;
    const mOnnx = M - 1;
    const nb = this.baselines.length;
    if (!this.state || this.state.resources !== R)
      this.state = new PortfolioState(M, R, Q, L, this.opts.forgetAfterCycles ?? 1440);
    const st = this.state;
    const originMs = w.startMs + w.steps * w.stepMs;
    const t = Math.round(originMs / w.stepMs);
    const slots = st.slotsFor(w.users, this.cycles++);

    const { profiles, taus, userEvents } = perUser(
      w,
      ctx,
      this.quantiles,
      this.opts.reservationQuantile ?? 0.95,
      originMs,
      H,
    );

    this.lastCycleMs.features = 0; // no model, no features this cycle
    let mark = performance.now();
    const lap = (phase: keyof EngineStatus['lastCycleMs']) => {
      const now = performance.now();
      this.lastCycleMs[phase] = now - mark;
      mark = now;
    };
    if (this.levelCache.cache.length < S * Q) {
      this.levelCache.cache = new Float32Array(S * Q);
      this.levelCache.model = new Int16Array(S);
    }
    const runner = new CandidateRunner(this.baselines, w, originMs, this.levelCache);
    const usable = new Uint8Array(M);
    for (let m = 0; m < nb; m++) usable[m] = w.steps >= minHistoryOf(this.baselines[m], w.stepMs) ? 1 : 0;
    usable[mOnnx] = this.model ? 1 : 0;

    // 1. Score what was issued L steps ago against the newest observations; pool new idle gaps.
    const sparse = sparseUsers(w, this.opts.sparseShare ?? 0.3);
    if (this.intermittent) feedFleetPrior(this.intermittent.prior, st, w, slots, t, sparse);
    scoreIssued(st, w, slots, t, taus, runner.scale, this.quantiles, this.chooser, this.calib);
    lap('scoring');

    // 2. Each user keeps or switches models.
    const cold = names.indexOf(this.opts.coldStartModel ?? '');
    const K = Math.max(1, this.chooser.blend);
    const blend = new Int16Array(U * K);
    const decide = () => {
      const fallback = usable[names.indexOf('median-12')] ? names.indexOf('median-12') : usable.indexOf(1);
      const preferred = cold >= 0 && usable[cold] ? cold : usable[mOnnx] ? mOnnx : fallback;
      choose(this.chooser, st.costMedian, st.evidence, M, st.medianModel, slots, usable, preferred);
      choose(this.chooser, st.costReserve, st.evidence, M, st.reserveModel, slots, usable, preferred);
      for (let u = 0; u < U; u++) {
        const su = slots[u];
        lowestCost(st.costMedian, st.evidence, M, su, usable, K, st.medianModel[su], blend, u * K);
      }
    };
    decide();
    lap('choice');

    // 3. Candidates: every model for this cycle's exploration group, the models in use for the rest.
    const groups =
      this.opts.exploreGroups ?? Math.max(1, Math.ceil(S / (this.opts.exploreSeriesPerGroup ?? 50_000)));
    const group = this.cycles % groups;
    const inUse = (u: number, m: number) => {
      if (st.reserveModel[slots[u]] === m) return true;
      for (let j = u * K; j < (u + 1) * K; j++) if (blend[j] === m) return true;
      return false;
    };
    const explore = (u: number) => slots[u] % groups === group;
    const needs = (u: number, m: number) =>
      usable[m] === 1 && (inUse(u, m) || (explore(u) && (!this.sparseOnly[m] || sparse[u] === 1)));
    if (this.scratchMed.length < S * M) {
      this.scratchMed = new Float32Array(S * M);
      this.scratchQ = new Float32Array(S * M);
    }
    const med = this.scratchMed.subarray(0, S * M).fill(NaN);
    const qv = this.scratchQ.subarray(0, S * M);
    const mInt = this.mInt;
    baselinesAtLead(runner, M, L, taus, (u, m) => m !== mInt && needs(u, m), med, qv);
    lap('baselines');
    let intermittent: IntermittentOutput | undefined;
    if (this.intermittent) {
      const rows = Uint8Array.from(w.users, (_, u) => (needs(u, mInt) ? 1 : 0));
      intermittent = runIntermittent(this.intermittent, w, rows, H, this.quantiles, this.intermittentOut);
      this.intermittentOut = intermittent.out;
      intermittent.atLead(mInt, M, L, taus, med, qv);
    }
    let activity: Float32Array | undefined;
    if (this.intermittent && this.opts.activity !== false) {
      activity = into?.activity ?? new Float32Array(U * H);
      const index = into?.index;
      const at = index ? (u: number) => index[u] : (u: number) => u;
      activityOf(this.intermittent, w, sparse, H, activity, at, intermittent);
    }
    lap('intermittent');
    let onnx: OnnxOutput | undefined;
    if (this.model) {
      try {
        const rows = Uint8Array.from(w.users, (_, u) => (needs(u, mOnnx) ? 1 : 0));
        const who = { profiles, userEvents };
        const opts = { resourceFeature: this.opts.resourceFeature };
        onnx = await runOnnxStage(
          this.model,
          w,
          originMs,
          rows,
          who,
          runner.scale,
          this.onnxReuse,
          opts,
          () => lap('features'),
        );
        onnxAtLead(onnx, R, M, mOnnx, L, taus, med, qv);
        // A clean run: the run error an earlier cycle reported no longer describes the model (a
        // rejected swap's load error stays: the model it names was never loaded).
        if (this.runFailed) this.slot.error = null;
        this.runFailed = false;
      } catch (err) {
        // The model failed this cycle: its users move to their best baseline (or the cold-start one).
        this.slot.report(err);
        this.runFailed = true;
        onnx = undefined;
        usable[mOnnx] = 0;
        decide();
        const missing = (u: number, m: number) => needs(u, m) && Number.isNaN(med[u * R * M + m]);
        baselinesAtLead(runner, M, L, taus, missing, med, qv);
      }
    }
    lap('onnx');
    rememberCandidates(st, w, slots, t, { med, q: qv });

    // 4. Issue.
    const { values, modelOf } = issue(
      st,
      {
        w,
        slots,
        originMs,
        horizon: H,
        quantiles: this.quantiles,
        runner,
        onnxIndex: mOnnx,
        onnx,
        intermittentIndex: mInt,
        intermittent,
        events: userEvents,
        candidateMedians: med,
        medianBlend: blend,
        blendWidth: K,
      },
      into,
    );
    lap('issue');
    if (!target) this.issued.add(values);
    return {
      issuedAtMs: originMs,
      stepMs: w.stepMs,
      horizon: H,
      quantiles: this.quantiles,
      resources: w.resources,
      users: w.users,
      values,
      modelOf,
      models: names,
      ...(activity ? { activity } : {}),
    };
  }
}
