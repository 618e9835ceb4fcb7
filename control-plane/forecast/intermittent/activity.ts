/**
 * From gap hazards to P(active at each step ahead), by renewal: the current gap (already `age`
 * steps old) ends at some step j, and from there activity recurs with the renewal density r.
 * This is where the hybrid histogram policy's pre-warm and keep-alive windows become one curve:
 * P(active) rises where gaps usually end and falls where they rarely last.
 */
export type HazardFn = (gap: number) => number;

// Hazards evaluated by activityAhead, reused across calls (single-threaded, never re-entered).
let hazardsOfAge = new Float64Array(16);
let hazardsFresh = new Float64Array(16);

/**
 * Writes out[h] = P(active at step h ahead), h = 0..horizon-1, given that the last active step was
 * `age` steps before the first forecast step's predecessor (age 0: the last step was active).
 * `scratch` needs 3 * horizon entries.
 */
export function activityAhead(
  hazard: HazardFn,
  age: number,
  horizon: number,
  out: Float64Array,
  scratch: Float64Array,
): void {
  if (hazardsOfAge.length < horizon) {
    hazardsOfAge = new Float64Array(horizon);
    hazardsFresh = new Float64Array(horizon);
  }
  const ofAge = hazardsOfAge;
  const fresh = hazardsFresh;
  for (let j = 0; j < horizon; j++) ofAge[j] = hazard(age + 1 + j);
  for (let k = 1; k < horizon; k++) fresh[k] = hazard(k);
  activityFromHazards(ofAge, fresh, horizon, out, scratch);
}

/**
 * The same from hazards already evaluated: ofAge[j] = hazard(age + 1 + j) for j < horizon, and
 * fresh[k] = hazard(k) for 1 <= k < horizon. `scratch` needs 3 * horizon entries (the batch path,
 * batch.ts, computes hazards without a closure per series).
 */
export function activityFromHazards(
  ofAge: ArrayLike<number>,
  fresh: ArrayLike<number>,
  horizon: number,
  out: Float64Array,
  scratch: Float64Array,
): void {
  const first = scratch.subarray(0, horizon); // P(current gap ends at step j)
  const renew = scratch.subarray(horizon, 2 * horizon); // P(active k steps after an active step)
  const gapPmf = scratch.subarray(2 * horizon, 3 * horizon); // P(a fresh gap lasts exactly k steps)
  let surv = 1;
  for (let j = 0; j < horizon; j++) {
    const h = ofAge[j];
    first[j] = surv * h;
    surv *= 1 - h;
  }
  let fr = 1;
  gapPmf[0] = 0;
  for (let k = 1; k < horizon; k++) {
    const h = fresh[k];
    gapPmf[k] = fr * h;
    fr *= 1 - h;
  }
  renew[0] = 1;
  for (let k = 1; k < horizon; k++) {
    let s = 0;
    for (let j = 1; j <= k; j++) s += gapPmf[j] * renew[k - j];
    renew[k] = s;
  }
  for (let h = 0; h < horizon; h++) {
    let s = 0;
    for (let j = 0; j <= h; j++) s += first[j] * renew[h - j];
    out[h] = s > 1 ? 1 : s;
  }
}
