/**
 * Offline check of the histogram policy (issue 10, L ≤ 0.5·L0 while H ≤ H0): for each window, the
 * keep-alive, oracle and histogram baselines on the same replay as `bench:e2e`, for one or more
 * parameter variants. No live Earmark run, so a window takes seconds.
 *
 *   npx tsx bench/e2e/histogram-sweep.ts --froms 60,1260 [--variant 'headPct=5,tailPct=99' ...] -- <bench:e2e options>
 */
import { HISTOGRAM_DEFAULTS, type HistogramPolicyConfig } from '../../sim/baselines/idle-histogram';
import { runBaseline } from './baselines';
import { parseOptions } from './options';
import type { PolicySummary } from './outcomes';
import { prepareReplay } from './run';

type Variant = Partial<HistogramPolicyConfig>;

export function parseVariant(text: string): Variant {
  const v: Record<string, number> = {};
  for (const kv of text.split(',').filter(Boolean)) {
    const [k, val] = kv.split('=');
    const n = Number(val);
    if (!k || Number.isNaN(n) || val === undefined || val.trim() === '')
      throw new Error(`bad variant entry "${kv}" (want key=number)`);
    // A misspelt key would otherwise run the defaults under the variant's label.
    if (!(k in HISTOGRAM_DEFAULTS))
      throw new Error(`unknown variant key "${k}" (known: ${Object.keys(HISTOGRAM_DEFAULTS).join(', ')})`);
    v[k] = n;
  }
  return v as Variant;
}

function describeVariant(v: Variant): string {
  const e = Object.entries(v);
  return e.length === 0 ? 'defaults' : e.map(([k, x]) => `${k}=${x}`).join(', ');
}

/** Issue 10's two memory-bound criteria for one histogram row: `L ≤ 0.5·L0 while H ≤ H0 | H ≤ 1.5·O`. */
function verdict(h: PolicySummary, ka: PolicySummary, oracleGbH: number): string {
  const lOk = h.p99AddedMs <= 0.5 * ka.p99AddedMs;
  const hOk = h.heldGbHours <= ka.heldGbHours;
  const oOk = h.heldGbHours <= 1.5 * oracleGbH;
  return `${lOk && hOk ? 'yes' : 'no'} | ${oOk ? 'yes' : 'no'}`;
}

async function main(argv: string[]): Promise<void> {
  const sep = argv.indexOf('--');
  const own = sep >= 0 ? argv.slice(0, sep) : argv;
  const rest = sep >= 0 ? argv.slice(sep + 1) : [];
  let froms = [720];
  const variants: Variant[] = [];
  for (let i = 0; i < own.length; i++) {
    const value = (): string => {
      const v = own[++i];
      if (v === undefined) throw new Error(`${own[i - 1]} needs a value`);
      return v;
    };
    if (own[i] === '--froms') {
      froms = value().split(',').map(Number);
      if (froms.some((f) => !Number.isInteger(f) || f < 0))
        throw new Error('--froms wants minutes, e.g. --froms 60,1260');
    } else if (own[i] === '--variant') variants.push(parseVariant(value()));
    else throw new Error(`unknown option ${own[i]} (usage: see the comment at the top of this file)`);
  }
  if (variants.length === 0) variants.push({});
  console.log(
    '| from | variant | keep-alive bad % / p99 / GB-h | oracle GB-h | histogram bad % / p99 / GB-h | L ≤ 0.5·L0 while H ≤ H0 | H ≤ 1.5·O |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const from of froms) {
    const o = parseOptions([...rest, '--from', String(from), '--baselines-only']);
    const p = await prepareReplay(o, () => {});
    const sum = (name: 'keep-alive' | 'oracle' | 'histogram', v?: Variant) => {
      const r = runBaseline(name, { ...p.ctx, histogram: v });
      return r.log.summary(name, r.heldGbHours, r.reservedGbHours);
    };
    const ka = sum('keep-alive');
    const or = sum('oracle');
    for (const v of variants) {
      const h = sum('histogram', v);
      const f = (s: PolicySummary) =>
        `${s.rejectedOrLatePct.toFixed(3)} / ${s.p99AddedMs.toFixed(0)} / ${s.heldGbHours.toFixed(2)}`;
      console.log(
        `| ${from} | ${describeVariant(v)} | ${f(ka)} | ${or.heldGbHours.toFixed(2)} | ${f(h)} | ${verdict(h, ka, or.heldGbHours)} |`,
      );
    }
  }
}

if (require.main === module)
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
