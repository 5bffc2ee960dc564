/**
 * From the studies in time order to the control charts the page draws (pure; the statistics are
 * lib/core/spc): the studies split into series, each series' baseline (its first N studies, or
 * those whose date lies in the chosen period), the chart's statistic and limits per study, the
 * studies beyond the limits, and where the model version or the scanner changes.
 */
import { cusumChart, estimateBaseline, ewmaChart, shewhartChart, SpcError, type SpcBaseline } from '../../core/spc';
import type { MonitoringStudy } from './find-monitoring-studies';
import type { MonitoringMetric, MonitoringQuery } from './monitoring-query';

/** One study on a chart. For CUSUM, `statistic` is C+ and `lower` is −C− (both in σ units). */
export interface ChartPoint {
  /** 1-based position in the series. */
  n: number;
  studyId: string;
  pseudonym: string;
  studyDate: string | null;
  value: number;
  statistic: number;
  lower: number | null;
  centre: number;
  lcl: number;
  ucl: number;
  outOfControl: boolean;
  /** 'up' (above the upper limit) or 'down'; null when in control. */
  direction: 'up' | 'down' | null;
  inBaseline: boolean;
  model: string;
  scanner: string | null;
}

/** Where the model version or the scanner differs from the study before (`n` is the first study after the change). */
export interface ChangeMarker {
  n: number;
  kind: 'model' | 'scanner';
  label: string;
}

export type SeriesChart =
  | { status: 'ok'; baseline: SpcBaseline; points: ChartPoint[]; markers: ChangeMarker[] }
  /** The baseline cannot be estimated (fewer than 2 studies, or no variation): `message` says why and what to choose. */
  | { status: 'no-baseline'; baselineStudies: number; message: string; markers: ChangeMarker[] };

export interface SeriesResult {
  /** The split value ("All studies" without a split). */
  label: string;
  /** Studies of the series with a value of the metric. */
  studies: number;
  /** Studies of the series without a value (e.g. Dice undefined, physician ITV missing). */
  withoutValue: number;
  chart: SeriesChart;
}

const METRIC_FIELD: Record<MonitoringMetric, 'itvDice' | 'itvFpCc' | 'itvHd95Mm'> = { dice: 'itvDice', fp: 'itvFpCc', hd95: 'itvHd95Mm' };

function splitKey(s: MonitoringStudy, split: MonitoringQuery['split']): { key: string; label: string } {
  switch (split) {
    case 'none':
      return { key: '', label: 'All studies' };
    case 'institution':
      return { key: s.institutionId, label: s.institution };
    case 'scanner':
      return { key: s.scanner ?? '', label: s.scanner ?? 'Scanner not recorded' };
    case 'model':
      return { key: s.modelVersionId, label: s.model };
    case 'physician':
      return { key: s.physician ?? '', label: s.physician ?? 'Physician not recorded' };
  }
}

/** The 0-based indices of a series' baseline. */
function baselineIndices(series: readonly MonitoringStudy[], q: MonitoringQuery): number[] {
  if (q.from || q.to) {
    const out: number[] = [];
    series.forEach((s, i) => {
      if (s.studyDate !== null && (!q.from || s.studyDate >= q.from) && (!q.to || s.studyDate <= q.to)) out.push(i);
    });
    return out;
  }
  return series.slice(0, q.baselineN).map((_, i) => i);
}

function changeMarkers(series: readonly MonitoringStudy[]): ChangeMarker[] {
  const out: ChangeMarker[] = [];
  for (let i = 1; i < series.length; i++) {
    const [a, b] = [series[i - 1]!, series[i]!];
    if (a.modelVersionId !== b.modelVersionId) out.push({ n: i + 1, kind: 'model', label: `Model ${b.model}` });
    if ((a.scanner ?? '') !== (b.scanner ?? '')) out.push({ n: i + 1, kind: 'scanner', label: `Scanner ${b.scanner ?? 'not recorded'}` });
  }
  return out;
}

function chartSeries(series: MonitoringStudy[], q: MonitoringQuery): SeriesChart {
  const field = METRIC_FIELD[q.metric];
  const values = series.map((s) => s[field]!);
  const markers = changeMarkers(series);
  const idx = baselineIndices(series, q);
  const period = q.from || q.to ? `in the period ${q.from ?? '…'} to ${q.to ?? '…'}` : `among the first ${q.baselineN}`;
  if (idx.length < 2) {
    return {
      status: 'no-baseline',
      baselineStudies: idx.length,
      markers,
      message: `The baseline needs at least 2 studies; this series has ${idx.length} ${period}. Choose a longer period${q.from || q.to ? '' : ' or more studies'}.`,
    };
  }
  let baseline: SpcBaseline;
  try {
    baseline = estimateBaseline(idx.map((i) => values[i]!));
  } catch (e) {
    if (e instanceof SpcError) return { status: 'no-baseline', baselineStudies: idx.length, markers, message: `No baseline: ${e.message}.` };
    throw e;
  }
  const inBaseline = new Set(idx);
  const base = (i: number) => {
    const s = series[i]!;
    return { n: i + 1, studyId: s.studyId, pseudonym: s.pseudonym, studyDate: s.studyDate, inBaseline: inBaseline.has(i), model: s.model, scanner: s.scanner };
  };
  let points: ChartPoint[];
  if (q.chart === 'shewhart') {
    points = shewhartChart(values, baseline, { L: q.L }).map((p, i) => ({
      ...base(i),
      value: p.value,
      statistic: p.value,
      lower: null,
      centre: p.centre,
      lcl: p.lcl,
      ucl: p.ucl,
      outOfControl: p.outOfControl,
      direction: p.value > p.ucl ? 'up' : p.value < p.lcl ? 'down' : null,
    }));
  } else if (q.chart === 'ewma') {
    points = ewmaChart(values, baseline, { lambda: q.lambda, L: q.L }).map((p, i) => ({
      ...base(i),
      value: p.value,
      statistic: p.statistic,
      lower: null,
      centre: p.centre,
      lcl: p.lcl,
      ucl: p.ucl,
      outOfControl: p.outOfControl,
      direction: p.statistic > p.ucl ? 'up' : p.statistic < p.lcl ? 'down' : null,
    }));
  } else {
    points = cusumChart(values, baseline, { k: q.k, h: q.h }).map((p, i) => ({
      ...base(i),
      value: p.value,
      statistic: p.upper,
      lower: -p.lower,
      centre: 0,
      lcl: -p.h,
      ucl: p.h,
      outOfControl: p.outOfControl,
      direction: p.direction,
    }));
  }
  return { status: 'ok', baseline, points, markers };
}

/** The series of `studies` (already in time order) for the page's choices, largest first. */
export function buildControlCharts(studies: readonly MonitoringStudy[], q: MonitoringQuery): SeriesResult[] {
  const field = METRIC_FIELD[q.metric];
  const groups = new Map<string, { label: string; all: number; series: MonitoringStudy[] }>();
  for (const s of studies) {
    const { key, label } = splitKey(s, q.split);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { label, all: 0, series: [] }));
    g.all++;
    const v = s[field];
    if (v !== null && Number.isFinite(v)) g.series.push(s);
  }
  return [...groups.values()]
    .sort((a, b) => b.series.length - a.series.length || a.label.localeCompare(b.label))
    .map((g) => ({ label: g.label, studies: g.series.length, withoutValue: g.all - g.series.length, chart: chartSeries(g.series, q) }));
}
