/**
 * `iseg-qa spc shewhart|ewma|cusum --csv F --value COL --order COL [--baseline N] [--L 3]
 *   [--lambda 0.2] [--k 0.5 --h 5] [--json]`
 * A control chart of one numeric column of a CSV (one row per study), in the order of another
 * column (numbers or ISO dates). The baseline (mean, σ from the average moving range) comes from
 * the first N points in that order (default: all). Prints per point the statistic and its limits,
 * then the points out of control. Statistics: docs/monitoring.md; JSON fields: docs/cli.md.
 */
import { parseArgs } from 'node:util';
import { readCsvTable, type CsvTable } from '@/lib/server/csv/read-csv-table';
import {
  CUSUM_DEFAULT_H,
  CUSUM_DEFAULT_K,
  cusumArl,
  cusumChart,
  estimateBaseline,
  EWMA_DEFAULT_L,
  EWMA_DEFAULT_LAMBDA,
  ewmaArl,
  ewmaChart,
  SHEWHART_DEFAULT_L,
  shewhartArl,
  shewhartChart,
  SpcError,
  type SpcBaseline,
} from '@/lib/core/spc';
import { fail, printJson } from '../output';

const USAGE = `Usage: iseg-qa spc shewhart|ewma|cusum --csv FILE --value COLUMN --order COLUMN [--baseline N] [--json]
  shewhart [--L 3]                 individuals chart, limits mean ± L σ
  ewma     [--lambda 0.2] [--L 3]  EWMA with its exact time-varying limits
  cusum    [--k 0.5] [--h 5]       two-sided tabular CUSUM, C+ and C− in units of the baseline σ
  --value COLUMN   the monitored number per row (e.g. itv_dice)
  --order COLUMN   the order of the points: numbers or ISO dates (YYYY-MM-DD[Thh:mm[:ss]])
  --baseline N     the first N points (in that order) form the baseline; default all points
  --json           one JSON object (docs/cli.md)
Mean and σ (average moving range / 1.128) come from the baseline; see docs/monitoring.md.`;

const CHARTS = ['shewhart', 'ewma', 'cusum'] as const;
type ChartKind = (typeof CHARTS)[number];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export interface SeriesPoint {
  /** 1-based data row of the CSV (the header is line 1, so row r is line r + 1). */
  row: number;
  order: string;
  value: number;
}

function column(t: CsvTable, name: string, flag: string): number {
  const c = t.header.indexOf(name);
  if (c < 0) fail(`${flag} "${name}": CSV file ${t.path} has no such column; its columns are ${t.header.join(', ')}.`);
  return c;
}

/** The rows of the CSV as (order, value) points, sorted by the order column (stable for ties). */
export function readSeries(t: CsvTable, valueCol: string, orderCol: string): { points: SeriesPoint[]; orderKind: 'number' | 'date' } {
  const vc = column(t, valueCol, '--value');
  const oc = column(t, orderCol, '--order');
  const points: SeriesPoint[] = [];
  const keys: number[] = [];
  let kind: 'number' | 'date' | null = null;
  for (let r = 0; r < t.rowCount; r++) {
    const where = `CSV file ${t.path} row ${r + 1} (line ${r + 2})`;
    const vText = t.cell(vc, r);
    const v = vText === '' ? NaN : Number(vText);
    if (vText === '') fail(`${where} has no ${valueCol} value: fill it in or remove the row.`);
    if (!Number.isFinite(v)) fail(`${where}: ${valueCol} "${vText}" is not a number.`);
    const oText = t.cell(oc, r);
    if (oText === '') fail(`${where} has no ${orderCol} value to order it by: fill it in or remove the row.`);
    const asNumber = Number(oText);
    let key: number;
    let thisKind: 'number' | 'date';
    if (Number.isFinite(asNumber)) {
      key = asNumber;
      thisKind = 'number';
    } else if (ISO_DATE.test(oText) && Number.isFinite(Date.parse(oText.length === 10 ? `${oText}T00:00:00Z` : oText))) {
      key = Date.parse(oText.length === 10 ? `${oText}T00:00:00Z` : oText);
      thisKind = 'date';
    } else {
      fail(`${where}: ${orderCol} "${oText}" is neither a number nor an ISO date (YYYY-MM-DD).`);
    }
    if (kind && thisKind !== kind) fail(`${where}: ${orderCol} "${oText}" is a ${thisKind} but the rows above hold ${kind}s; use one kind throughout.`);
    kind = thisKind;
    points.push({ row: r + 1, order: oText, value: v });
    keys.push(key);
  }
  const idx = points.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  return { points: idx.map((i) => points[i]!), orderKind: kind ?? 'number' };
}

/** One chart point as the CLI reports it (the fields of the chart's point type). */
interface ChartRow {
  index: number;
  value: number;
  outOfControl: boolean;
  statistic?: number;
  centre?: number;
  lcl?: number;
  ucl?: number;
  z?: number;
  upper?: number;
  lower?: number;
  h?: number;
  direction?: 'up' | 'down' | null;
}

function num(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) fail(`${flag} "${text}" is not a number.`);
  return v;
}

/** Enough decimals to show the baseline σ to about four significant digits. */
function decimalsFor(sigma: number): number {
  return Math.min(10, Math.max(2, 3 - Math.floor(Math.log10(sigma))));
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      csv: { type: 'string' },
      value: { type: 'string' },
      order: { type: 'string' },
      baseline: { type: 'string' },
      lambda: { type: 'string' },
      L: { type: 'string' },
      k: { type: 'string' },
      h: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if (!sub || !(CHARTS as readonly string[]).includes(sub))
    fail(`${sub ? `Unknown spc chart "${sub}"` : 'Missing chart'}: use shewhart, ewma or cusum.\n${USAGE}`);
  if (extra.length > 0) fail(`Unexpected arguments: ${extra.join(' ')}. ${USAGE.split('\n')[0]}`);
  const chart = sub as ChartKind;
  const allowed: Record<ChartKind, string[]> = { shewhart: ['L'], ewma: ['lambda', 'L'], cusum: ['k', 'h'] };
  for (const p of ['lambda', 'L', 'k', 'h'] as const) {
    if (values[p] !== undefined && !allowed[chart].includes(p))
      fail(`--${p} does not apply to the ${chart} chart (it takes ${allowed[chart].map((a) => `--${a}`).join(', ')}).`);
  }
  for (const k of ['csv', 'value', 'order'] as const) if (!values[k]) fail(`spc ${chart} needs --${k}; see --help.`);

  const table = readCsvTable({ path: values.csv! });
  const { points, orderKind } = readSeries(table, values.value!, values.order!);
  let nb = points.length;
  if (values.baseline !== undefined) {
    nb = Number(values.baseline);
    if (!Number.isInteger(nb) || nb < 2) fail(`--baseline "${values.baseline}" must be a whole number of points ≥ 2 (the moving range needs two).`);
    if (nb > points.length) fail(`--baseline ${nb} is more than the ${points.length} points in ${table.path}.`);
  }
  const series = points.map((p) => p.value);
  const L = num(values.L, '--L', chart === 'ewma' ? EWMA_DEFAULT_L : SHEWHART_DEFAULT_L);
  const lambda = num(values.lambda, '--lambda', EWMA_DEFAULT_LAMBDA);
  const k = num(values.k, '--k', CUSUM_DEFAULT_K);
  const h = num(values.h, '--h', CUSUM_DEFAULT_H);

  let baseline: SpcBaseline;
  let rowsOut: ChartRow[];
  let parameters: Record<string, number>;
  let arlAt: (shift: number) => number;
  try {
    baseline = estimateBaseline(series.slice(0, nb));
    if (chart === 'shewhart') {
      parameters = { L };
      rowsOut = shewhartChart(series, baseline, { L }).map((p) => ({ ...p, statistic: p.value }));
      arlAt = (d) => shewhartArl(L, d);
    } else if (chart === 'ewma') {
      parameters = { lambda, L };
      rowsOut = ewmaChart(series, baseline, { lambda, L }).map((p) => ({ ...p }));
      arlAt = (d) => ewmaArl(lambda, L, d);
    } else {
      parameters = { k, h };
      rowsOut = cusumChart(series, baseline, { k, h }).map((p) => ({ ...p }));
      arlAt = (d) => cusumArl(k, h, d);
    }
  } catch (e) {
    if (e instanceof SpcError) fail(`${values.value} in ${table.path}: ${e.message}.`);
    throw e;
  }
  // The chart stands without its ARLs: one beyond what can be computed (docs/monitoring.md) is
  // null with the reason.
  const arl: { inControl: number | null; shift1Sigma: number | null; limits?: 'asymptotic'; note?: string } = { inControl: null, shift1Sigma: null };
  if (chart === 'ewma') arl.limits = 'asymptotic';
  for (const [key, shift] of [
    ['inControl', 0],
    ['shift1Sigma', 1],
  ] as const) {
    try {
      arl[key] = arlAt(shift);
    } catch (e) {
      if (!(e instanceof SpcError)) throw e;
      arl.note ??= e.message;
    }
  }
  const out = rowsOut.map((p, i) => ({ ...p, row: points[i]!.row, order: points[i]!.order, inBaseline: i < nb }));
  const signals = out.filter((p) => p.outOfControl);

  if (values.json) {
    printJson({
      chart,
      csv: table.path,
      value: values.value,
      order: values.order,
      orderKind,
      parameters,
      baseline: { ...baseline, d2: 1.128, firstOrder: points[0]!.order, lastOrder: points[nb - 1]!.order },
      arl,
      points: out,
      outOfControl: signals.map((p) => p.index),
    });
    return 0;
  }

  const d = decimalsFor(baseline.sigma);
  const f = (v: number | undefined, dd = d) => (v === undefined ? '' : v.toFixed(dd));
  const title =
    chart === 'shewhart'
      ? `Shewhart individuals chart, L = ${L}`
      : chart === 'ewma'
        ? `EWMA chart, λ = ${lambda}, L = ${L} (exact time-varying limits)`
        : `two-sided tabular CUSUM, k = ${k}, h = ${h} (in σ, no reset)`;
  const lines = [
    `${title}: ${values.value} of ${points.length} points ordered by ${values.order} (${table.path})`,
    `baseline: points 1–${nb} (${points[0]!.order} to ${points[nb - 1]!.order}): mean ${f(baseline.mean)}, σ ${f(baseline.sigma)} (MR̄ ${f(baseline.movingRangeMean)} / 1.128), n ${baseline.n}`,
    `average run length: in control ${arl.inControl === null ? 'not computable' : `~${Math.round(arl.inControl)} points between false alarms`}; after a 1σ shift ${
      arl.shift1Sigma === null ? 'not computable' : `~${arl.shift1Sigma.toFixed(1)} points`
    }${arl.limits ? ' (asymptotic limits)' : ''}${arl.note ? ` (${arl.note})` : ''}`,
    '',
  ];
  const oc = Math.max(values.order!.length, ...points.map((p) => p.order.length));
  const w = Math.max(9, d + 6);
  const head = chart === 'cusum' ? ['value', 'z', 'C+', 'C−', 'h'] : chart === 'ewma' ? ['value', 'EWMA', 'LCL', 'UCL'] : ['value', 'centre', 'LCL', 'UCL'];
  lines.push(['   #', values.order!.padEnd(oc), ...head.map((x) => x.padStart(w))].join('  '));
  for (const p of out) {
    const cols =
      chart === 'cusum'
        ? [p.value, p.z, p.upper, p.lower, p.h].map((v, i) => (i === 0 ? f(v) : f(v, 4)))
        : [p.value, chart === 'ewma' ? p.statistic : p.centre, p.lcl, p.ucl].map((v) => f(v));
    const mark = p.outOfControl
      ? chart === 'cusum'
        ? ` * ${String(p.direction)}`
        : p.statistic! < p.lcl!
          ? ' * below'
          : ' * above'
      : p.inBaseline
        ? ' b'
        : '';
    lines.push([String(p.index + 1).padStart(4), p.order.padEnd(oc), ...cols.map((c) => c.padStart(w))].join('  ') + mark);
  }
  lines.push('', '(b: baseline point; *: out of control)');
  if (signals.length === 0) lines.push('out of control: none');
  else {
    lines.push(`out of control: ${signals.length} point${signals.length === 1 ? '' : 's'}, the first #${signals[0]!.index + 1} (${signals[0]!.order})`);
    for (const p of signals)
      lines.push(
        `  #${p.index + 1} ${p.order} (CSV row ${p.row}): ${values.value} ${f(p.value)}, ${
          chart === 'cusum'
            ? `${p.direction === 'up' ? 'C+' : 'C−'} ${f(p.direction === 'up' ? p.upper : p.lower, 4)} > h ${h}`
            : `${chart === 'ewma' ? 'EWMA ' : ''}${f(p.statistic)} outside [${f(p.lcl)}, ${f(p.ucl)}]`
        }`,
      );
  }
  console.log(lines.join('\n'));
  return 0;
}
