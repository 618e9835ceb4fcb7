// The names of one response, to refuse a name given twice as Envoy does (duplicate among the
// added/updated resources, or in the union of added and removed). Open addressing over the names'
// hashes with a byte compare on a hash hit; the table is kept across responses and only the part
// sized to the response in hand is cleared, so a check allocates nothing per resource.
import { equalShort, hashShort } from '../lib/bytes';

export class NameSet {
  /**
   * One u64 per slot, hash << 32 | (entry + 1), 0 = empty: a probe reads one word, so an add
   * costs one cache miss in a table larger than the cache (three separate arrays cost three).
   */
  private slots: StaticArray<u64> = new StaticArray<u64>(0);
  /** Per entry, in the order added: the name's address and length (read on a hash hit only). */
  private ptrs: StaticArray<usize> = new StaticArray<usize>(0);
  private lens: StaticArray<usize> = new StaticArray<usize>(0);
  private count: i32 = 0;
  private mask: u32 = 0;

  /** Empties the set for up to `n` names; the table is at most half full, so probes stay short. */
  reset(n: i32): void {
    let size: i32 = 16;
    while (size < n * 2) size <<= 1;
    if (size > this.slots.length) this.slots = new StaticArray<u64>(size);
    else memory.fill(changetype<usize>(this.slots), 0, (<usize>size) << 3);
    if (n > this.ptrs.length) {
      this.ptrs = new StaticArray<usize>(n);
      this.lens = new StaticArray<usize>(n);
    }
    this.count = 0;
    this.mask = <u32>size - 1;
  }

  /** Adds a name (its bytes live while the set is used); false if it is there already. */
  add(ptr: usize, len: usize): bool {
    const h = hashShort(ptr, len);
    const mask = this.mask;
    let i = h & mask;
    while (true) {
      const s = unchecked(this.slots[i]);
      if (s == 0) {
        const k = this.count++;
        unchecked((this.slots[i] = ((<u64>h) << 32) | (<u64>k + 1)));
        unchecked((this.ptrs[k] = ptr));
        unchecked((this.lens[k] = len));
        return true;
      }
      if (<u32>(s >> 32) == h) {
        const k = <i32>(<u32>s) - 1;
        if (unchecked(this.lens[k]) == len && equalShort(unchecked(this.ptrs[k]), ptr, len)) return false;
      }
      i = (i + 1) & mask;
    }
  }
}
