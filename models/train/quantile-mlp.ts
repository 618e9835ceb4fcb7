/**
 * A small multilayer perceptron that outputs quantiles over the horizon, trained with tfjs by
 * pinball loss. The head is linear: a monotone head (softplus increments) halved inference speed
 * in onnxruntime for no accuracy we could measure, and the engine orders the levels anyway.
 */
import type * as TF from '@tensorflow/tfjs';
import { mulberry32 } from '../../sim/random';
import { tfjsWasm } from './tfjs-wasm';
import type { TrainingSet } from './dataset';

export interface MlpConfig {
  inputs: number;
  hidden: number[];
  horizon: number;
  /** Ascending quantile levels, including 0.5. */
  quantiles: number[];
}

export interface DenseLayer {
  inputs: number;
  outputs: number;
  /** Row-major [inputs, outputs]. */
  weight: Float32Array;
  bias: Float32Array;
}

export interface MlpWeights {
  config: MlpConfig;
  layers: DenseLayer[];
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Stop after this many epochs without a better validation loss (the best epoch is kept). */
  patience: number;
  seed: number;
  onEpoch?: (epoch: number, trainLoss: number, valLoss: number) => void;
  /** Awaited between batches: lets a worker stay responsive to messages. */
  yieldEvery?: number;
}

export class QuantileMlp {
  private constructor(
    private readonly tf: typeof TF,
    readonly config: MlpConfig,
    private readonly vars: { w: TF.Variable; b: TF.Variable }[],
  ) {}

  static async create(config: MlpConfig, seed = 1): Promise<QuantileMlp> {
    if (!config.quantiles.includes(0.5)) throw new Error('QuantileMlp: quantile levels must include 0.5');
    const tf = await tfjsWasm();
    const sizes = [config.inputs, ...config.hidden, config.horizon * config.quantiles.length];
    const vars = sizes.slice(1).map((out, i) => {
      const inp = sizes[i];
      const last = i === sizes.length - 2;
      const std = last ? 0.01 : Math.sqrt(2 / inp);
      return {
        w: tf.variable(tf.randomNormal([inp, out], 0, std, 'float32', seed + i)),
        b: tf.variable(tf.zeros([out])),
      };
    });
    return new QuantileMlp(tf, config, vars);
  }

  static async fromWeights(wts: MlpWeights): Promise<QuantileMlp> {
    const tf = await tfjsWasm();
    const vars = wts.layers.map((l) => ({
      w: tf.variable(tf.tensor2d(l.weight, [l.inputs, l.outputs])),
      b: tf.variable(tf.tensor1d(l.bias)),
    }));
    return new QuantileMlp(tf, wts.config, vars);
  }

  /** [n, inputs] → [n, horizon, quantiles]. */
  forward(x: TF.Tensor2D): TF.Tensor3D {
    const tf = this.tf;
    return tf.tidy(() => {
      let h: TF.Tensor2D = x;
      this.vars.forEach((v, i) => {
        h = tf.add(tf.matMul(h, v.w), v.b) as TF.Tensor2D;
        if (i < this.vars.length - 1) h = tf.relu(h);
      });
      return h.reshape([-1, this.config.horizon, this.config.quantiles.length]) as TF.Tensor3D;
    });
  }

  /** Weighted mean pinball loss over horizon and levels. */
  loss(x: TF.Tensor2D, y: TF.Tensor2D, w: TF.Tensor1D): TF.Scalar {
    const tf = this.tf;
    return tf.tidy(() => {
      const p = this.forward(x);
      const q = tf.tensor1d(this.config.quantiles).reshape([1, 1, -1]);
      const e = tf.sub(y.expandDims(2), p);
      const l = tf.maximum(tf.mul(q, e), tf.mul(tf.sub(q, 1), e)).mean([1, 2]);
      return tf.div(tf.sum(tf.mul(l, w)), tf.sum(w)) as TF.Scalar;
    });
  }

  /** Mean loss over a whole set, in batches. */
  evaluate(set: TrainingSet, batch = 4096): number {
    const tf = this.tf;
    let total = 0;
    let wsum = 0;
    for (let a = 0; a < set.n; a += batch) {
      const b = Math.min(set.n, a + batch);
      const l = tf.tidy(() => {
        const x = tf.tensor2d(set.x.subarray(a * set.features, b * set.features), [b - a, set.features]);
        const y = tf.tensor2d(set.y.subarray(a * set.horizon, b * set.horizon), [b - a, set.horizon]);
        const w = tf.tensor1d(set.w.subarray(a, b));
        return this.loss(x, y, w).dataSync()[0];
      });
      let ws = 0;
      for (let i = a; i < b; i++) ws += set.w[i];
      total += l * ws;
      wsum += ws;
    }
    return wsum > 0 ? total / wsum : 0;
  }

  /** Adam on shuffled mini-batches; keeps the weights of the best validation epoch. */
  async train(
    train: TrainingSet,
    val: TrainingSet,
    o: TrainOptions,
  ): Promise<{ bestEpoch: number; valLoss: number; epochs: number }> {
    const tf = this.tf;
    const opt = tf.train.adam(o.learningRate);
    const rand = mulberry32(o.seed);
    const order = new Uint32Array(train.n);
    const F = train.features;
    const H = train.horizon;
    const xb = new Float32Array(o.batchSize * F);
    const yb = new Float32Array(o.batchSize * H);
    const wb = new Float32Array(o.batchSize);
    let best = { loss: Infinity, epoch: -1, weights: this.weights() };
    let epoch = 0;
    for (; epoch < o.epochs && epoch - best.epoch <= o.patience; epoch++) {
      for (let i = 0; i < train.n; i++) order[i] = i;
      for (let i = train.n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      let sum = 0;
      let batches = 0;
      for (let a = 0; a + o.batchSize <= train.n; a += o.batchSize) {
        for (let k = 0; k < o.batchSize; k++) {
          const r = order[a + k];
          xb.set(train.x.subarray(r * F, (r + 1) * F), k * F);
          yb.set(train.y.subarray(r * H, (r + 1) * H), k * H);
          wb[k] = train.w[r];
        }
        const cost = tf.tidy(() => {
          const x = tf.tensor2d(xb, [o.batchSize, F]);
          const y = tf.tensor2d(yb, [o.batchSize, H]);
          const w = tf.tensor1d(wb);
          return opt.minimize(() => this.loss(x, y, w), true)!;
        });
        sum += cost.dataSync()[0];
        cost.dispose();
        batches++;
        if (o.yieldEvery && batches % o.yieldEvery === 0) await new Promise((r) => setImmediate(r));
      }
      const valLoss = this.evaluate(val);
      o.onEpoch?.(epoch, sum / Math.max(1, batches), valLoss);
      if (valLoss < best.loss) best = { loss: valLoss, epoch, weights: this.weights() };
    }
    opt.dispose();
    this.setWeights(best.weights);
    return { bestEpoch: best.epoch, valLoss: best.loss, epochs: epoch };
  }

  /** Normalised predictions for a set, [n, horizon, quantiles] row-major. */
  predict(x: Float32Array, n: number): Float32Array {
    const tf = this.tf;
    return tf.tidy(() => this.forward(tf.tensor2d(x, [n, this.config.inputs])).dataSync() as Float32Array);
  }

  weights(): MlpWeights {
    return {
      config: this.config,
      layers: this.vars.map((v) => ({
        inputs: v.w.shape[0],
        outputs: v.w.shape[1]!,
        weight: Float32Array.from(v.w.dataSync()),
        bias: Float32Array.from(v.b.dataSync()),
      })),
    };
  }

  private setWeights(wts: MlpWeights): void {
    const tf = this.tf;
    tf.tidy(() =>
      wts.layers.forEach((l, i) => {
        this.vars[i].w.assign(tf.tensor2d(l.weight, [l.inputs, l.outputs]));
        this.vars[i].b.assign(tf.tensor1d(l.bias));
      }),
    );
  }

  dispose(): void {
    for (const v of this.vars) {
      v.w.dispose();
      v.b.dispose();
    }
  }
}
