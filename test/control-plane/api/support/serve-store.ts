/**
 * A store ready for a real `earmark serve` to compute a plan at its first cycle: three ready
 * instances, the given users in the gold tier, and their last twenty minutes of usage.
 */
import { usageOf } from '../../../../control-plane/domain/usage';
import { Store, silentLogger } from '../../../../control-plane/store';
import * as seed from './seed';

export async function seedServeStore(o: {
  url: string;
  database: string;
  spoolDir: string;
  users: string[];
  now: number;
}): Promise<void> {
  const { now, users } = o;
  const store = await Store.open({
    url: o.url,
    database: o.database,
    spoolDir: o.spoolDir,
    log: silentLogger,
  });
  await store.schemaReady;
  const insts = seed.instances(3).map((i) => ({ ...i, instanceClass: 'standard' }));
  await store.writeInstances(insts, now - 30 * 60_000);
  await store.writeProfiles(users.map((user) => ({ user, tier: 'gold', updatedAtMs: now - 30 * 60_000 })));
  for (let m = 20; m >= 1; m--) {
    await store.writeUsage({
      nodeId: 'proxy-a',
      sequence: 21 - m,
      intervalStartMs: Math.floor(now / 60_000) * 60_000 - m * 60_000,
      intervalMs: 60_000,
      planVersion: '',
      users: users.map((user) => usageOf(user, { requests: 30, admitted: 30, peakInFlight: 2 })),
    });
  }
  await store.flush();
  await store.close();
}
