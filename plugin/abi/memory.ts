// Host -> module allocations (proxy_on_memory_allocate). The host asks the module for memory to
// copy every value it returns (a header value, a shared-data record, a gRPC message). A request
// must not allocate, so such copies land in a static scratch arena that is rewound when the
// outermost callback starts; values that outlive a callback are copied out by their owner.
// Requests bigger than what is left of the arena go to the heap and are freed at the next rewind.

const ARENA_BYTES: usize = 256 * 1024;
const MAX_LARGE: i32 = 64;

const arenaBase: usize = memory.data(<i32>ARENA_BYTES, 16);
const largeAllocs: usize = memory.data(MAX_LARGE * 4, 4);
let arenaTop: usize = 0;
let largeCount: i32 = 0;
let depth: i32 = 0;

/** Called by the host (exported from index.ts). Returns 0 when it cannot allocate. */
export function allocateForHost(size: usize): usize {
  const aligned = (size + 7) & ~(<usize>7);
  if (arenaTop + aligned <= ARENA_BYTES) {
    const p = arenaBase + arenaTop;
    arenaTop += aligned;
    return p;
  }
  if (largeCount >= MAX_LARGE) return 0;
  const p = heap.alloc(size == 0 ? 1 : size);
  store<u32>(largeAllocs + ((<usize>largeCount) << 2), <u32>p);
  largeCount++;
  return p;
}

function rewind(): void {
  arenaTop = 0;
  for (let i = 0; i < largeCount; i++) heap.free(<usize>load<u32>(largeAllocs + ((<usize>i) << 2)));
  largeCount = 0;
}

/** Marks the start of a callback; the scratch arena is rewound at the outermost one only. */
export function enterCallback(): void {
  if (depth == 0) rewind();
  depth++;
}

export function leaveCallback(): void {
  if (depth > 0) depth--;
}

/** Bytes of scratch in use, for tests of the allocator through the debug export. */
export function scratchInUse(): usize {
  return arenaTop;
}

/**
 * A point in the scratch arena to come back to: loops that make many host calls (applying a
 * plan of 100,000 reservations, draining a queue) release what each step used, so the arena
 * never overflows. Nothing allocated after the mark may be used once it is released.
 */
export function scratchMark(): u64 {
  return ((<u64>largeCount) << 32) | (<u64>arenaTop);
}

export function scratchRelease(mark: u64): void {
  arenaTop = <usize>(mark & 0xffffffff);
  const keep = <i32>(mark >> 32);
  for (let i = keep; i < largeCount; i++) heap.free(<usize>load<u32>(largeAllocs + ((<usize>i) << 2)));
  if (largeCount > keep) largeCount = keep;
}
