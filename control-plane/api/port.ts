/**
 * The port behind the HTTP API: everything a route may ask of the control plane, as small role
 * interfaces (go-control-plane style). The service implements `ControlPlaneState` over the store,
 * the allocator's current plan and the distribution server; tests use an in-memory double. Inputs
 * reaching these methods have already been validated against the OpenAPI document.
 */
import type { ResourceKind } from '../domain/demand';
import type { DemandEvent } from '../domain/event';
import type { Instance, InstanceLoad } from '../domain/instance';
import type { Plan, ScalingRecommendation } from '../domain/plan';
import type { Reservation } from '../domain/reservation';
import type { UserProfile } from '../domain/user';

/** Thrown by an implementation when a dependency (InfluxDB, the cycle) cannot answer: 503. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: string,
    message: string,
  ) {
    super(message);
    this.name = 'DependencyUnavailableError';
  }
}

export interface Page<T> {
  items: T[];
  /** Cursor for the next page (pass as `after`); absent on the last page. */
  next?: string;
}

export interface TimeRange {
  fromMs: number;
  /** Exclusive. */
  toMs: number;
}

export interface ProfileStore {
  /** Ordered by user id; `after` is exclusive. */
  listUsers(q: { limit: number; after?: string; tier?: string }): Promise<Page<UserProfile>>;
  getUser(user: string): Promise<UserProfile | undefined>;
  putUser(profile: UserProfile): Promise<void>;
  /** False when there was no such user. */
  deleteUser(user: string): Promise<boolean>;
}

/** A policy document as the allocator's schema defines it (opaque to the port). */
export type PolicyDocument = Record<string, unknown>;

export interface PolicyVersion {
  /** 1, 2, 3, ... — each change appends the next one. */
  version: number;
  policy: PolicyDocument;
  createdAtMs: number;
  /** Who or what made the change (token name, "policyFile", ...). */
  author?: string;
  /** The YAML text as submitted (comments and layout kept), when the change was a YAML document. */
  source?: string;
  comment?: string;
}

export interface PolicyStore {
  currentPolicy(): Promise<PolicyVersion | undefined>;
  getPolicyVersion(version: number): Promise<PolicyVersion | undefined>;
  /** Newest first; `before` is an exclusive version bound. */
  listPolicyVersions(q: { limit: number; before?: number }): Promise<PolicyVersion[]>;
  /**
   * Appends `next`, which must be exactly current + 1 (1 when there is none). Returns false, and
   * changes nothing, when another version got there first: a compare-and-set, so two writers can
   * never both win even if the API's own serialization is bypassed.
   */
  appendPolicyVersion(next: PolicyVersion): Promise<boolean>;
}

export interface EventStore {
  /** Events overlapping the range (all when absent), ordered by start. */
  listEvents(range?: TimeRange): Promise<DemandEvent[]>;
  getEvent(id: string): Promise<DemandEvent | undefined>;
  putEvent(event: DemandEvent): Promise<void>;
  deleteEvent(id: string): Promise<boolean>;
}

/** One forecast value per quantile for one step, from the latest forecast issued before the step. */
export interface ForecastPoint {
  atMs: number;
  issuedAtMs: number;
  /** values[i] is the forecast at quantiles[i]. */
  values: number[];
}

export interface ForecastSeries {
  user: string;
  resource: ResourceKind;
  stepMs: number;
  quantiles: number[];
  points: ForecastPoint[];
  /** Model that produced the latest forecast. */
  model?: string;
}

/** Per step, what the proxies decided (sums over proxies; for decisions(), also over users). */
export interface DecisionPoint {
  atMs: number;
  requests: number;
  /** Admitted on a reservation. */
  reserved: number;
  queued: number;
  redirected: number;
  throttled: number;
  /** Requests from users with no reservation at all. */
  unreserved: number;
  shortfall: number;
  peakInFlight: number;
}

/** The summed counters of a DecisionPoint (peakInFlight is a max, atMs the step). */
export const DECISION_COUNTERS = [
  'requests',
  'reserved',
  'queued',
  'redirected',
  'throttled',
  'unreserved',
  'shortfall',
] as const;

export interface DemandReader {
  forecast(user: string, resource: ResourceKind, range: TimeRange): Promise<ForecastSeries | undefined>;
  /** A user's actual usage per step (zeros where idle). */
  usage(user: string, range: TimeRange, stepMs: number): Promise<DecisionPoint[]>;
  /** All users' decisions per step. */
  decisions(range: TimeRange, stepMs: number): Promise<DecisionPoint[]>;
}

export interface PlanView {
  currentPlan(): Promise<Plan | undefined>;
  reservation(user: string): Promise<Reservation | undefined>;
}

export interface InstanceRegistry {
  listInstances(): Promise<Instance[]>;
  getInstance(id: string): Promise<Instance | undefined>;
  putInstance(instance: Instance): Promise<void>;
  deleteInstance(id: string): Promise<boolean>;
  reportLoad(samples: InstanceLoad[]): Promise<void>;
  /** Samples of one instance in the range, oldest first. */
  instanceLoad(id: string, range: TimeRange): Promise<InstanceLoad[]>;
}

export interface ScalingView {
  /** The current recommendations (normally the current plan's). */
  scaling(): Promise<{ planVersion?: string; issuedAtMs?: number; recommendations: ScalingRecommendation[] }>;
}

export interface ProxyStatus {
  nodeId: string;
  connected: boolean;
  /** Plan version the proxy last ACKed. */
  ackedVersion?: string;
  /** Revisions published since that ACK, and how long ago the oldest unacked one was. */
  revisionsBehind: number;
  secondsBehind: number;
  lastAckAtMs?: number;
  nacks: number;
  lastNack?: string;
}

export interface ProxyView {
  proxies(): Promise<ProxyStatus[]>;
}

export interface DependencyCheck {
  /** "store", "plan", "distribution", ... */
  name: string;
  ok: boolean;
  detail?: string;
  /**
   * A failure that degrades the service without stopping it serving: e.g. InfluxDB or a cycle
   * failing while the last plan stays in force. It does not make the process unready, since an
   * unready control plane is taken out of its Service and the proxies could not reconnect to the
   * plan it still serves.
   */
  degradesOnly?: boolean;
}

export interface Readiness {
  /** One entry per dependency; ready when every one is ok or only degrades. Must not throw. */
  readiness(): Promise<DependencyCheck[]>;
}

/** One cycle's report (control-plane/service's CycleReport narrows it). */
export interface CycleReportView {
  /** 1, 2, 3, ... per run (skipped ticks are not numbered). */
  cycle: number;
  /** The service clock's time when the cycle started (simulated time under a SimClock). */
  startedAtMs: number;
  /** End of the last demand step the cycle read; the forecast's first step starts here. */
  originMs: number;
  ok: boolean;
  /** The stage that failed, and why (absent when ok). */
  failedStage?: string;
  error?: string;
  /** Stages that ran, in order, with their processing time in real milliseconds. */
  stages: { stage: string; ms: number }[];
  /** Real milliseconds for the whole cycle. */
  totalMs: number;
  /** Users forecast, users holding something, users squeezed by capacity. */
  users: number;
  reserved: number;
  squeezed: number;
  instancesUsed: number;
  policyVersion?: string;
  /** The plan this cycle published (absent when it failed before publishing). */
  planVersion?: string;
  published?: { updated: number; removed: number; unchanged: number };
  /** Forecast users per model (the chooser's pick), when the forecast ran. */
  models?: Record<string, number>;
}

/** The cycle's state and counters (control-plane/service's CycleStatus narrows it). */
export interface CycleStatusView {
  state: 'idle' | 'running' | 'stopped';
  intervalMs: number;
  /** Cycles that ran (ok + failed), and ticks skipped because a cycle was still running. */
  runs: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** When the next tick is due (service clock). */
  nextAtMs?: number;
  /** The plan in force (the last one published, with top-ups). */
  planVersion?: string;
  last?: CycleReportView;
  lastSuccess?: CycleReportView;
  /** Shortfall top-ups between cycles: flags seen (one per user per report), outcomes, publishes. */
  topUps: {
    requested: number;
    granted: number;
    partial: number;
    refused: number;
    publishes: number;
    lastReason?: string;
  };
}

/** What a cycle runner offers the API; the service's Cycle satisfies it. */
export interface CycleRunner {
  status(): CycleStatusView;
  /** The last `n` reports, newest first. */
  recent(n: number): CycleReportView[];
  /** Starts a cycle now; undefined when one is running (that attempt is counted as skipped). */
  trigger(): Promise<CycleReportView> | undefined;
}

export interface CycleControl {
  /** The cycle of this process, or undefined when none runs here (an API-only process). */
  cycleRunner(): CycleRunner | undefined;
}

export interface ControlPlaneState
  extends
    ProfileStore,
    PolicyStore,
    EventStore,
    DemandReader,
    PlanView,
    InstanceRegistry,
    ScalingView,
    ProxyView,
    CycleControl,
    Readiness {}
