/** tfjs on its WebAssembly backend (tfjs-node cannot be installed here); idempotent. */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let ready: Promise<typeof tf> | undefined;

export function tfjsWasm(): Promise<typeof tf> {
  ready ??= (async () => {
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(dir + path.sep);
    await tf.setBackend('wasm');
    await tf.ready();
    return tf;
  })();
  return ready;
}
