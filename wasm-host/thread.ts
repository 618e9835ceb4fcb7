// An Envoy thread (main thread or a worker) as seen by Wasm: its own thread-local VMs keyed by vm_key
// (cpp-host wasm.cc local_wasms) and a dispatcher queue for posted tasks (Envoy's
// Wasm::callOnThreadFunction = dispatcher.post). Posted tasks never run inline: the process runs
// them after the current driver call returns, like the event loop would.

import type { WasmVm } from './vm';

export class HostThread {
  readonly vms = new Map<string, WasmVm>();
  private tasks: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly onPost: () => void,
    /** A task that throws is reported here instead of escaping into the event loop. */
    private readonly onError: (thread: string, error: unknown) => void = () => undefined,
  ) {}

  post(task: () => void): void {
    this.tasks.push(task);
    this.onPost();
  }

  get pending(): number {
    return this.tasks.length;
  }

  /** Run the tasks queued so far (tasks they post wait for the next round). */
  runTasks(): number {
    const batch = this.tasks;
    this.tasks = [];
    for (const t of batch) {
      try {
        t();
      } catch (e) {
        this.onError(this.name, e);
      }
    }
    return batch.length;
  }
}
