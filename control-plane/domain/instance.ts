/** Companion instances: where users' capacity is held. */
export interface Capacity {
  slots: number;
  cpuMillicores: number;
  memoryMb: number;
  bandwidthKbps: number;
}

export type InstanceState = 'warming' | 'ready' | 'draining';

export interface Instance {
  id: string;
  /** host:port the filter routes to. */
  address: string;
  /** Instance class from the policy (its cost and default capacity). */
  instanceClass: string;
  capacity: Capacity;
  state: InstanceState;
  /** When it became (or will become) ready, epoch ms. */
  readyAtMs?: number;
}

/** Live load an instance reports (through the API or line protocol), epoch ms. */
export interface InstanceLoad {
  instanceId: string;
  atMs: number;
  cpuMillicores: number;
  memoryMb: number;
  bandwidthKbps: number;
  inFlight: number;
}
