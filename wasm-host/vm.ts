// One Wasm VM on one thread (cpp-host src/wasm.cc WasmBase + src/v8/v8.cc): links the module against
// the host functions (a missing import or a type mismatch refuses the module), finds the callbacks
// (a wrong signature refuses it), runs _initialize/_start in restricted mode, then calls into the
// module with Envoy's bookkeeping: the current context is saved/restored per call and the effective
// context reset; a trap marks the VM failed (FailState::RuntimeError) and never escapes to the
// caller; actions deferred by host calls run after the callback returns (DeferAfterCallActions).

import {
  CalloutType as CalloutTypeValues,
  LogLevel as LogLevelValues,
  MetricType as MetricTypeValues,
} from './abi';
import type { Context, PluginSpec } from './context';
import { ContextTable } from './context-table';
import * as contextModule from './context';
import { buildImports, HostFn } from './imports';
import { VmMemory } from './memory';
import type { Stat } from './metrics';
import type { ProcessCore } from './process-core';
import type { HostThread } from './thread';
import { CompiledCode, emptyExports, EXPORT_SIGNATURES, ModuleExports } from './code';
const { Context: ContextClass } = contextModule; // read once: tsx module exports are getters
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const CalloutType = CalloutTypeValues;
const LogLevel = LogLevelValues;
const MetricType = MetricTypeValues;

export type FailState =
  'UnableToInitializeCode' | 'MissingFunction' | 'StartFailed' | 'ConfigureFailed' | 'RuntimeError';

/** Thrown from a host function to trap the module (cpp-host V8::trap). */
export class WasmTrap extends Error {}

export class WasmVm {
  readonly mem = new VmMemory();
  exports: ModuleExports = emptyExports();
  readonly contexts = new ContextTable();
  readonly rootContexts = new Map<string, Context>();
  readonly vmContext: Context;
  private nextContextId = 1;

  current: Context;
  effectiveId = 0;

  /** 0 = all host calls allowed, 1 = startVm allowlist, 2 = allocMemory allowlist, 3 = nothing (start section). */
  restricted = 3;
  failState: FailState | undefined;
  failMessage: string | undefined;
  stopIteration = false;
  private afterActions: Array<() => void> = [];

  // Metric ids per VM, type in the low 2 bits (cpp-host wasm.h kMetricTypeMask/kMetricIdIncrement).
  readonly metricsById = new Map<number, Stat>();
  private nextMetricId = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram];
  private nextCalloutId = [CalloutType.HttpCall, CalloutType.GrpcCall, CalloutType.GrpcStream];
  readonly timers = new Map<number, { period: number; cancel: () => void }>();

  hostCallsTotal = 0;
  /** Per host function (index into hostCallNames), when the process counts host calls. */
  hostCallCounts: number[] = [];
  hostCallNames: string[] = [];

  constructor(
    readonly proc: ProcessCore,
    readonly thread: HostThread,
    readonly code: CompiledCode,
  ) {
    this.vmContext = new ContextClass(this, 0, 0, null);
    this.contexts.set(0, this.vmContext);
    this.current = this.vmContext;
  }

  /** False once the VM is gone (canary killed, process closed): no more callbacks. */
  alive = true;

  kill(): void {
    this.alive = false;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const c of this.contexts.values()) c.cancelGrpc();
  }

  get failed(): boolean {
    return this.failState !== undefined;
  }

  fail(state: FailState, message: string): void {
    this.proc.logSink.write(LogLevel.error, 'envoy', this.thread.name, `Wasm VM failed ${message}`, {
      vmId: this.code.vmId,
    });
    if (this.failState === undefined) {
      this.failState = state;
      this.failMessage = message;
    }
  }

  /** WasmBase::initialize: link, find functions, startVm. False (and failed) on any refusal. */
  initialize(): boolean {
    const { module, info } = this.code;
    const table: Record<string, HostFn> = buildImports(this);
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    for (const imp of info.imports) {
      const full = `${imp.module}.${imp.name}`;
      imports[imp.module] ??= {};
      if (imp.kind === 0) {
        const host = table[full];
        if (host === undefined) {
          this.fail('UnableToInitializeCode', `Failed to load Wasm module due to a missing import: ${full}`);
          return false;
        }
        if (host.sig !== imp.sig) {
          this.fail(
            'UnableToInitializeCode',
            `Failed to load Wasm module due to an import type mismatch: ${full}, want: ${imp.sig}, but host exports: ${host.sig}`,
          );
          return false;
        }
        imports[imp.module][imp.name] = host.fn;
      } else if (imp.kind === 2) {
        this.memoryImport = new WebAssembly.Memory(imp.limits ?? { initial: 1 });
        imports[imp.module][imp.name] = this.memoryImport;
      } else {
        this.fail('UnableToInitializeCode', `Failed to load Wasm module due to a missing import: ${full}`);
        return false;
      }
    }
    let instance: WebAssembly.Instance;
    try {
      this.restricted = 3; // a start section runs with no context; Envoy would dereference null
      instance = new WebAssembly.Instance(module, imports);
    } catch (e) {
      this.fail('UnableToInitializeCode', `Failed to create new Wasm instance: ${(e as Error).message}`);
      return false;
    } finally {
      this.restricted = 0;
    }
    const exp = instance.exports;
    const memory = Object.values(exp).find((v) => v instanceof WebAssembly.Memory) as
      WebAssembly.Memory | undefined;
    const mem = memory ?? this.memoryImport;
    if (mem === undefined) {
      this.fail('UnableToInitializeCode', 'Wasm module has no memory');
      return false;
    }
    this.mem.attach(mem);
    for (const [name, sig] of Object.entries(EXPORT_SIGNATURES)) {
      const e = info.exports.get(name);
      if (e === undefined || e.kind !== 0) continue;
      if (e.sig !== sig) {
        this.fail(
          'UnableToInitializeCode',
          `Bad function signature for: ${name}, want: ${sig}, but the module exports: ${e.sig}`,
        );
        return false;
      }
      (this.exports as Record<string, unknown>)[name] = exp[name];
    }
    if (this.exports.malloc === undefined) this.exports.malloc = this.exports.proxy_on_memory_allocate;
    if (this.exports.malloc === undefined) {
      this.fail('MissingFunction', 'Wasm module is missing malloc function.');
      return false;
    }
    this.startVm();
    return !this.failed;
  }

  private memoryImport: WebAssembly.Memory | undefined;

  /** WasmBase::startVm: _initialize (+ main / __main_void) or _start, in restricted mode. */
  private startVm(): void {
    const e = this.exports;
    this.restricted = 1;
    try {
      if (e._initialize) {
        this.call0(this.vmContext, '_initialize', e._initialize);
        if (e.main) this.call2(this.vmContext, 'main', e.main, 0, 0);
        else if (e.__main_void) this.call0(this.vmContext, '__main_void', e.__main_void);
      } else if (e._start) {
        this.call0(this.vmContext, '_start', e._start);
      }
    } finally {
      this.restricted = 0;
    }
  }

  allocContextId(): number {
    while (this.contexts.has(this.nextContextId)) this.nextContextId++;
    return this.nextContextId++;
  }

  /** Deleted stream contexts, reused by newContext (a Context per request was garbage to collect). */
  private readonly contextPool: Context[] = [];

  newContext(parentId: number, plugin: PluginSpec): Context {
    const id = this.allocContextId();
    const pool = this.contextPool;
    const c =
      parentId !== 0 && pool.length > 0
        ? pool.pop()!.reuse(id, parentId, plugin)
        : new ContextClass(this, id, parentId, plugin);
    this.contexts.set(id, c);
    return c;
  }

  deleteContext(c: Context): void {
    c.cancelGrpc();
    const live = this.contexts.get(c.id) === c; // never pool a context twice
    this.contexts.delete(c.id);
    if (live && c.parentId !== 0 && this.contextPool.length < 64) {
      c.stream = null;
      this.contextPool.push(c);
    }
  }

  nextMetric(type: number): number {
    return (this.nextMetricId[type] += 4);
  }

  nextCallout(type: number): number {
    return (this.nextCalloutId[type] += 4);
  }

  /**
   * contextOrEffectiveContext(): the effective context if set and alive, else the current one.
   * While malloc runs (restricted mode 2) it is the VM context (cpp-host allocMemory calls malloc
   * on vm_context()); alloc() leaves `current` alone instead of saving and restoring it.
   */
  ctx(): Context {
    if (this.restricted === 2) return this.vmContext;
    if (this.effectiveId === 0) return this.current;
    return this.contexts.get(this.effectiveId) ?? this.current;
  }

  addAfterCall(action: () => void): void {
    this.afterActions.push(action);
  }

  /** DeferAfterCallActions destructor: clear stop-iteration, run deferred actions in order. */
  afterCall(): void {
    this.stopIteration = false;
    if (this.afterActions.length === 0) return;
    while (this.afterActions.length > 0) this.afterActions.shift()!();
  }

  private trapped(name: string, e: unknown): void {
    const err = e as Error;
    const frames = (err?.stack ?? '')
      .split('\n')
      .filter((l) => l.includes('wasm://') || l.includes('wasm-function'))
      .slice(0, 20)
      .map((l, i) => `${String(i).padStart(3)}: ${l.trim()}`);
    const trace = frames.length > 0 ? `\nProxy-Wasm plugin in-VM backtrace:\n${frames.join('\n')}` : '';
    this.fail('RuntimeError', `Function: ${name} failed: ${err?.message ?? String(e)}${trace}`);
  }

  // Fixed-arity call helpers: a trap returns 0 and fails the VM; the caller checks vm.failed.
  call0(c: Context, name: string, f: () => unknown): number {
    // SaveRestoreContext: the callee runs as c; nested calls restore what they found.
    const prev = this.current;
    const prevEff = this.effectiveId;
    this.current = c;
    this.effectiveId = 0;
    try {
      return (f() as number) | 0;
    } catch (e) {
      this.trapped(name, e);
      return 0;
    } finally {
      this.current = prev;
      this.effectiveId = prevEff;
    }
  }

  call1(c: Context, name: string, f: (a: number) => unknown, a: number): number {
    // SaveRestoreContext: the callee runs as c; nested calls restore what they found.
    const prev = this.current;
    const prevEff = this.effectiveId;
    this.current = c;
    this.effectiveId = 0;
    try {
      return (f(a) as number) | 0;
    } catch (e) {
      this.trapped(name, e);
      return 0;
    } finally {
      this.current = prev;
      this.effectiveId = prevEff;
    }
  }

  call2(c: Context, name: string, f: (a: number, b: number) => unknown, a: number, b: number): number {
    // SaveRestoreContext: the callee runs as c; nested calls restore what they found.
    const prev = this.current;
    const prevEff = this.effectiveId;
    this.current = c;
    this.effectiveId = 0;
    try {
      return (f(a, b) as number) | 0;
    } catch (e) {
      this.trapped(name, e);
      return 0;
    } finally {
      this.current = prev;
      this.effectiveId = prevEff;
    }
  }

  call3(
    c: Context,
    name: string,
    f: (a: number, b: number, x: number) => unknown,
    a: number,
    b: number,
    x: number,
  ): number {
    // SaveRestoreContext: the callee runs as c; nested calls restore what they found.
    const prev = this.current;
    const prevEff = this.effectiveId;
    this.current = c;
    this.effectiveId = 0;
    try {
      return (f(a, b, x) as number) | 0;
    } catch (e) {
      this.trapped(name, e);
      return 0;
    } finally {
      this.current = prev;
      this.effectiveId = prevEff;
    }
  }

  /**
   * WasmBase::allocMemory: call malloc in restricted mode on the VM context; 0 when it fails.
   * The VM context is what ctx() answers in restricted mode 2, so `current` is not touched.
   */
  alloc(size: number): number {
    if (this.failState !== undefined) return 0;
    const prev = this.restricted;
    this.restricted = 2; // malloc may not set an effective context either: that call traps
    let a = 0;
    try {
      a = (this.exports.malloc!(size) as number) >>> 0;
    } catch (e) {
      this.trapped('malloc', e);
    } finally {
      this.restricted = prev;
    }
    if (a === 0 || this.failState !== undefined) return 0;
    return this.mem.ok(a, size) ? a : 0;
  }

  /** WasmBase::copyToPointerSize for bytes. Empty values write (0, 0) without allocating. */
  copyBytesOut(bytes: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    const size = bytes.length;
    let p = 0;
    if (size > 0) {
      p = this.alloc(size);
      if (p === 0) return false;
      this.mem.u8.set(bytes, p);
    }
    return this.mem.setU32(ptrPtr, p) && this.mem.setU32(sizePtr, size);
  }

  /** copyToPointerSize for a latin1 string (header values, properties). */
  copyLatin1Out(s: string, ptrPtr: number, sizePtr: number): boolean {
    const size = s.length;
    let p = 0;
    if (size > 0) {
      p = this.alloc(size);
      if (p === 0) return false;
      this.mem.writeLatin1(p, s);
    }
    return this.mem.setU32(ptrPtr, p) && this.mem.setU32(sizePtr, size);
  }

  /** Host-side error for the operator (cpp-host integration()->error). */
  error(message: string): void {
    this.proc.logSink.write(LogLevel.error, 'envoy', this.thread.name, message, { vmId: this.code.vmId });
  }

  hostCallsByFunction(): Record<string, number> {
    const out: Record<string, number> = {};
    this.hostCallCounts.forEach((n, i) => n > 0 && (out[this.hostCallNames[i]] = n));
    return out;
  }

  memoryBytes(): number {
    return this.mem.attached ? this.mem.size() : 0;
  }
}
