// Process-wide shared queues (cpp-host src/shared_queue.cc): a queue is keyed by (vm_id, name); the
// token comes from a counter starting at 1 that skips 0 and live tokens; registering again keeps the
// data but makes the NEW registrant the one notified (only the last registrant gets on_queue_ready);
// resolve finds a queue by vm_id and name; an enqueue posts on_queue_ready to the registrant's thread.

import { WasmResult } from './abi';

export interface QueueOwner {
  vmKey: string;
  contextId: number;
  /** CallOnThreadFunction: post a task to the registrant's thread. */
  post: (task: () => void) => void;
  /** Runs on that thread: deliver on_queue_ready to (vmKey, contextId) if it still exists. */
  notify: (vmKey: string, contextId: number, token: number) => void;
}

interface Queue {
  owner: QueueOwner;
  items: Uint8Array[];
}

export class SharedQueues {
  private nextToken = 1;
  private readonly tokens = new Map<string, number>();
  private readonly queues = new Map<number, Queue>();

  private static key(vmId: string, name: string): string {
    return vmId + '\u0000' + name;
  }

  private allocToken(): number {
    while (true) {
      const token = this.nextToken;
      this.nextToken = (this.nextToken + 1) >>> 0;
      if (token === 0) continue; // 0 is an illegal token.
      if (!this.queues.has(token)) return token;
    }
  }

  register(vmId: string, name: string, owner: QueueOwner): number {
    const key = SharedQueues.key(vmId, name);
    let token = this.tokens.get(key);
    if (token === undefined) {
      token = this.allocToken();
      this.tokens.set(key, token);
    }
    const q = this.queues.get(token);
    if (q === undefined) this.queues.set(token, { owner, items: [] });
    else q.owner = owner; // Preserve any existing data.
    return token;
  }

  /** 0 when not found (the host maps that to NOT_FOUND). */
  resolveRaw(vmId: string, name: string): number {
    return this.tokens.get(SharedQueues.key(vmId, name)) ?? 0;
  }

  dequeue(token: number): Uint8Array | number {
    const q = this.queues.get(token);
    if (q === undefined) return WasmResult.NotFound;
    if (q.items.length === 0) return WasmResult.Empty;
    return q.items.shift()!;
  }

  enqueue(token: number, value: Uint8Array): number {
    const q = this.queues.get(token);
    if (q === undefined) return WasmResult.NotFound;
    q.items.push(value);
    const { vmKey, contextId, post, notify } = q.owner;
    post(() => notify(vmKey, contextId, token));
    return WasmResult.Ok;
  }

  // ---- driver-facing ----
  resolve(vmId: string, name: string): number | undefined {
    const t = this.resolveRaw(Buffer.from(vmId).toString('latin1'), Buffer.from(name).toString('latin1'));
    return t === 0 ? undefined : t;
  }

  length(token: number): number {
    return this.queues.get(token)?.items.length ?? 0;
  }
}
