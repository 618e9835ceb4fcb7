/** Test helper: the reservation a cache entry holds (an entry is the reservation plus the cache's fields). */
import type { CacheEntry } from '../../../../control-plane/distribute/cache/reservation-cache';
import type { Reservation } from '../../../../control-plane/domain/reservation';

export function reservationOf(e: CacheEntry): Reservation {
  const {
    name: _n,
    version: _v,
    revision: _r,
    fieldBytes: _b,
    fieldStart: _s,
    fieldEnd: _e,
    live: _l,
    ...reservation
  } = e;
  return reservation;
}
