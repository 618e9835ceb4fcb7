// Contexts as the host sees them: root contexts (one per plugin configuration on this VM) and
// stream contexts (one per HTTP stream), identified by host-chosen ids. A root decides what its
// streams are; the table here maps a stream's context id to its root and the root's slot for it,
// with open addressing over preallocated memory so a request costs one probe and no allocation.

/** A root context. Subclasses (filter root, sync root) override what they handle. */
export class RootContext {
  id: u32;
  rootId: string;
  index: i32 = -1;

  constructor(id: u32, rootId: string) {
    this.id = id;
    this.rootId = rootId;
  }

  onVmStart(_vmConfigSize: u32): bool {
    return true;
  }
  onConfigure(_configSize: u32): bool {
    return true;
  }
  onTick(): void {}
  onQueueReady(_token: u32): void {}
  onGrpcReceiveInitialMetadata(_token: u32, _headers: u32): void {}
  onGrpcReceive(_token: u32, _size: u32): void {}
  onGrpcReceiveTrailingMetadata(_token: u32, _trailers: u32): void {}
  onGrpcClose(_token: u32, _status: u32): void {}
  /** The root is going away (called from on_delete): flush and close what it holds. */
  onDone(): bool {
    return true;
  }
  onDelete(): void {}

  // Stream callbacks. `slot` is what onStreamCreate returned for this stream.
  /** Returns the root's slot for a new stream, or -1 to ignore the stream entirely. */
  onStreamCreate(_contextId: u32): i32 {
    return -1;
  }
  onRequestHeaders(_slot: i32, _headers: u32, _endOfStream: bool): u32 {
    return 0;
  }
  onRequestBody(_slot: i32, _size: u32, _endOfStream: bool): u32 {
    return 0;
  }
  onResponseBody(_slot: i32, _size: u32, _endOfStream: bool): u32 {
    return 0;
  }
  /**
   * The stream is done and gone (on_delete; this module exports no on_done, so Envoy treats the
   * stream as done right before): the root gives back what it held and frees the slot. Once.
   */
  onStreamDelete(_slot: i32): void {}
}

/** Builds the root context for a root id (set by the plugin's entry point). */
export let rootFactory: (id: u32, rootId: string) => RootContext = (id: u32, rootId: string): RootContext =>
  new RootContext(id, rootId);

export function setRootFactory(f: (id: u32, rootId: string) => RootContext): void {
  rootFactory = f;
}

// Roots -----------------------------------------------------------------------------------------

export const roots: Array<RootContext | null> = [];
/** The root found last: every stream's on_context_create names its root, nearly always this one. */
let lastRoot: RootContext | null = null;
/** roots.length as a plain global: a stream callback checks its root index without a call. */
export let rootSlots: i32 = 0;

export function addRoot(root: RootContext): void {
  for (let i = 0; i < roots.length; i++) {
    if (roots[i] === null) {
      root.index = i;
      roots[i] = root;
      return;
    }
  }
  root.index = roots.length;
  roots.push(root);
  rootSlots = roots.length;
}

export function findRoot(id: u32): RootContext | null {
  const last = lastRoot;
  if (last !== null && last.id == id) return last;
  for (let i = 0; i < roots.length; i++) {
    const r = roots[i];
    if (r !== null && r.id == id) {
      lastRoot = r;
      return r;
    }
  }
  return null;
}

export function removeRoot(root: RootContext): void {
  if (lastRoot === root) lastRoot = null;
  if (root.index >= 0 && root.index < roots.length) roots[root.index] = null;
}

// Stream table: context id -> (root index + 1) << 24 | slot ------------------------------------

let tableCap: u32 = 0;
let tableMask: u32 = 0;
let tableKeys: usize = 0;
let tableValues: usize = 0;
let tableCount: u32 = 0;

function slotOf(id: u32): u32 {
  return (id * 0x9e3779b1) & tableMask;
}

function allocTable(cap: u32): void {
  tableCap = cap;
  tableMask = cap - 1;
  tableKeys = heap.alloc((<usize>cap) << 2);
  tableValues = heap.alloc((<usize>cap) << 2);
  memory.fill(tableKeys, 0, (<usize>cap) << 2);
  tableCount = 0;
}

function grow(): void {
  const oldKeys = tableKeys;
  const oldValues = tableValues;
  const oldCap = tableCap;
  allocTable(oldCap << 1);
  for (let i: u32 = 0; i < oldCap; i++) {
    const k = load<u32>(oldKeys + ((<usize>i) << 2));
    if (k != 0) putStream(k, load<u32>(oldValues + ((<usize>i) << 2)));
  }
  heap.free(oldKeys);
  heap.free(oldValues);
}

/** Registers a stream context (ids are never 0). */
export function putStream(id: u32, value: u32): void {
  if (tableCap == 0) allocTable(1024);
  if ((tableCount + 1) * 2 > tableCap) grow();
  let i = slotOf(id);
  while (true) {
    const k = load<u32>(tableKeys + ((<usize>i) << 2));
    if (k == 0 || k == id) {
      if (k == 0) tableCount++;
      store<u32>(tableKeys + ((<usize>i) << 2), id);
      store<u32>(tableValues + ((<usize>i) << 2), value);
      return;
    }
    i = (i + 1) & tableMask;
  }
}

/** The value stored for a stream, or 0 when the id is not a known stream. */
export function getStream(id: u32): u32 {
  if (tableCap == 0) return 0;
  let i = slotOf(id);
  while (true) {
    const k = load<u32>(tableKeys + ((<usize>i) << 2));
    if (k == id) return load<u32>(tableValues + ((<usize>i) << 2));
    if (k == 0) return 0;
    i = (i + 1) & tableMask;
  }
}

/** Removes a stream; backward-shift deletion keeps probe chains intact without tombstones. */
export function deleteStream(id: u32): void {
  if (tableCap == 0) return;
  let i = slotOf(id);
  while (true) {
    const k = load<u32>(tableKeys + ((<usize>i) << 2));
    if (k == 0) return;
    if (k == id) break;
    i = (i + 1) & tableMask;
  }
  tableCount--;
  let hole = i;
  let j = (i + 1) & tableMask;
  while (true) {
    const k = load<u32>(tableKeys + ((<usize>j) << 2));
    if (k == 0) break;
    const home = slotOf(k);
    // Move k into the hole if its home position does not lie cyclically in (hole, j].
    const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
    if (!between) {
      store<u32>(tableKeys + ((<usize>hole) << 2), k);
      store<u32>(tableValues + ((<usize>hole) << 2), load<u32>(tableValues + ((<usize>j) << 2)));
      hole = j;
    }
    j = (j + 1) & tableMask;
  }
  store<u32>(tableKeys + ((<usize>hole) << 2), 0);
}

export function streamCount(): u32 {
  return tableCount;
}
