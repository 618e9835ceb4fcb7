/**
 * `earmark bench e2e` options: every knob of the replay, the instance model, Earmark's tier and the
 * comparison, with the defaults the report states. Parsing is strict: an unknown flag or a bad value
 * is a usage error naming it.
 */
import type { ExhaustedAction } from '../../control-plane/domain/reservation';
import { EXHAUSTED_ACTIONS } from '../../control-plane/domain/reservation';
import { DEFAULT_TIER, type TierKnobs } from './policy';

export interface E2eOptions {
  trace: string;
  seed: number;
  /** Average requests per second over the evaluated window (overrides scale). */
  rate?: number;
  scale: number;
  /** First evaluated minute of the trace (default: the middle) and how many (default: to the end). */
  fromMinute?: number;
  minutes?: number;
  /** Minutes replayed live (and by the baselines) before the window, not scored. */
  warmupMinutes: number;
  sloMs: number;
  coldStartMs: number;
  /** Keep-alive of the no-prediction and reactive policies. */
  keepAliveMs: number;
  /** How long the platform keeps a sandbox Earmark's plan does not hold (after its last request). */
  earmarkKeepAliveMs: number;
  /** Earmark's and the oracle's warm-up lead. */
  leadMs: number;
  /** Token-bucket burst of Earmark's reservations, as this much time of their rate. */
  rateBurstMs: number;
  instances?: number;
  /** Instances release idle kept-alive sandboxes under memory pressure (every policy alike). */
  evictIdle: boolean;
  /** Cluster memory = this × the memory static provisioning for the peak needs. */
  capacityFactor: number;
  /** Share of each instance Earmark's reservations may fill (the policy's `reservable`). */
  reservable: number;
  proxies: number;
  workers: number;
  tier: TierKnobs;
  historySteps: number;
  horizonSteps: number;
  warmupSteps: number;
  stepMs: number;
  /** undefined: the service's default model; null: no ONNX model. */
  modelFile: string | null | undefined;
  influxUrl?: string;
  outDir: string;
  name?: string;
  /** Skip the live run (baselines only: quick look at a trace). */
  baselinesOnly: boolean;
  quiet: boolean;
}

export const DEFAULTS: Omit<E2eOptions, 'trace'> = {
  seed: 1,
  scale: 1,
  warmupMinutes: 30,
  sloMs: 100,
  coldStartMs: 1000,
  keepAliveMs: 600_000,
  earmarkKeepAliveMs: 120_000,
  leadMs: 60_000,
  rateBurstMs: 600_000,
  capacityFactor: 1,
  reservable: 1,
  evictIdle: true,
  proxies: 2,
  workers: 2,
  tier: DEFAULT_TIER,
  historySteps: 720,
  horizonSteps: 15,
  warmupSteps: 60,
  stepMs: 1000,
  modelFile: undefined,
  outDir: 'bench/results',
  baselinesOnly: false,
  quiet: false,
};

export class OptionError extends Error {}

export function parseOptions(argv: readonly string[]): E2eOptions {
  const o: Partial<E2eOptions> & { tier: TierKnobs } = { ...DEFAULTS, tier: { ...DEFAULTS.tier } };
  const take = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new OptionError(`${flag} needs a value`);
    return v;
  };
  const num = (v: string, flag: string, min = 0, integer = false): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new OptionError(`${flag}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${v}"`);
    return n;
  };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const flagNum = (min = 0, integer = false) => num(take(++i, a), a, min, integer);
    // Shares and probabilities: a number from `min` up to 1, `range` naming it in the error.
    const flagUpToOne = (min: number, range: string): number => {
      const v = flagNum(min);
      if (v > 1) throw new OptionError(`${a}: expected ${range}, got ${v}`);
      return v;
    };
    switch (a) {
      case '--trace':
        o.trace = take(++i, a);
        break;
      case '--seed':
        o.seed = flagNum(0, true);
        break;
      case '--rate':
        o.rate = flagNum(1e-9);
        break;
      case '--scale':
        o.scale = flagNum(1e-9);
        break;
      case '--from':
        o.fromMinute = flagNum(0, true);
        break;
      case '--minutes':
        o.minutes = flagNum(1, true);
        break;
      case '--warmup':
        o.warmupMinutes = flagNum(0, true);
        break;
      case '--slo-ms':
        o.sloMs = flagNum(0);
        break;
      case '--cold-start-ms':
        o.coldStartMs = flagNum(0);
        break;
      case '--keepalive-min':
        o.keepAliveMs = flagNum(0) * 60_000;
        break;
      case '--earmark-keepalive-s':
        o.earmarkKeepAliveMs = flagNum(0) * 1000;
        break;
      case '--rate-burst-s':
        o.rateBurstMs = flagNum(0) * 1000;
        break;
      case '--lead-s':
        o.leadMs = flagNum(0) * 1000;
        break;
      case '--instances':
        o.instances = flagNum(1, true);
        break;
      case '--capacity-factor':
        o.capacityFactor = flagNum(0.01);
        break;
      case '--reservable':
        o.reservable = flagUpToOne(0.01, 'a share in (0, 1]');
        break;
      case '--no-evict':
        o.evictIdle = false;
        break;
      case '--proxies':
        o.proxies = flagNum(1, true);
        break;
      case '--workers':
        o.workers = flagNum(1, true);
        break;
      case '--quantile': {
        const q = flagNum(0);
        if (!(q > 0 && q < 1)) throw new OptionError(`--quantile: expected a number in (0, 1), got ${q}`);
        o.tier.quantile = q;
        break;
      }
      case '--headroom':
        o.tier.headroom = flagNum(0.1);
        break;
      case '--max-queue-wait-ms':
        o.tier.maxQueueWaitMs = flagNum(0, true);
        break;
      case '--warm-above':
        o.tier.warmAbove = flagUpToOne(0, 'a probability in [0, 1]');
        break;
      case '--hold-peak-min':
        o.tier.holdPeakMs = flagNum(0) * 60_000;
        break;
      case '--max-slots':
        o.tier.maxSlots = flagNum(0, true);
        break;
      case '--overflow-room':
        o.tier.overflowRoom = flagUpToOne(0, 'a share in [0, 1]');
        break;
      case '--min-slots':
        o.tier.minSlots = flagNum(0, true);
        break;
      case '--on-exhausted': {
        const v = take(++i, a) as ExhaustedAction;
        if (!EXHAUSTED_ACTIONS.includes(v))
          throw new OptionError(`--on-exhausted: one of ${EXHAUSTED_ACTIONS.join(', ')}`);
        o.tier.onExhausted = v;
        break;
      }
      case '--history-steps':
        o.historySteps = flagNum(1, true);
        break;
      case '--horizon':
        o.horizonSteps = flagNum(1, true);
        break;
      case '--warmup-steps':
        o.warmupSteps = flagNum(0, true);
        break;
      case '--step-ms':
        o.stepMs = flagNum(100, true);
        break;
      case '--model':
        o.modelFile = take(++i, a);
        break;
      case '--no-model':
        o.modelFile = null;
        break;
      case '--influx-url':
        o.influxUrl = take(++i, a);
        break;
      case '--out':
        o.outDir = take(++i, a);
        break;
      case '--name':
        o.name = take(++i, a);
        break;
      case '--baselines-only':
        o.baselinesOnly = true;
        break;
      case '--quiet':
        o.quiet = true;
        break;
      default:
        throw new OptionError(`unknown option ${a}`);
    }
  }
  if (positional.length > 1) throw new OptionError(`one trace only, got ${positional.join(' ')}`);
  if (positional.length === 1) {
    if (o.trace) throw new OptionError('give the trace once (--trace or as the argument)');
    o.trace = positional[0];
  }
  if (!o.trace) throw new OptionError('--trace <folder or csv> is required');
  return o as E2eOptions;
}
