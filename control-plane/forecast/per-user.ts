/**
 * What a cycle knows per user besides demand: profile, reservation level (the user's tier
 * quantile, snapped to an output quantile), and the planned events touching the horizon.
 */
import type { DemandWindows } from '../domain/demand';
import type { UserProfile } from '../domain/user';
import type { ForecastContext } from './engine-types';
import { eventsFor, UserEvents } from './events';

export interface PerUser {
  profiles: (UserProfile | undefined)[];
  taus: Float32Array;
  userEvents: (UserEvents | undefined)[];
}

export function perUser(
  w: DemandWindows,
  ctx: ForecastContext,
  quantiles: readonly number[],
  defaultTau: number,
  originMs: number,
  horizon: number,
): PerUser {
  const U = w.users.length;
  const profiles = w.users.map((u) => ctx.profiles?.get(u));
  const taus = new Float32Array(U);
  for (let u = 0; u < U; u++) {
    const pre = ctx.reservationQuantiles?.[u];
    const want =
      pre !== undefined && !Number.isNaN(pre)
        ? pre
        : (ctx.reservationQuantile?.(w.users[u], profiles[u]) ?? defaultTau);
    let best = 0;
    for (let q = 1; q < quantiles.length; q++)
      if (Math.abs(quantiles[q] - want) < Math.abs(quantiles[best] - want)) best = q;
    taus[u] = quantiles[best];
  }
  const events = ctx.events ?? [];
  const userEvents = w.users.map((u, i) =>
    events.length ? eventsFor(events, u, profiles[i]?.tier ?? '', originMs, w.stepMs, horizon) : undefined,
  );
  return { profiles, taus, userEvents };
}
