/**
 * Simulated companion instances for the demo and end-to-end runs: a few instances that register with
 * the control plane, serve the requests the filter routes to them (a request takes its user's
 * service time, stretched when the instance holds more requests than it has slots), and report
 * their load. Requests routed nowhere in particular (unreserved, redirected, fail-open) go to a
 * shared fallback pool that is slower: `fallbackSlowdown` is a modelling choice, not a measurement.
 */
import type { Capacity, Instance, InstanceLoad } from '../../control-plane/domain/instance';

export interface CompanionOptions {
  count: number;
  capacity: Capacity;
  instanceClass?: string;
  /** Address of instance i (default 10.42.0.<i+1>:8080). */
  addressOf?: (i: number) => string;
  /** Service time multiplier in the shared fallback pool (default 1.5). */
  fallbackSlowdown?: number;
  /** CPU a request in flight uses, millicores (default 100). */
  cpuPerRequest?: number;
}

/** What an instance registry must offer (the API's ControlPlaneState, or an HTTP client of it). */
export interface InstanceRegistryPort {
  putInstance(i: Instance): Promise<void>;
  reportLoad(samples: InstanceLoad[]): Promise<void>;
}

export interface Serving {
  /** Instance id, or "fallback". */
  instance: string;
  serviceMs: number;
  memoryMb: number;
}

interface InstanceState {
  inFlight: number;
  memoryMb: number;
  served: number;
}

export class CompanionInstances {
  readonly instances: Instance[];
  private readonly byAddress = new Map<string, string>();
  private readonly state = new Map<string, InstanceState>();
  private readonly fallback: InstanceState = { inFlight: 0, memoryMb: 0, served: 0 };

  constructor(private readonly o: CompanionOptions) {
    const addressOf = o.addressOf ?? ((i: number) => `10.42.0.${i + 1}:8080`);
    this.instances = Array.from({ length: o.count }, (_, i) => ({
      id: `companion-${i + 1}`,
      address: addressOf(i),
      instanceClass: o.instanceClass ?? 'standard',
      capacity: { ...o.capacity },
      state: 'ready' as const,
    }));
    for (const i of this.instances) {
      this.byAddress.set(i.address, i.id);
      this.state.set(i.id, { inFlight: 0, memoryMb: 0, served: 0 });
    }
  }

  async register(registry: InstanceRegistryPort, nowMs: number): Promise<void> {
    for (const i of this.instances) await registry.putInstance({ ...i, readyAtMs: nowMs });
  }

  /** A request starts on `target` (host:port the filter chose; undefined = the route's default). */
  begin(target: string | undefined, serviceMs: number, memoryMb: number): Serving {
    const id = target === undefined ? undefined : this.byAddress.get(target);
    const st = id === undefined ? this.fallback : this.state.get(id)!;
    st.inFlight++;
    st.memoryMb += memoryMb;
    st.served++;
    const slots = id === undefined ? Infinity : this.instances.find((i) => i.id === id)!.capacity.slots;
    const crowding = Math.max(1, st.inFlight / slots);
    const slowdown = id === undefined ? (this.o.fallbackSlowdown ?? 1.5) : 1;
    return { instance: id ?? 'fallback', serviceMs: Math.round(serviceMs * crowding * slowdown), memoryMb };
  }

  end(s: Serving): void {
    const st = s.instance === 'fallback' ? this.fallback : this.state.get(s.instance)!;
    st.inFlight--;
    st.memoryMb -= s.memoryMb;
  }

  /** Requests served so far per instance id (and "fallback"). */
  served(): Record<string, number> {
    const out: Record<string, number> = { fallback: this.fallback.served };
    for (const [id, st] of this.state) out[id] = st.served;
    return out;
  }

  /** A load sample per instance, as a load reporter would send it. */
  load(nowMs: number): InstanceLoad[] {
    const cpu = this.o.cpuPerRequest ?? 100;
    return this.instances.map((i) => {
      const st = this.state.get(i.id)!;
      return {
        instanceId: i.id,
        atMs: nowMs,
        cpuMillicores: st.inFlight * cpu,
        memoryMb: st.memoryMb,
        bandwidthKbps: 0,
        inFlight: st.inFlight,
      };
    });
  }
}
