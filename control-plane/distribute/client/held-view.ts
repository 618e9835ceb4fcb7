/**
 * ReservationState.held: the held reservations as a ReadonlyMap, read straight from the state's
 * flat record store instead of a Map kept beside it. Each value is a snapshot made when it is read
 * (HeldReservation). Iteration order is the store's record order, not insertion order; unlike a
 * Map's, it must not be iterated while the state changes (apply, expire, drop): collect first.
 */
import type { HeldReservation } from './reservation-state';

/** What the view reads from (ReservationState). */
export interface HeldSource {
  readonly size: number;
  get(name: string): HeldReservation | undefined;
  values(): IterableIterator<HeldReservation>;
}

export class HeldView implements ReadonlyMap<string, HeldReservation> {
  constructor(private readonly source: HeldSource) {}

  get size(): number {
    return this.source.size;
  }
  get(name: string): HeldReservation | undefined {
    return this.source.get(name);
  }
  has(name: string): boolean {
    return this.source.get(name) !== undefined;
  }
  values(): MapIterator<HeldReservation> {
    return this.source.values() as MapIterator<HeldReservation>;
  }
  *keys(): MapIterator<string> {
    for (const v of this.source.values()) yield v.name;
  }
  *entries(): MapIterator<[string, HeldReservation]> {
    for (const v of this.source.values()) yield [v.name, v];
  }
  [Symbol.iterator](): MapIterator<[string, HeldReservation]> {
    return this.entries();
  }
  forEach(
    fn: (value: HeldReservation, key: string, map: ReadonlyMap<string, HeldReservation>) => void,
    thisArg?: unknown,
  ): void {
    for (const v of this.source.values()) fn.call(thisArg, v, v.name, this);
  }
}
