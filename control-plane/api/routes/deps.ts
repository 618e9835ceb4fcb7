/** What the route handlers are built from. */
import type { PolicyModel } from '../policy-model';
import type { ControlPlaneState } from '../port';
import type { KeyedMutex } from '../serialize';

export interface RouteDeps {
  state: ControlPlaneState;
  policy: PolicyModel;
  /** The service's clock (a SimClock when replaying). */
  now(): number;
  /** Serializes read-check-write sequences per key. */
  mutex: KeyedMutex;
  newId(): string;
}
