// A VM's live contexts by id. Every HTTP stream adds and removes one, so this is on the
// per-request path: a JS Map with that churn spends its time rehashing and growing. Ids are
// handed out in sequence, so a power-of-two table indexed by the id's low bits with linear probing
// finds almost every id at its home slot; deletion shifts entries back (no tombstones).

import type { Context } from './context';

export class ContextTable {
  private ids = new Int32Array(64);
  private slots: Array<Context | null> = new Array<Context | null>(64).fill(null);
  private mask = 63;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): Context | undefined {
    const key = id | 0;
    const slots = this.slots;
    for (let i = key & this.mask; ; i = (i + 1) & this.mask) {
      const c = slots[i];
      if (c === null) return undefined;
      if (this.ids[i] === key) return c;
    }
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  set(id: number, c: Context): void {
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    const key = id | 0;
    for (let i = key & this.mask; ; i = (i + 1) & this.mask) {
      const cur = this.slots[i];
      if (cur === null || this.ids[i] === key) {
        if (cur === null) this.count++;
        this.ids[i] = key;
        this.slots[i] = c;
        return;
      }
    }
  }

  delete(id: number): boolean {
    const key = id | 0;
    const mask = this.mask;
    const slots = this.slots;
    let i = key & mask;
    for (; ; i = (i + 1) & mask) {
      if (slots[i] === null) return false;
      if (this.ids[i] === key) break;
    }
    this.count--;
    // Backward shift: move later entries of the run into the hole unless they sit at or after
    // their home slot (cyclically between the hole and themselves).
    let hole = i;
    for (let j = (i + 1) & mask; slots[j] !== null; j = (j + 1) & mask) {
      const home = this.ids[j] & mask;
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.ids[hole] = this.ids[j];
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = null;
    return true;
  }

  values(): Context[] {
    return this.slots.filter((c): c is Context => c !== null);
  }

  private grow(): void {
    const ids = this.ids;
    const slots = this.slots;
    this.mask = this.mask * 2 + 1;
    this.ids = new Int32Array(this.mask + 1);
    this.slots = new Array<Context | null>(this.mask + 1).fill(null);
    this.count = 0;
    for (let i = 0; i < slots.length; i++) {
      const c = slots[i];
      if (c !== null) this.set(ids[i], c);
    }
  }
}
