/**
 * Which studies the cohort page's four charts draw when there are too many to draw each one
 * (thousands of SVG points make the page heavy to send and slow to paint). Each chart's plane is
 * divided into a grid on the chart's own axes (log volume for Dice vs volume) over the data's
 * range, and one study is kept per occupied cell: the one with the smallest id, so the choice does
 * not depend on row order. The union over the four charts is drawn in all of them. Every region
 * that has data keeps a point, so isolated studies (the outliers a QA meeting looks for) are all
 * drawn; dense regions are thinned. The statistics, box plots and tables always use every study.
 * Pure: no I/O.
 */

export interface ChartPointInput {
  id: string;
  institution: string;
  itvDice: number | null;
  physicianItvCc: number | null;
  machineItvCc: number | null;
  motionMm: number | null;
}

export interface ChartThinning {
  /** Studies with results the charts draw. */
  drawn: number;
  /** Studies with results. */
  of: number;
  /** The grid (columns × rows) when thinned; null when every study is drawn. */
  grid: readonly [number, number] | null;
}

/** Columns × rows of each chart's grid; the strip plot uses `rows` bins of Dice per institution. */
export const CHART_GRID: readonly [number, number] = [48, 32];

const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);

function cellOf(v: number, lo: number, hi: number, n: number): number {
  if (!(hi > lo)) return 0;
  return Math.min(n - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * n)));
}

function range(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * @returns keep: one flag per input point (null: keep all, at most `maxAll` points); thinning: counts.
 */
export function thinChartPoints(
  points: readonly ChartPointInput[],
  { maxAll, grid }: { maxAll: number; grid: readonly [number, number] },
): { keep: boolean[] | null; thinning: ChartThinning } {
  if (points.length <= maxAll) return { keep: null, thinning: { drawn: points.length, of: points.length, grid: null } };
  const [nx, ny] = grid;
  const keep = new Array<boolean>(points.length).fill(false);

  /** Keeps, per cell, the point with the smallest id. */
  const keepOnePerCell = (cells: { cell: string; p: ChartPointInput; i: number }[]) => {
    const best = new Map<string, { p: ChartPointInput; i: number }>();
    for (const c of cells) {
      const held = best.get(c.cell);
      if (held === undefined || c.p.id < held.p.id) best.set(c.cell, c);
    }
    for (const { i } of best.values()) keep[i] = true;
  };
  /** One chart's plane on its own axes: x and y per point (null: not drawn in this chart). */
  const plane = (x: (p: ChartPointInput) => number | null, y: (p: ChartPointInput) => number | null) => {
    const on: { p: ChartPointInput; i: number; x: number; y: number }[] = [];
    points.forEach((p, i) => {
      const a = x(p);
      const b = y(p);
      if (a !== null && b !== null) on.push({ p, i, x: a, y: b });
    });
    const [xlo, xhi] = range(on.map((o) => o.x));
    const [ylo, yhi] = range(on.map((o) => o.y));
    keepOnePerCell(on.map((o) => ({ cell: `${cellOf(o.x, xlo, xhi, nx)}:${cellOf(o.y, ylo, yhi, ny)}`, p: o.p, i: o.i })));
  };
  const dice = (p: ChartPointInput) => (finite(p.itvDice) ? p.itvDice : null);
  // ITV Dice by institution (strip plot): `ny` bins of Dice per institution.
  const strip: { cell: string; p: ChartPointInput; i: number }[] = [];
  points.forEach((p, i) => {
    const d = dice(p);
    if (d !== null) strip.push({ cell: `${p.institution}:${cellOf(d, 0, 1, ny)}`, p, i });
  });
  keepOnePerCell(strip);
  // ITV Dice vs tumour volume (log x), vs motion, and machine vs physician volume.
  plane((p) => (finite(p.physicianItvCc) && p.physicianItvCc > 0 ? Math.log(p.physicianItvCc) : null), dice);
  plane((p) => (finite(p.motionMm) ? p.motionMm : null), dice);
  plane(
    (p) => (finite(p.physicianItvCc) ? p.physicianItvCc : null),
    (p) => (finite(p.machineItvCc) ? p.machineItvCc : null),
  );
  const drawn = keep.reduce((n, k) => n + (k ? 1 : 0), 0);
  return { keep, thinning: { drawn, of: points.length, grid } };
}
