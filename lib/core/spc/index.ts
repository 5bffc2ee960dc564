/**
 * lib/core/spc: statistical process control for per-study agreement series (pure).
 * Definitions, defaults and checks against R: docs/monitoring.md ("Statistics").
 */
export { SpcError } from './errors';
export { estimateBaseline, D2_MOVING_RANGE, type SpcBaseline } from './baseline';
export {
  shewhartChart,
  ewmaChart,
  cusumChart,
  SHEWHART_DEFAULT_L,
  EWMA_DEFAULT_LAMBDA,
  EWMA_DEFAULT_L,
  CUSUM_DEFAULT_K,
  CUSUM_DEFAULT_H,
  type ShewhartPoint,
  type EwmaPoint,
  type CusumPoint,
} from './charts';
export { ewmaArl, cusumArl, shewhartArl, ewmaCriticalL, cusumCriticalH, MAX_RELIABLE_ARL } from './arl';
export {
  evaluateSeriesAlerts,
  parseAlertConfig,
  DEFAULT_ALERT_CONFIG,
  ALERT_METRICS,
  ALERT_SPLITS,
  ALERT_CHARTS,
  type AlertConfig,
  type AlertMetric,
  type AlertSplit,
  type AlertChart,
  type AlertPoint,
  type SeriesAlerts,
} from './alerts';
