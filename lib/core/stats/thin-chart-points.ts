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

  /**
   * Keeps, per cell, the point with the smallest id. `cell[i]` is point i's cell (a number below
   * `cells`), −1 when it is not in this chart; one typed array of the best point per cell, no
   * string key or object per point (50,000 points take milliseconds).
   */
  const keepOnePerCell = (cell: Int32Array, cells: number) => {
    const best = new Int32Array(cells).fill(-1);
    for (let i = 0; i < cell.length; i++) {
      const c = cell[i]!;
      if (c < 0) continue;
      const held = best[c]!;
      if (held < 0 || points[i]!.id < points[held]!.id) best[c] = i;
    }
    for (const i of best) if (i >= 0) keep[i] = true;
  };
  /** One chart's plane on its own axes: x and y per point (null: not drawn in this chart). */
  const plane = (x: (p: ChartPointInput) => number | null, y: (p: ChartPointInput) => number | null) => {
    const xs = new Float64Array(points.length);
    const ys = new Float64Array(points.length);
    const on = new Uint8Array(points.length);
    let xlo = Infinity;
    let xhi = -Infinity;
    let ylo = Infinity;
    let yhi = -Infinity;
    for (let i = 0; i < points.length; i++) {
      const a = x(points[i]!);
      const b = y(points[i]!);
      if (a === null || b === null) continue;
      on[i] = 1;
      xs[i] = a;
      ys[i] = b;
      if (a < xlo) xlo = a;
      if (a > xhi) xhi = a;
      if (b < ylo) ylo = b;
      if (b > yhi) yhi = b;
    }
    const cell = new Int32Array(points.length);
    for (let i = 0; i < points.length; i++) cell[i] = on[i] ? cellOf(xs[i]!, xlo, xhi, nx) * ny + cellOf(ys[i]!, ylo, yhi, ny) : -1;
    keepOnePerCell(cell, nx * ny);
  };
  const dice = (p: ChartPointInput) => (finite(p.itvDice) ? p.itvDice : null);
  // ITV Dice by institution (strip plot): `ny` bins of Dice per institution.
  const institutions = new Map<string, number>();
  const strip = new Int32Array(points.length);
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const d = dice(p);
    if (d === null) {
      strip[i] = -1;
      continue;
    }
    let k = institutions.get(p.institution);
    if (k === undefined) institutions.set(p.institution, (k = institutions.size));
    strip[i] = k * ny + cellOf(d, 0, 1, ny);
  }
  keepOnePerCell(strip, Math.max(1, institutions.size) * ny);
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
