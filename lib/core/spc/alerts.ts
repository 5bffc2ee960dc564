/**
 * Drift alerts (pure): the stored monitoring configuration (which series and charts are watched,
 * with which parameters) and, for one series, the points where a chart goes out of control.
 * Definitions and why the defaults: docs/monitoring.md ("Alerts").
 *
 * An alert is raised at the first point of each excursion beyond a chart's limits (the point is
 * out of control and the one before it is not), never inside the baseline (the first
 * `baselineN` points, which estimate μ and σ). So a chart that stays out of control for ten
 * studies raises one alert, and points already evaluated keep their alerts when a later study
 * is added (the statistics of a point depend only on the points before it).
 */
import { z } from 'zod';
import { estimateBaseline, type SpcBaseline } from './baseline';
import { cusumChart, ewmaChart, shewhartChart } from './charts';
import { SpcError } from './errors';

export const ALERT_METRICS = ['dice', 'fp', 'hd95'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];
/** Physician is not a watched split: its values are names (identifiers) and its series are short. */
export const ALERT_SPLITS = ['none', 'institution', 'scanner', 'model'] as const;
export type AlertSplit = (typeof ALERT_SPLITS)[number];
export const ALERT_CHARTS = ['shewhart', 'ewma', 'cusum'] as const;
export type AlertChart = (typeof ALERT_CHARTS)[number];

export interface AlertConfig {
  metrics: AlertMetric[];
  splits: AlertSplit[];
  /** The baseline: the first `baselineN` points of each series (at least 2). */
  baselineN: number;
  shewhart: { enabled: boolean; L: number };
  ewma: { enabled: boolean; lambda: number; L: number };
  cusum: { enabled: boolean; k: number; h: number };
}

/**
 * Shewhart 3σ (in-control ARL 370), EWMA λ 0.2 with L 2.86 (in-control ARL ≈ 371, the same false
 * alarm rate as the Shewhart chart, and a 1σ shift found after ≈ 10 points instead of ≈ 44),
 * CUSUM k 0.5, h 5 (in-control ARL ≈ 465, 1σ shift ≈ 10 points); ITV Dice, FP cc and HD95,
 * overall and per institution; baseline the first 20 studies of each series.
 */
export const DEFAULT_ALERT_CONFIG: AlertConfig = {
  metrics: ['dice', 'fp', 'hd95'],
  splits: ['none', 'institution'],
  baselineN: 20,
  shewhart: { enabled: true, L: 3 },
  ewma: { enabled: true, lambda: 0.2, L: 2.86 },
  cusum: { enabled: true, k: 0.5, h: 5 },
};

const num = (what: string, lo: number, hi: number, loOpen: boolean) =>
  z.coerce
    .number(`${what} must be a number`)
    .refine(
      (x) => Number.isFinite(x) && (loOpen ? x > lo : x >= lo) && x <= hi,
      `${what} must be ${loOpen ? 'greater than' : 'at least'} ${lo} and at most ${hi}`,
    );
const bool = z.union([z.boolean(), z.enum(['true', 'false', 'on']).transform((s) => s !== 'false')]);

const schema = z.object({
  metrics: z.array(z.enum(ALERT_METRICS, `metrics: each one of ${ALERT_METRICS.join(', ')}`)).min(1, 'metrics: choose at least one metric'),
  splits: z.array(z.enum(ALERT_SPLITS, `splits: each one of ${ALERT_SPLITS.join(', ')}`)).min(1, 'splits: choose at least one split'),
  baselineN: z.coerce
    .number('baselineN must be a number')
    .refine((x) => Number.isInteger(x) && x >= 2 && x <= 100_000, 'baselineN (baseline studies) must be a whole number from 2 to 100000'),
  shewhart: z.object({ enabled: bool, L: num('Shewhart L', 0, 10, true) }),
  ewma: z.object({ enabled: bool, lambda: num('EWMA λ', 0, 1, true), L: num('EWMA L', 0, 10, true) }),
  cusum: z.object({ enabled: bool, k: num('CUSUM k', 0, 10, false), h: num('CUSUM h', 0, 50, true) }),
});

/**
 * A configuration from untrusted input (a form, a stored Json), duplicates removed.
 * @throws SpcError naming the field and what it accepts.
 */
export function parseAlertConfig(input: unknown): AlertConfig {
  const r = schema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const where = i.path.length ? i.path.join('.') : 'configuration';
    throw new SpcError(`Monitoring configuration: ${i.message.includes(' ') ? i.message : `${where}: ${i.message}`} (field ${where})`);
  }
  const v = r.data;
  return {
    ...v,
    metrics: ALERT_METRICS.filter((m) => v.metrics.includes(m)),
    splits: ALERT_SPLITS.filter((s) => v.splits.includes(s)),
  };
}

export interface AlertPoint {
  /** 0-based index of the point in the series. */
  index: number;
  chart: AlertChart;
  value: number;
  /** The value (Shewhart), the EWMA statistic z, or C+ / C− (CUSUM, in σ units). */
  statistic: number;
  /** The limit it crossed (UCL or LCL; h for CUSUM). */
  limit: number;
  direction: 'up' | 'down';
}

export type SeriesAlerts =
  | { status: 'ok'; baseline: SpcBaseline; alerts: AlertPoint[] }
  /** Too few points for the baseline, or a baseline without variation: nothing can be judged yet. */
  | { status: 'no-baseline'; reason: string; alerts: [] };

interface Flagged {
  out: boolean;
  statistic: number;
  limit: number;
  direction: 'up' | 'down';
}

function excursionStarts(chart: AlertChart, values: readonly number[], flagged: Flagged[], baselineN: number): AlertPoint[] {
  const out: AlertPoint[] = [];
  for (let i = baselineN; i < flagged.length; i++) {
    const f = flagged[i]!;
    if (!f.out) continue;
    const prev = flagged[i - 1];
    // A new excursion: the point before was in control, or went out the other way.
    if (i === baselineN || !prev!.out || prev!.direction !== f.direction) {
      out.push({ index: i, chart, value: values[i]!, statistic: f.statistic, limit: f.limit, direction: f.direction });
    }
  }
  return out;
}

/**
 * The alerts of one series (values in time order) under `config`: for each enabled chart, the
 * first point of every excursion beyond its limits after the baseline, ordered by index then chart.
 */
export function evaluateSeriesAlerts(values: readonly number[], config: AlertConfig): SeriesAlerts {
  const n = config.baselineN;
  if (values.length <= n) {
    return { status: 'no-baseline', reason: `the series has ${values.length} points; alerts start after the ${n} baseline points`, alerts: [] };
  }
  let baseline: SpcBaseline;
  try {
    baseline = estimateBaseline(values.slice(0, n));
  } catch (e) {
    if (e instanceof SpcError) return { status: 'no-baseline', reason: e.message, alerts: [] };
    throw e;
  }
  const alerts: AlertPoint[] = [];
  if (config.shewhart.enabled) {
    const pts = shewhartChart(values, baseline, { L: config.shewhart.L });
    const f = pts.map(
      (p) => ({ out: p.outOfControl, statistic: p.value, limit: p.value > p.ucl ? p.ucl : p.lcl, direction: p.value > p.ucl ? 'up' : 'down' }) as const,
    );
    alerts.push(...excursionStarts('shewhart', values, f, n));
  }
  if (config.ewma.enabled) {
    const pts = ewmaChart(values, baseline, { lambda: config.ewma.lambda, L: config.ewma.L });
    const f = pts.map(
      (p) =>
        ({ out: p.outOfControl, statistic: p.statistic, limit: p.statistic > p.ucl ? p.ucl : p.lcl, direction: p.statistic > p.ucl ? 'up' : 'down' }) as const,
    );
    alerts.push(...excursionStarts('ewma', values, f, n));
  }
  if (config.cusum.enabled) {
    const pts = cusumChart(values, baseline, { k: config.cusum.k, h: config.cusum.h });
    const f = pts.map((p) => {
      const up = p.direction !== 'down';
      return { out: p.outOfControl, statistic: up ? p.upper : p.lower, limit: p.h, direction: up ? 'up' : 'down' } as const;
    });
    alerts.push(...excursionStarts('cusum', values, f, n));
  }
  alerts.sort((a, b) => a.index - b.index || ALERT_CHARTS.indexOf(a.chart) - ALERT_CHARTS.indexOf(b.chart));
  return { status: 'ok', baseline, alerts };
}
