/**
 * Checks an ONNX file against the model contract before any inference runs, and says precisely
 * what is wrong: a model that does not conform is rejected on load, never half-used.
 */
import { onnx } from 'onnx-proto';
import {
  CONTRACT_VERSION,
  INPUT_NAMES,
  MAX_OPSET,
  META_CONTRACT,
  META_NAME,
  META_QUANTILES,
  MIN_OPSET,
  ModelSignature,
  OUTPUT_NAME,
  expectedInputShapes,
} from './contract';

/** A model file that cannot be used: missing, unreadable, not ONNX, or not meeting the contract. */
export class ModelLoadError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`model ${file} rejected: ${problems.join('; ')}`);
  }
}

type Dim = number | string;

function shapeOf(v: onnx.IValueInfoProto): { elemType: number; dims: Dim[] } | undefined {
  const t = v.type?.tensorType;
  if (!t) return undefined;
  const dims = (t.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
  return { elemType: t.elemType ?? 0, dims };
}

function fmt(dims: Dim[]): string {
  return `[${dims.map((d) => (typeof d === 'string' ? d || '?' : d)).join(', ')}]`;
}

function dtypeName(t: number): string {
  return (onnx.TensorProto.DataType as unknown as Record<number, string>)[t] ?? `type ${t}`;
}

export function parseQuantiles(s: string | undefined): number[] | string {
  if (s === undefined || s.trim() === '')
    return `metadata "${META_QUANTILES}" is missing (e.g. "0.5,0.9,0.95,0.99")`;
  const qs = s.split(',').map((x) => Number(x.trim()));
  if (qs.some((q) => !(q > 0 && q < 1)))
    return `metadata "${META_QUANTILES}" = "${s}": every level must be in (0, 1)`;
  for (let i = 1; i < qs.length; i++)
    if (!(qs[i] > qs[i - 1]))
      return `metadata "${META_QUANTILES}" = "${s}": levels must be strictly ascending`;
  if (!qs.includes(0.5))
    return `metadata "${META_QUANTILES}" = "${s}": must include 0.5 (the point forecast)`;
  return qs;
}

/** Decodes and checks a model; throws ModelLoadError listing every problem found. */
export function readSignature(bytes: Uint8Array, file: string): ModelSignature {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ModelLoadError(file, [
      `not an ONNX model (${err instanceof Error ? err.message : String(err)})`,
    ]);
  }
  const graph = model.graph;
  if (!graph || (graph.node ?? []).length === 0)
    throw new ModelLoadError(file, ['not an ONNX model (no graph)']);
  const problems: string[] = [];

  const opsets = model.opsetImport ?? [];
  const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = main ? Number(main.version ?? 0) : 0;
  if (!main) problems.push('no opset import for the default ONNX domain');
  else if (opset < MIN_OPSET || opset > MAX_OPSET)
    problems.push(`opset ${opset} is outside the supported range ${MIN_OPSET}..${MAX_OPSET}`);
  for (const o of opsets)
    if (o.domain && o.domain !== 'ai.onnx') problems.push(`operator domain "${o.domain}" is not supported`);

  const meta: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) meta[p.key] = p.value ?? '';
  if (meta[META_CONTRACT] !== String(CONTRACT_VERSION))
    problems.push(
      meta[META_CONTRACT] === undefined
        ? `metadata "${META_CONTRACT}" is missing (must be "${CONTRACT_VERSION}")`
        : `metadata "${META_CONTRACT}" = "${meta[META_CONTRACT]}", this engine runs contract "${CONTRACT_VERSION}"`,
    );
  const quantiles = parseQuantiles(meta[META_QUANTILES]);
  if (typeof quantiles === 'string') problems.push(quantiles);

  // Older exporters list initializers among the inputs; they are weights, not inputs.
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initNames.has(v.name ?? ''));
  const byName = new Map(inputs.map((v) => [v.name ?? '', v]));
  for (const v of inputs)
    if (!(INPUT_NAMES as readonly string[]).includes(v.name ?? ''))
      problems.push(`unexpected input "${v.name}" (the contract's inputs are ${INPUT_NAMES.join(', ')})`);

  const out = (graph.output ?? []).find((v) => v.name === OUTPUT_NAME);
  let horizon = 0;
  if (!out)
    problems.push(
      `no output named "${OUTPUT_NAME}" (outputs: ${(graph.output ?? []).map((v) => v.name).join(', ') || 'none'})`,
    );
  else {
    const s = shapeOf(out);
    if (!s) problems.push(`output "${OUTPUT_NAME}" is not a tensor`);
    else {
      if (s.elemType !== onnx.TensorProto.DataType.FLOAT)
        problems.push(`output "${OUTPUT_NAME}" has dtype ${dtypeName(s.elemType)}, expected FLOAT`);
      const q = typeof quantiles === 'string' ? undefined : quantiles.length;
      if (
        s.dims.length !== 3 ||
        typeof s.dims[1] !== 'number' ||
        s.dims[1] < 1 ||
        (q !== undefined && s.dims[2] !== q)
      )
        problems.push(
          `output "${OUTPUT_NAME}" has shape ${fmt(s.dims)}, expected [batch, horizon, ${q ?? 'quantiles'}]`,
        );
      else horizon = s.dims[1];
    }
  }

  const window = byName.get('window');
  const wShape = window && shapeOf(window);
  const W = wShape && typeof wShape.dims[1] === 'number' ? wShape.dims[1] : 0;
  if (W > 0 && W < 8) problems.push(`input "window" has ${W} steps, the contract needs at least 8`);
  const expected = expectedInputShapes(W, horizon);
  for (const name of INPUT_NAMES) {
    const v = byName.get(name);
    if (!v) {
      problems.push(`missing input "${name}"`);
      continue;
    }
    const s = shapeOf(v);
    if (!s) {
      problems.push(`input "${name}" is not a tensor`);
      continue;
    }
    if (s.elemType !== onnx.TensorProto.DataType.FLOAT)
      problems.push(`input "${name}" has dtype ${dtypeName(s.elemType)}, expected FLOAT`);
    const want = expected[name];
    const ok =
      s.dims.length === 2 &&
      (name === 'window' ? W >= 8 : horizon === 0 || s.dims[1] === want[1]) &&
      typeof s.dims[1] === 'number';
    if (!ok)
      problems.push(
        `input "${name}" has shape ${fmt(s.dims)}, expected [batch, ${name === 'window' ? 'steps >= 8' : want[1]}]`,
      );
  }

  if (problems.length > 0) throw new ModelLoadError(file, problems);
  return {
    window: W,
    horizon,
    quantiles: quantiles as number[],
    opset,
    name: meta[META_NAME] || graph.name || 'onnx',
    metadata: meta,
  };
}
