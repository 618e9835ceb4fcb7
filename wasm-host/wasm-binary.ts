// Just enough of the Wasm binary format to do what cpp-host does before running a module:
// read function signatures of imports and exports (V8 link() refuses a missing import or an import
// type mismatch; getModuleFunctionImpl refuses a callback exported with the wrong signature) and find
// the ABI version marker export (src/bytecode_util.cc getAbiVersion).

export interface ModuleInfo {
  imports: Array<{
    module: string;
    name: string;
    kind: number;
    sig?: string;
    limits?: { initial: number; maximum?: number };
  }>;
  exports: Map<string, { kind: number; sig?: string }>;
}

const VALTYPE: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

export class WasmParseError extends Error {}

/** A signature as text: "i32 i32 -> i32", or "-> " forms as cpp-host prints them. */
export const sigText = (params: string[], results: string[]): string =>
  `${params.join(' ')} -> ${results.join(' ')}`;

export const parseModule = (bytes: Uint8Array): ModuleInfo => {
  let p = 0;
  const fail = (): never => {
    throw new WasmParseError('Failed to parse corrupted Wasm module');
  };
  const byte = (): number => (p < bytes.length ? bytes[p++] : fail());
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    while (true) {
      const b = byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) fail();
    }
  };
  const name = (): string => {
    const n = u32();
    if (p + n > bytes.length) fail();
    const s = Buffer.from(bytes.buffer, bytes.byteOffset + p, n).toString('utf8');
    p += n;
    return s;
  };
  const limits = (): { initial: number; maximum?: number } => {
    const flags = byte();
    const initial = u32();
    return flags & 1 ? { initial, maximum: u32() } : { initial };
  };
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    fail();
  p = 8;
  const types: string[] = [];
  const funcTypes: number[] = []; // type index per function index (imports first)
  const info: ModuleInfo = { imports: [], exports: new Map() };
  const rawExports: Array<{ name: string; kind: number; index: number }> = [];
  while (p < bytes.length) {
    const id = byte();
    const size = u32();
    const end = p + size;
    if (end > bytes.length) fail();
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        if (byte() !== 0x60) fail();
        const params: string[] = [];
        for (let k = u32(); k > 0; k--) params.push(VALTYPE[byte()] ?? '?');
        const results: string[] = [];
        for (let k = u32(); k > 0; k--) results.push(VALTYPE[byte()] ?? '?');
        types.push(sigText(params, results));
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const module = name();
        const field = name();
        const kind = byte();
        if (kind === 0) {
          const t = u32();
          funcTypes.push(t);
          info.imports.push({ module, name: field, kind, sig: types[t] });
        } else {
          let lim: { initial: number; maximum?: number } | undefined;
          if (kind === 1) {
            byte();
            limits();
          } else if (kind === 2) lim = limits();
          else if (kind === 3) {
            byte();
            byte();
          } else fail();
          info.imports.push({ module, name: field, kind, limits: lim });
        }
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcTypes.push(u32());
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const field = name();
        const kind = byte();
        rawExports.push({ name: field, kind, index: u32() });
      }
    }
    p = end;
  }
  for (const e of rawExports) {
    info.exports.set(e.name, { kind: e.kind, sig: e.kind === 0 ? types[funcTypes[e.index]] : undefined });
  }
  return info;
};

export type AbiVersion = '0_1_0' | '0_2_0' | '0_2_1' | 'unknown';

/** BytecodeUtil::getAbiVersion: the proxy_abi_version_* export decides. */
export const abiVersion = (info: ModuleInfo): AbiVersion => {
  for (const v of ['0_2_1', '0_2_0', '0_1_0'] as const) {
    if (info.exports.get(`proxy_abi_version_${v}`)?.kind === 0) return v;
  }
  return 'unknown';
};
