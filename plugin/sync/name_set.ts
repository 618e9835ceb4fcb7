// The names of one response, to refuse a name given twice as Envoy does (duplicate among the
// added/updated resources, or in the union of added and removed). Open addressing over the names'
// hashes with a byte compare on a hash hit; the table is kept across responses and only the part
// sized to the response in hand is cleared, so a check allocates nothing per resource.
import { equalShort, hashShort } from '../lib/bytes';

export class NameSet {
  /** Per slot: the name's length (0 = empty slot; names are at least 1 byte), hash and address. */
  private lens: StaticArray<u32> = new StaticArray<u32>(0);
  private hashes: StaticArray<u32> = new StaticArray<u32>(0);
  private ptrs: StaticArray<usize> = new StaticArray<usize>(0);
  private mask: u32 = 0;

  /** Empties the set for up to `n` names; the table is at most half full, so probes stay short. */
  reset(n: i32): void {
    let size: i32 = 16;
    while (size < n * 2) size <<= 1;
    if (size > this.lens.length) {
      this.lens = new StaticArray<u32>(size);
      this.hashes = new StaticArray<u32>(size);
      this.ptrs = new StaticArray<usize>(size);
    } else {
      memory.fill(changetype<usize>(this.lens), 0, (<usize>size) << 2);
    }
    this.mask = <u32>size - 1;
  }

  /** Adds a name (1 byte or more, its bytes live while the set is used); false if already there. */
  add(ptr: usize, len: usize): bool {
    const h = hashShort(ptr, len);
    const mask = this.mask;
    let i = h & mask;
    while (true) {
      const l = unchecked(this.lens[i]);
      if (l == 0) {
        unchecked((this.lens[i] = <u32>len));
        unchecked((this.hashes[i] = h));
        unchecked((this.ptrs[i] = ptr));
        return true;
      }
      if (l == <u32>len && unchecked(this.hashes[i]) == h && equalShort(unchecked(this.ptrs[i]), ptr, len))
        return false;
      i = (i + 1) & mask;
    }
  }
}
