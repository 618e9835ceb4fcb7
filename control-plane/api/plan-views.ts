/**
 * Read-only views of a plan for the API: a summary, reservations totalled per instance, and pages
 * of reservations in user order. The sorted user list is computed once per plan object.
 */
import type { Capacity, Instance } from '../domain/instance';
import type { Plan } from '../domain/plan';
import type { Reservation } from '../domain/reservation';
import type { Page } from './port';

const zero = (): Capacity => ({ slots: 0, cpuMillicores: 0, memoryMb: 0, bandwidthKbps: 0 });

function add(into: Capacity, r: Reservation): void {
  into.slots += r.slots;
  into.cpuMillicores += r.cpuMillicores;
  into.memoryMb += r.memoryMb;
  into.bandwidthKbps += r.bandwidthKbps;
}

export function summarizePlan(plan: Plan) {
  const reserved = zero();
  const instances = new Set<string>();
  for (const r of plan.reservations.values()) {
    add(reserved, r);
    instances.add(r.instanceId);
  }
  return {
    version: plan.version,
    issuedAtMs: plan.issuedAtMs,
    users: plan.reservations.size,
    instances: instances.size,
    reserved,
    squeezedCount: plan.squeezed.length,
    squeezed: plan.squeezed.slice(0, 100),
    scaling: plan.scaling,
  };
}

/** Per instance: users and capacity reserved, next to its capacity when the instance is registered. */
export function reservationsPerInstance(plan: Plan, instances: readonly Instance[]) {
  const byId = new Map<string, { users: number; reserved: Capacity }>();
  for (const r of plan.reservations.values()) {
    let e = byId.get(r.instanceId);
    if (!e) byId.set(r.instanceId, (e = { users: 0, reserved: zero() }));
    e.users++;
    add(e.reserved, r);
  }
  const capacity = new Map(instances.map((i) => [i.id, i.capacity]));
  // Registered instances with nothing reserved are listed too: idle capacity is worth seeing.
  for (const i of instances) if (!byId.has(i.id)) byId.set(i.id, { users: 0, reserved: zero() });
  const items = [...byId]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([instanceId, e]) => ({
      instanceId,
      ...e,
      ...(capacity.has(instanceId) && { capacity: capacity.get(instanceId) }),
    }));
  return { planVersion: plan.version, items };
}

const sortedUsers = new WeakMap<Plan, string[]>();

function usersOf(plan: Plan): string[] {
  let users = sortedUsers.get(plan);
  if (!users) sortedUsers.set(plan, (users = [...plan.reservations.keys()].sort()));
  return users;
}

/** First index whose user sorts after `after`. */
function startAfter(users: string[], after: string | undefined): number {
  if (after === undefined) return 0;
  let lo = 0;
  let hi = users.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (users[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function pageReservations(
  plan: Plan,
  q: { limit: number; after?: string; instance?: string },
): Page<Reservation> {
  const users = usersOf(plan);
  const items: Reservation[] = [];
  let i = startAfter(users, q.after);
  for (; i < users.length && items.length < q.limit; i++) {
    const r = plan.reservations.get(users[i])!;
    if (q.instance === undefined || r.instanceId === q.instance) items.push(r);
  }
  // Scan on to see whether any matching reservation remains, so the last page has no cursor.
  let more = false;
  for (let j = i; j < users.length && !more; j++) {
    more = q.instance === undefined || plan.reservations.get(users[j])!.instanceId === q.instance;
  }
  return { items, ...(more && items.length && { next: items[items.length - 1].user }) };
}
