/**
 * What the forest plot draws (components/charts/forest-plot.tsx). Pure.
 *
 * - forestScaledRow: a hazard ratio per one small unit (a voxel) is 1.0001 (0.9998–1.0004),
 *   invisible next to HR = 1 on any axis that also shows other covariates. Where the table
 *   prints the estimate per more units (formatHazardRatio's `rescaled`, "per 1,000 voxels"), the
 *   plot draws that same rescaled estimate and says so in the row's label.
 * - forestAxis: the log axis from the intervals drawn (and 1), with a little room: decade ticks
 *   (1, 2, 5 × 10^k) when the range spans a factor of 4 or more, else evenly spaced round ticks,
 *   so a narrow interval fills the plot instead of sitting squashed against 1.
 */
import { formatHazardRatio, rescaledUnitLabel } from './format-hazard-ratio';

export interface ForestRowInput {
  label: string;
  unit: string;
  hr: number | null;
  lower95: number | null;
  upper95: number | null;
}

export interface ForestScaledRow {
  /** "ITV FP voxels (per 1,000 voxels)": the unit the drawn numbers are per. */
  name: string;
  hr: number;
  lower95: number;
  upper95: number;
  /** 1 when drawn per the table's unit, else how many of those units. */
  per: number;
}

/** @returns null when the row cannot be drawn (missing or non-positive estimate or bounds, infinite bound). */
export function forestScaledRow(r: ForestRowInput): ForestScaledRow | null {
  const { hr, lower95: lo, upper95: hi } = r;
  if (hr === null || lo === null || hi === null || !(hr > 0) || !(lo > 0) || !Number.isFinite(hi) || !Number.isFinite(hr)) return null;
  // The table's options (app/(app)/outcomes/page.tsx), so the plot and the table rescale alike.
  const f = formatHazardRatio({ hr, lower: lo, upper: hi });
  if (f.rescaled && r.unit.startsWith('per ')) {
    const per = f.rescaled.per;
    const scaled = { hr: hr ** per, lower95: lo ** per, upper95: hi ** per };
    if ([scaled.hr, scaled.lower95, scaled.upper95].every((x) => Number.isFinite(x) && x > 0))
      return { name: `${r.label} (${rescaledUnitLabel(per, r.unit)})`, ...scaled, per };
  }
  return { name: `${r.label} (${r.unit})`, hr, lower95: lo, upper95: hi, per: 1 };
}

const round = (v: number, step: number) => Number(v.toFixed(Math.max(0, 1 - Math.floor(Math.log10(step)))));

/** 1, 2 or 5 × 10^k, the smallest at least `x`. */
function niceStep(x: number): number {
  const e = Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * 10 ** e >= x) return m * 10 ** e;
  return 10 ** (e + 1);
}

export function forestAxis(lower: readonly number[], upper: readonly number[]): { domain: [number, number]; ticks: number[] } {
  const lo = Math.min(1, ...lower.filter((x) => x > 0 && Number.isFinite(x)));
  const hi = Math.max(1, ...upper.filter((x) => x > 0 && Number.isFinite(x)));
  const L = Math.log10(lo);
  const H = Math.log10(hi);
  if (H - L >= Math.log10(4)) {
    const domain: [number, number] = [10 ** (Math.floor(L * 2) / 2), 10 ** (Math.ceil(H * 2) / 2)];
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(domain[0])); e <= Math.ceil(Math.log10(domain[1])); e++)
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= domain[0] * 0.999 && v <= domain[1] * 1.001) ticks.push(Number(v.toPrecision(3)));
      }
    return { domain, ticks };
  }
  // Narrow: 8 % room on each side (in log units), at least a hair around 1 when nothing else is drawn.
  const pad = Math.max((H - L) * 0.08, 1e-9);
  const d0 = 10 ** (L - pad);
  const d1 = 10 ** (H + pad);
  const step = niceStep((d1 - d0) / 8);
  const ticks: number[] = [];
  for (let v = Math.ceil(d0 / step) * step; v <= d1 + step * 1e-9; v += step) ticks.push(round(v, step));
  if (!ticks.includes(1)) ticks.push(1);
  ticks.sort((a, b) => a - b);
  return { domain: [d0, d1], ticks };
}
