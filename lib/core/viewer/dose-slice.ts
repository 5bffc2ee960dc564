/**
 * Dose on the displayed CT plane (issue #15 item 3): the dose grid sampled at the centre of every
 * pixel of one axial, coronal or sagittal CT slice, by trilinear interpolation
 * (lib/core/dose/sample-dose.ts: the `iseg` convention of the dose metrics, so the wash shows the
 * dose the metrics use), and its display: a semi-transparent colour wash from a threshold up and
 * isodose lines. Pure; docs/dose.md ("Dose in the viewer").
 */
import { doseAtIndex } from '@/lib/core/dose/sample-dose';
import { type Grid, type Vec3, type Volume, indexToPatientMm, patientMmToIndex } from '@/lib/core/volume';
import { type Orientation, sliceLayout, viewPixelToVoxel } from './slice-geometry';
import type { Rgb } from './render-slice';

export interface DoseSliceInput {
  dose: Volume<Float32Array>;
  /** The CT grid the slice belongs to. */
  grid: Grid;
  orientation: Orientation;
  index: number;
  flipK: boolean;
  /** Reused output (width·height values). */
  out?: Float32Array;
}

/**
 * The dose at each pixel centre of the slice (row by row, the slice layout of sliceLayout), NaN
 * where the pixel centre lies outside the dose grid's support (the box of its outer voxel centres).
 */
export function sampleDoseOnSlice(input: DoseSliceInput): { values: Float32Array; width: number; height: number } {
  const { dose, grid, orientation, index, flipK } = input;
  const [nx, ny, nz] = dose.grid.dims;
  if (dose.data.length !== nx * ny * nz) throw new RangeError(`The dose grid is ${nx}×${ny}×${nz} but holds ${dose.data.length} values.`);
  const layout = sliceLayout(grid.dims, grid.spacingMm, orientation, index, flipK);
  const { width, height } = layout;
  const values = input.out && input.out.length >= width * height ? input.out : new Float32Array(width * height);
  // CT voxel → dose-grid continuous index is affine; so is slice pixel → CT voxel.
  const toDose = (v: Readonly<Vec3>): Vec3 => patientMmToIndex(dose.grid, indexToPatientMm(grid, v[0], v[1], v[2]));
  const p00 = toDose(viewPixelToVoxel(grid.dims, orientation, index, 0, 0, flipK));
  const p10 = toDose(viewPixelToVoxel(grid.dims, orientation, index, 1, 0, flipK));
  const p01 = toDose(viewPixelToVoxel(grid.dims, orientation, index, 0, 1, flipK));
  const dc = [p10[0] - p00[0], p10[1] - p00[1], p10[2] - p00[2]];
  const dr = [p01[0] - p00[0], p01[1] - p00[1], p01[2] - p00[2]];
  for (let r = 0, p = 0; r < height; r++) {
    const u0 = p00[0] + dr[0]! * r;
    const v0 = p00[1] + dr[1]! * r;
    const w0 = p00[2] + dr[2]! * r;
    for (let c = 0; c < width; c++, p++) values[p] = doseAtIndex(dose, u0 + dc[0]! * c, v0 + dc[1]! * c, w0 + dc[2]! * c);
  }
  return { values, width, height };
}

export interface IsodoseLevel {
  /** Percent of the reference dose. */
  percent: number;
  doseGy: number;
  color: Rgb;
  /** e.g. "95 % (57.0 Gy)". */
  label: string;
}

/** Percent levels of the isodose lines: of the prescription, or of Dmax when the plan states none. */
export const ISODOSE_PERCENTS_OF_PRESCRIPTION = [50, 80, 95, 100, 105] as const;
export const ISODOSE_PERCENTS_OF_DMAX = [50, 80, 95] as const;
/** The wash starts at this percent of the same reference. */
export const WASH_THRESHOLD_PERCENT = 10;

const ISODOSE_COLORS: Record<number, Rgb> = {
  50: [80, 140, 255],
  80: [0, 230, 230],
  95: [170, 240, 0],
  100: [255, 255, 0],
  105: [255, 40, 40],
};

export interface DoseDisplay {
  /** What the percentages are of. */
  reference: 'prescription' | 'Dmax';
  referenceGy: number;
  /** The wash covers [washFromGy, washToGy]; below it nothing is drawn. */
  washFromGy: number;
  washToGy: number;
  isodoses: IsodoseLevel[];
}

/**
 * The display levels of a dose: isodoses at 50/80/95/100/105 % of the prescription, or at
 * 50/80/95 % of Dmax without one; the wash from 10 % of the same reference to the larger of
 * Dmax and the highest isodose. Null when there is nothing to show (no positive dose).
 */
export function doseDisplayLevels({ prescriptionGy, maxDoseGy }: { prescriptionGy: number | null; maxDoseGy: number }): DoseDisplay | null {
  const rx = prescriptionGy !== null && prescriptionGy > 0 && Number.isFinite(prescriptionGy) ? prescriptionGy : null;
  if (!(maxDoseGy > 0) && rx === null) return null;
  const reference = rx !== null ? 'prescription' : 'Dmax';
  const referenceGy = rx ?? maxDoseGy;
  const percents: readonly number[] = rx !== null ? ISODOSE_PERCENTS_OF_PRESCRIPTION : ISODOSE_PERCENTS_OF_DMAX;
  const isodoses = percents.map((percent) => {
    const doseGy = (referenceGy * percent) / 100;
    return { percent, doseGy, color: ISODOSE_COLORS[percent]!, label: `${percent} % (${doseGy.toFixed(1)} Gy)` };
  });
  return {
    reference,
    referenceGy,
    washFromGy: (referenceGy * WASH_THRESHOLD_PERCENT) / 100,
    washToGy: Math.max(maxDoseGy, isodoses[isodoses.length - 1]!.doseGy),
    isodoses,
  };
}

/** Colour of the wash at fraction f (0–1) of its range: blue, cyan, green, yellow, red (a "jet" scale). */
export function doseWashColor(f: number): Rgb {
  const x = f < 0 ? 0 : f > 1 ? 1 : f;
  const stops: Rgb[] = [
    [0, 0, 255],
    [0, 255, 255],
    [0, 255, 0],
    [255, 255, 0],
    [255, 0, 0],
  ];
  const s = x * (stops.length - 1);
  const n = Math.min(stops.length - 2, Math.floor(s));
  const t = s - n;
  const a = stops[n]!;
  const b = stops[n + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)];
}

export interface DoseOverlay {
  /** sampleDoseOnSlice's values for this slice. */
  values: Float32Array;
  display: DoseDisplay;
  /** Draw the wash (opacity washAlpha) and / or the isodose lines (opaque). */
  wash: boolean;
  washAlpha: number;
  isodoses: boolean;
}

/**
 * Where to write an isodose's label: an edge pixel of its line on this slice, at the line's top,
 * right, bottom or left end in turn (50 % top, 80 % right, 95 % bottom, 100 % left, 105 % top), so
 * the labels of nested lines do not pile up; the first such pixel found row by row.
 */
export interface IsodoseLabel {
  percent: number;
  col: number;
  row: number;
}

/**
 * Composite the dose onto an RGBA slice buffer (width × height pixels): the wash where
 * dose ≥ washFromGy, then each isodose line as the pixels with dose ≥ level and an in-plane
 * 4-neighbour below it (or outside the dose grid). Returns the label positions of the drawn lines
 (IsodoseLabel).
 */
export function compositeDose(pixels: Uint8ClampedArray, width: number, height: number, overlay: DoseOverlay): IsodoseLabel[] {
  const { values, display } = overlay;
  if (values.length < width * height) throw new RangeError(`The dose slice has ${values.length} values but the slice needs ${width * height}.`);
  if (overlay.wash) {
    const a = Math.round(Math.min(1, Math.max(0, overlay.washAlpha)) * 256);
    const lo = display.washFromGy;
    const span = Math.max(1e-9, display.washToGy - lo);
    const lut: Rgb[] = Array.from({ length: 256 }, (_, n) => doseWashColor(n / 255));
    for (let p = 0; p < width * height; p++) {
      const v = values[p]!;
      if (!(v >= lo)) continue;
      const [cr, cg, cb] = lut[Math.min(255, Math.round(((v - lo) / span) * 255))]!;
      const q = p * 4;
      pixels[q] = pixels[q]! + (((cr - pixels[q]!) * a) >> 8);
      pixels[q + 1] = pixels[q + 1]! + (((cg - pixels[q + 1]!) * a) >> 8);
      pixels[q + 2] = pixels[q + 2]! + (((cb - pixels[q + 2]!) * a) >> 8);
    }
  }
  const labels: IsodoseLabel[] = [];
  if (!overlay.isodoses) return labels;
  const below = (p: number, level: number) => !(values[p]! >= level);
  for (const iso of display.isodoses) {
    const level = iso.doseGy;
    const side = display.isodoses.indexOf(iso) % 4; // 0 top, 1 right, 2 bottom, 3 left
    let label: IsodoseLabel | null = null;
    for (let r = 0, p = 0; r < height; r++)
      for (let c = 0; c < width; c++, p++) {
        if (below(p, level)) continue;
        const edge =
          (c > 0 && below(p - 1, level)) ||
          (c < width - 1 && below(p + 1, level)) ||
          (r > 0 && below(p - width, level)) ||
          (r < height - 1 && below(p + width, level));
        if (!edge) continue;
        const q = p * 4;
        pixels[q] = iso.color[0];
        pixels[q + 1] = iso.color[1];
        pixels[q + 2] = iso.color[2];
        if (!label || (side === 1 && c > label.col) || side === 2 || (side === 3 && c < label.col)) label = { percent: iso.percent, col: c, row: r };
      }
    if (label) labels.push(label);
  }
  return labels;
}
