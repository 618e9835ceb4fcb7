/**
 * `npm run train:models`: trains the default quantile MLP and writes it, as ONNX, to
 * models/default/quantile-mlp.onnx with its training card (quantile-mlp.card.json).
 *
 *   npm run train:models -- [--traces DIR] [--out DIR] [--epochs N] [--quick]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_QUANTILES } from '../../control-plane/domain/demand';
import { DEFAULT_MODEL_DIR } from '../../control-plane/forecast/model/default-model';
import { OnnxQuantileModel } from '../../control-plane/forecast/model/onnx-model';
import { buildTrainingSet, featureCount } from './dataset';
import { exportQuantileMlp } from './onnx-export';
import { QuantileMlp } from './quantile-mlp';
import { DEFAULT_TRACES, realSources, syntheticSources } from './sources';

export const WINDOW = 48;
export const HORIZON = 15;
export const HIDDEN = [64, 64];

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const traces = arg(argv, '--traces') ?? DEFAULT_TRACES;
  const outDir = arg(argv, '--out') ?? DEFAULT_MODEL_DIR;
  const quick = argv.includes('--quick');
  const epochs = Number(arg(argv, '--epochs') ?? (quick ? 2 : 40));
  const seed = 20260105;
  const t0 = Date.now();

  const real = realSources(traces, WINDOW);
  const synth = syntheticSources(
    { users: quick ? 20 : 120, days: 4, seed: 11, stride: 15, weight: 6 },
    WINDOW,
  );
  const train = buildTrainingSet([...real.train, ...synth.train], WINDOW, HORIZON);
  const val = buildTrainingSet([...real.validation, ...synth.validation], WINDOW, HORIZON);
  console.log(`training rows ${train.n}, validation rows ${val.n}, features ${train.features}`);

  const config = {
    inputs: featureCount(WINDOW, HORIZON),
    hidden: HIDDEN,
    horizon: HORIZON,
    quantiles: [...DEFAULT_QUANTILES],
  };
  const mlp = await QuantileMlp.create(config, seed);
  const initialVal = mlp.evaluate(val);
  const res = await mlp.train(train, val, {
    epochs,
    batchSize: 512,
    learningRate: 1e-3,
    patience: 5,
    seed,
    onEpoch: (e, tl, vl) =>
      console.log(`epoch ${e}: train pinball ${tl.toFixed(4)}, validation ${vl.toFixed(4)}`),
  });
  const seconds = (Date.now() - t0) / 1000;
  const card = {
    name: 'quantile-mlp',
    version: 0,
    contract: 1,
    architecture: `MLP ${config.inputs} → ${HIDDEN.join(' → ')} → ${HORIZON}×${config.quantiles.length}, ReLU, linear quantile head (the engine orders the levels)`,
    window: WINDOW,
    horizon: HORIZON,
    quantiles: config.quantiles,
    trainedOn: [...real.description, ...synth.description],
    trainingRows: train.n,
    validationRows: val.n,
    epochs: res.epochs,
    bestEpoch: res.bestEpoch,
    validationPinballInitial: Number(initialVal.toFixed(4)),
    validationPinball: Number(res.valLoss.toFixed(4)),
    trainingSeconds: Math.round(seconds),
    trainedAt: new Date().toISOString(),
  };
  const bytes = exportQuantileMlp(mlp.weights(), WINDOW, {
    name: 'quantile-mlp',
    extra: { 'earmark.version': '0', 'earmark.validation_pinball': String(card.validationPinball) },
  });
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'quantile-mlp.onnx');
  fs.writeFileSync(file, bytes);
  fs.writeFileSync(path.join(outDir, 'quantile-mlp.card.json'), JSON.stringify(card, null, 2) + '\n');
  // Round trip: the written file must load under the contract.
  const loaded = await OnnxQuantileModel.load(file);
  await loaded.dispose();
  mlp.dispose();
  console.log(
    `wrote ${file} (${bytes.length} bytes) in ${seconds.toFixed(0)} s; best epoch ${res.bestEpoch}, validation pinball ${res.valLoss.toFixed(4)}`,
  );
}

if (require.main === module)
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
