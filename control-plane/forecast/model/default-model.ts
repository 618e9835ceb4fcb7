/** Where the committed default model lives (version 0 of every model registry). */
import * as path from 'node:path';

export const DEFAULT_MODEL_DIR = path.resolve(__dirname, '../../../models/default');
export const DEFAULT_MODEL_FILE = path.join(DEFAULT_MODEL_DIR, 'quantile-mlp.onnx');
