/**
 * ReservationState.held: the held reservations as a ReadonlyMap, read straight from the name index
 * instead of a second Map kept beside it. With 25 emulated proxies of 10^4 users in one process, the
 * duplicate Map was ~10 MB of heap that every full garbage collection traced. Iteration order is
 * the index's slot order, not insertion order; unlike a Map's, it must not be iterated while the
 * state changes (apply, expire, drop): collect first, as expire() does.
 */
import type { NameIndex } from './name-index';

export class HeldView<T extends { readonly name: string }> implements ReadonlyMap<string, T> {
  constructor(private readonly index: NameIndex<T>) {}

  get size(): number {
    return this.index.size;
  }
  get(name: string): T | undefined {
    return this.index.find(name);
  }
  has(name: string): boolean {
    return this.index.find(name) !== undefined;
  }
  values(): MapIterator<T> {
    return this.index.values() as MapIterator<T>;
  }
  *keys(): MapIterator<string> {
    for (const v of this.index.values()) yield v.name;
  }
  *entries(): MapIterator<[string, T]> {
    for (const v of this.index.values()) yield [v.name, v];
  }
  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }
  forEach(fn: (value: T, key: string, map: ReadonlyMap<string, T>) => void, thisArg?: unknown): void {
    for (const v of this.index.values()) fn.call(thisArg, v, v.name, this);
  }
}
