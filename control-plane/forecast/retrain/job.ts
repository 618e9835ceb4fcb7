/**
 * One retraining round, off the main thread (worker.ts runs it; tests may call it directly):
 * fine-tune the champion (or train afresh when the champion is not ours) on recent demand, then
 * score champion and challenger on the most recent `holdoutSteps`, which training never saw.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildTrainingSet, featureCount, TrainingSeries } from '../../../models/train/dataset';
import { exportQuantileMlp } from '../../../models/train/onnx-export';
import { importQuantileMlp } from '../../../models/train/onnx-import';
import { QuantileMlp } from '../../../models/train/quantile-mlp';
import { DEFAULT_QUANTILES } from '../../domain/demand';
import { OnnxQuantileModel } from '../model/onnx-model';
import { HoldoutSeries, holdoutLoss } from './holdout';

/** Recent demand, laid out like DemandWindows.values (series-major), user ids not needed. */
export interface RetrainData {
  series: number;
  /** Resource index (0..4) per series, or -1. */
  resourceOf?: Int8Array;
  startMs: number;
  stepMs: number;
  steps: number;
  values: Float32Array;
}

export interface RetrainOptions {
  /** The newest steps kept out of training for the champion/challenger comparison. */
  holdoutSteps?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  maxTrainRows?: number;
  seed?: number;
  /** Train from random weights even when the champion can be fine-tuned. */
  fromScratch?: boolean;
  name?: string;
}

export interface RetrainResult {
  challenger: Uint8Array;
  championLoss: number;
  challengerLoss: number;
  holdoutRows: number;
  trainRows: number;
  epochs: number;
  bestEpoch: number;
  warmStart: boolean;
  seconds: number;
}

export type Progress = (epoch: number, trainLoss: number, valLoss: number) => void;

export async function retrain(
  data: RetrainData,
  championFile: string,
  o: RetrainOptions = {},
  progress?: Progress,
): Promise<RetrainResult> {
  const t0 = Date.now();
  const champion = await OnnxQuantileModel.load(championFile);
  const { window: W, horizon: H } = champion.signature;
  const holdout = o.holdoutSteps ?? Math.max(2 * H, Math.floor(data.steps * 0.2));
  const cut = data.steps - holdout;
  if (cut - W < 4 * H)
    throw new Error(`retrain: ${data.steps} steps leave too little history before a ${holdout}-step holdout`);

  const trainSeries: TrainingSeries[] = [];
  const valSeries: TrainingSeries[] = [];
  const holdSeries: HoldoutSeries[] = [];
  for (let i = 0; i < data.series; i++) {
    const values = data.values.subarray(i * data.steps, (i + 1) * data.steps);
    let changes = false;
    for (let t = 1; t < cut && !changes; t++) changes = values[t] !== values[t - 1];
    const resource = data.resourceOf?.[i] ?? -1;
    holdSeries.push({
      values,
      stepMs: data.stepMs,
      startMs: data.startMs,
      from: cut,
      to: data.steps,
      resource,
    });
    if (!changes) continue; // a flat series teaches nothing
    const valFrom = cut - Math.max(H + 1, Math.floor((cut - W) * 0.15));
    const base = { name: `s${i}`, values, stepMs: data.stepMs, startMs: data.startMs, context: { resource } };
    trainSeries.push({ ...base, from: W, to: valFrom });
    valSeries.push({ ...base, from: valFrom, to: cut });
  }
  const origins = trainSeries.reduce((a, s) => a + Math.max(0, s.to - s.from - H + 1), 0);
  const stride = Math.max(1, Math.ceil(origins / (o.maxTrainRows ?? 60000)));
  for (const s of trainSeries) s.stride = stride;
  const train = buildTrainingSet(trainSeries, W, H);
  const val = buildTrainingSet(valSeries, W, H);

  const own = o.fromScratch ? undefined : importQuantileMlp(fs.readFileSync(championFile));
  const fits = own && own.config.inputs === featureCount(W, H);
  const mlp = fits
    ? await QuantileMlp.fromWeights(own)
    : await QuantileMlp.create(
        { inputs: featureCount(W, H), hidden: [64, 64], horizon: H, quantiles: [...DEFAULT_QUANTILES] },
        o.seed ?? 7,
      );
  let res = { bestEpoch: -1, epochs: 0, valLoss: NaN };
  if (train.n > 0 && val.n > 0)
    res = await mlp.train(train, val, {
      epochs: o.epochs ?? 8,
      batchSize: o.batchSize ?? 256,
      learningRate: o.learningRate ?? (fits ? 3e-4 : 1e-3),
      patience: 3,
      seed: o.seed ?? 7,
      onEpoch: progress,
      yieldEvery: 20,
    });
  const bytes = exportQuantileMlp(mlp.weights(), W, {
    name: o.name ?? 'quantile-mlp',
    extra: { 'earmark.parent': championFile },
  });
  mlp.dispose();

  const tmp = path.join(os.tmpdir(), `earmark-challenger-${process.pid}-${Date.now()}.onnx`);
  fs.writeFileSync(tmp, bytes);
  try {
    const challenger = await OnnxQuantileModel.load(tmp);
    const [a, b] = [await holdoutLoss(champion, holdSeries), await holdoutLoss(challenger, holdSeries)];
    await challenger.dispose();
    return {
      challenger: bytes,
      championLoss: a.loss,
      challengerLoss: b.loss,
      holdoutRows: Math.min(a.rows, b.rows),
      trainRows: train.n,
      epochs: res.epochs,
      bestEpoch: res.bestEpoch,
      warmStart: !!fits,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    fs.rmSync(tmp, { force: true });
    await champion.dispose();
  }
}
