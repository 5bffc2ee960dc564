/**
 * The /monitoring page's choices as URL search parameters (a GET form), validated with zod. Unlike
 * the cohort filters, a bad value is not dropped silently: a control chart drawn with other
 * settings than the ones asked for would mislead, so the page says which parameter is wrong and
 * what it accepts, and draws nothing until it is fixed.
 */
import { z } from 'zod';
import { DEFAULT_ALERT_CONFIG, type AlertConfig } from '../../core/spc';

export const MONITORING_METRICS = ['dice', 'fp', 'hd95'] as const;
export type MonitoringMetric = (typeof MONITORING_METRICS)[number];
export const MONITORING_CHARTS = ['shewhart', 'ewma', 'cusum'] as const;
export type MonitoringChartKind = (typeof MONITORING_CHARTS)[number];
export const MONITORING_SPLITS = ['none', 'institution', 'scanner', 'model', 'physician'] as const;
export type MonitoringSplit = (typeof MONITORING_SPLITS)[number];

/** What each metric is and how it was measured (the cohort page's default convention). */
export const METRIC_INFO: Record<MonitoringMetric, { label: string; unit: string; digits: number; convention: string }> = {
  dice: { label: 'ITV Dice', unit: '', digits: 3, convention: 'voxel overlap on the native CT grid' },
  fp: { label: 'ITV false-positive volume', unit: 'cc', digits: 2, convention: 'machine voxels outside the physician ITV, on the native CT grid' },
  hd95: { label: 'ITV HD95', unit: 'mm', digits: 1, convention: 'voxel-surface convention' },
};

export const SPLIT_LABELS: Record<MonitoringSplit, string> = {
  none: 'None (all studies)',
  institution: 'Institution',
  scanner: 'Scanner',
  model: 'Model version',
  physician: 'Physician',
};

export const CHART_LABELS: Record<MonitoringChartKind, string> = { shewhart: 'Shewhart (individuals)', ewma: 'EWMA', cusum: 'CUSUM (two-sided, tabular)' };

export const DEFAULT_BASELINE_STUDIES = 20;

export interface MonitoringQuery {
  metric: MonitoringMetric;
  chart: MonitoringChartKind;
  split: MonitoringSplit;
  /** The baseline: the first `baselineN` studies of each series, unless a date range is given. */
  baselineN: number;
  /** Baseline date range (YYYY-MM-DD, inclusive) on the dates the caller sees; either end may be open. */
  from: string | null;
  to: string | null;
  /** Shewhart and EWMA limits: centre ± L σ (the Shewhart limits use the same L). */
  L: number;
  lambda: number;
  /** CUSUM reference value and decision interval, in units of the baseline σ. */
  k: number;
  h: number;
}

/**
 * The page's defaults follow the alert configuration the worker evaluates with (its baseline and
 * each chart's parameters), so the chart a physicist opens is the one that raised the alerts. The
 * page has one L for its chart: the Shewhart L, or the EWMA L when the chart is EWMA.
 */
export function monitoringQueryDefaults(config: AlertConfig = DEFAULT_ALERT_CONFIG, chart: MonitoringChartKind = 'shewhart'): MonitoringQuery {
  return {
    metric: 'dice',
    chart,
    split: 'none',
    baselineN: config.baselineN,
    from: null,
    to: null,
    L: chart === 'ewma' ? config.ewma.L : config.shewhart.L,
    lambda: config.ewma.lambda,
    k: config.cusum.k,
    h: config.cusum.h,
  };
}

/** The defaults under the built-in alert configuration (version 0). */
export const DEFAULT_MONITORING_QUERY: MonitoringQuery = monitoringQueryDefaults();

export type SearchParams = Record<string, string | string[] | undefined>;

/** A real calendar day (2024-02-31 would otherwise reach Postgres and fail the page). */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'a calendar date that exists (YYYY-MM-DD)');
const num = (what: string, ok: (x: number) => boolean, range: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `${what}: a plain decimal number`)
    .transform(Number)
    .refine(ok, `${what}: ${range}`);

const schema = z.object({
  metric: z.enum(MONITORING_METRICS, `one of ${MONITORING_METRICS.join(', ')}`),
  chart: z.enum(MONITORING_CHARTS, `one of ${MONITORING_CHARTS.join(', ')}`),
  split: z.enum(MONITORING_SPLITS, `one of ${MONITORING_SPLITS.join(', ')}`),
  baseline: z
    .string()
    .trim()
    .regex(/^\d{1,6}$/, 'a whole number of studies (2 or more)')
    .transform(Number)
    .refine((x) => x >= 2, 'at least 2 studies'),
  from: day,
  to: day,
  L: num('L', (x) => x > 0 && x <= 10, 'greater than 0 and at most 10'),
  lambda: num('λ', (x) => x > 0 && x <= 1, 'greater than 0 and at most 1'),
  k: num('k', (x) => x >= 0 && x <= 10, 'from 0 to 10'),
  h: num('h', (x) => x > 0 && x <= 50, 'greater than 0 and at most 50'),
});
type Key = keyof typeof schema.shape;

/**
 * The query, or the list of problems ("lambda=2: λ: greater than 0 and at most 1"). An empty
 * parameter means its default; a repeated one counts by its first value.
 */
export function parseMonitoringQuery(
  sp: SearchParams,
  config: AlertConfig = DEFAULT_ALERT_CONFIG,
): { ok: true; query: MonitoringQuery } | { ok: false; problems: string[] } {
  const raw: Partial<Record<Key, string>> = {};
  for (const k of Object.keys(schema.shape) as Key[]) {
    const v = sp[k];
    const s = Array.isArray(v) ? v[0] : v;
    if (s !== undefined && s.trim() !== '') raw[k] = s.trim();
  }
  const r = schema.partial().safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const key = String(i.path[0]);
      return `${key}=${String(raw[key as Key] ?? '').slice(0, 40)}: expected ${i.message}`;
    });
    return { ok: false, problems };
  }
  const v = r.data;
  const d = monitoringQueryDefaults(config, v.chart ?? 'shewhart');
  const query: MonitoringQuery = {
    metric: v.metric ?? d.metric,
    chart: v.chart ?? d.chart,
    split: v.split ?? d.split,
    baselineN: v.baseline ?? d.baselineN,
    from: v.from ?? null,
    to: v.to ?? null,
    L: v.L ?? d.L,
    lambda: v.lambda ?? d.lambda,
    k: v.k ?? d.k,
    h: v.h ?? d.h,
  };
  if (query.from && query.to && query.from > query.to) {
    return { ok: false, problems: [`from=${query.from}, to=${query.to}: the baseline period is backwards; “from” must not be after “to”`] };
  }
  return { ok: true, query };
}

/**
 * A link that keeps the choices and changes `patch` (defaults left out, so links stay short). A
 * change of chart that keeps the old chart's default L takes the new chart's default L.
 */
export function monitoringHref(q: MonitoringQuery, patch: Partial<MonitoringQuery> = {}, config: AlertConfig = DEFAULT_ALERT_CONFIG): string {
  const m = { ...q, ...patch };
  const d = monitoringQueryDefaults(config, m.chart);
  if (patch.chart !== undefined && patch.L === undefined && q.L === monitoringQueryDefaults(config, q.chart).L) m.L = d.L;
  const p = new URLSearchParams();
  if (m.metric !== d.metric) p.set('metric', m.metric);
  if (m.chart !== DEFAULT_MONITORING_QUERY.chart) p.set('chart', m.chart);
  if (m.split !== d.split) p.set('split', m.split);
  if (m.baselineN !== d.baselineN) p.set('baseline', String(m.baselineN));
  if (m.from) p.set('from', m.from);
  if (m.to) p.set('to', m.to);
  if (m.L !== d.L) p.set('L', String(m.L));
  if (m.lambda !== d.lambda) p.set('lambda', String(m.lambda));
  if (m.k !== d.k) p.set('k', String(m.k));
  if (m.h !== d.h) p.set('h', String(m.h));
  const s = p.toString();
  return s ? `/monitoring?${s}` : '/monitoring';
}
