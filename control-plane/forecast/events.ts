/**
 * Planned events (control-plane/domain/event.ts) in a forecast: flags for the model's `events`
 * input, and the multiplier the engine applies to the steps an event covers. History before an
 * event is normal demand, so steps inside an event not yet started are multiplied; once it runs,
 * history already shows it, so only steps after its end are divided back.
 */
import type { DemandEvent } from '../domain/event';
import { eventAffects } from '../domain/event';

export interface UserEvents {
  /** Per forecast step (h = 0..H-1), the factor to apply. */
  factor: Float32Array;
  now: boolean;
  soon: boolean;
}

/** The events touching this user's horizon, or undefined when none does (the common case). */
export function eventsFor(
  events: readonly DemandEvent[],
  user: string,
  tier: string,
  originMs: number,
  stepMs: number,
  horizon: number,
): UserEvents | undefined {
  let res: UserEvents | undefined;
  const endMs = originMs + horizon * stepMs;
  for (const e of events) {
    if (e.endMs <= originMs - stepMs || e.startMs >= endMs || !(e.multiplier > 0)) continue;
    if (!eventAffects(e, user, tier)) continue;
    res ??= { factor: new Float32Array(horizon).fill(1), now: false, soon: false };
    const running = e.startMs < originMs && e.endMs > originMs - stepMs;
    if (running) res.now = true;
    else res.soon = true;
    for (let h = 0; h < horizon; h++) {
      const t = originMs + h * stepMs;
      const inside = t >= e.startMs && t < e.endMs;
      if (!running && inside) res.factor[h] *= e.multiplier;
      if (running && t >= e.endMs) res.factor[h] /= e.multiplier;
    }
  }
  return res;
}
