/**
 * The intermittent-demand method for sparse users. control-plane/forecast/intermittent/ belongs to
 * the allocation engineer (tuned on the Azure Functions cold-start replay) and exports
 * createIntermittentForecaster(); until that file exists we use our own TSB.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SeriesForecaster } from '../../domain/forecaster';
import { createTsb } from './tsb';

export interface IntermittentChoice {
  forecaster: SeriesForecaster;
  /** "intermittent/" when the allocation engineer's method was loaded, else "tsb (fallback)". */
  source: string;
}

export function loadIntermittent(dir = path.join(__dirname, '..', 'intermittent')): IntermittentChoice {
  const exists = ['index.ts', 'index.js'].some((f) => fs.existsSync(path.join(dir, f)));
  if (exists) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module owned by another part
    const mod = require(dir) as { createIntermittentForecaster?: () => SeriesForecaster };
    if (typeof mod.createIntermittentForecaster === 'function')
      return { forecaster: mod.createIntermittentForecaster(), source: 'intermittent/' };
  }
  return { forecaster: createTsb(), source: 'tsb (fallback)' };
}
