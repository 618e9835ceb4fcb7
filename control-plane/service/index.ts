/** control-plane/service: the cycle and the composition of the whole service. See README.md. */
export {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
  type ServiceStatus,
} from './control-plane';
export { Cycle, type CycleOptions } from './cycle';
export { CycleStages, originOf, type CycleStore, type PlanPublisher, type ForecastRecording } from './stages';
export { STAGES, type StageName, type CycleReport, type CycleStatus, type TopUpCounts } from './status';
export { ShortfallTopUp } from './top-up';
export { PolicySource, DEFAULT_POLICY_FILE } from './policy-source';
export { InfluxUnavailableAtStartError, waitForInflux } from './influx-wait';
export { leveledLogger } from './logger';
