/**
 * Dose metrics of a study's regions, as stored per study (DoseMetricResult, docs/dose.md "Stored
 * dose metrics"): the physician and machine GTV / ITV, the false-positive region (machine ITV ∖
 * physician ITV) and the false-negative region (physician ITV ∖ machine ITV). Pure; no I/O.
 *
 * Each region is a mask on its CT grid; the dose is sampled at the centres of its voxels by
 * structureDoseMetrics (convention `iseg` by default: trilinear, CT voxel volume, exact Dx).
 * Values are named with their unit (Gy, %, cc); a value that cannot be given is null with a reason:
 * NO_PRESCRIPTION (V95, V100, volume below 95 %: the plan states no prescription; enter it on the
 * study page) or EMPTY_REGION (no voxel: e.g. no FP region when the machine is inside the physician).
 */
import type { Mask } from '@/lib/core/volume';
import { DoseError } from './errors';
import { structureDoseMetrics, type DoseConvention } from './structure-dose';

export const DOSE_REGIONS = ['PHYSICIAN_ITV', 'MACHINE_ITV', 'PHYSICIAN_GTV', 'MACHINE_GTV', 'FP', 'FN'] as const;
export type DoseRegion = (typeof DOSE_REGIONS)[number];

/** DVH bin width (Gy) of the stored cumulative DVH: 0.1 Gy keeps a 70 Gy DVH at ~700 points. Dx and Vy do not depend on it. */
export const STORED_DVH_BIN_GY = 0.1;

export interface RegionDoseValues {
  volumeCc: number;
  dminGy: number | null;
  dmeanGy: number | null;
  dmaxGy: number | null;
  d98Gy: number | null;
  d95Gy: number | null;
  d50Gy: number | null;
  d2Gy: number | null;
  /** % of the region's volume receiving ≥ 95 % / 100 % of the prescription. */
  v95Pct: number | null;
  v100Pct: number | null;
  /** Volume (cc) receiving < 95 % of the prescription. */
  volumeBelow95PctCc: number | null;
  /** Volume (cc) outside the dose grid (counted as 0 Gy). */
  outsideDoseGridCc: number;
}

export type RegionDoseNullReason = 'NO_PRESCRIPTION' | 'EMPTY_REGION';

export interface StoredDvh {
  binWidthGy: number;
  /** 0, w, 2w, … */
  doseGy: number[];
  /** % of the region's volume receiving ≥ doseGy[n] (4 decimals). */
  volumePct: number[];
}

export interface RegionDoseRow {
  region: DoseRegion;
  componentIndex: number | null;
  convention: DoseConvention;
  values: RegionDoseValues;
  nullReasons: Partial<Record<keyof RegionDoseValues, RegionDoseNullReason>>;
  dvh: StoredDvh;
  prescriptionGy: number | null;
}

export interface RegionMask {
  region: DoseRegion;
  mask: Mask;
  componentIndex?: number | null;
}

/** `a ∖ b`: voxels in a and not in b (both on one grid). */
export function differenceMask(a: Mask, b: Mask): Mask {
  if (a.data.length !== b.data.length)
    throw new DoseError(`The two masks have ${a.data.length} and ${b.data.length} voxels: an FP/FN region needs both on one CT grid.`);
  const out = new Uint8Array(a.data.length);
  for (let t = 0; t < out.length; t++) out[t] = a.data[t] !== 0 && b.data[t] === 0 ? 1 : 0;
  return { grid: a.grid, data: out };
}

/**
 * @param prescriptionGy the plan's prescription; null when unknown (V-metrics null, NO_PRESCRIPTION).
 * @throws DoseError on a non-positive prescription or a non-finite dose.
 */
export function computeRegionDoseRows(input: {
  dose: { grid: Mask['grid']; data: Float32Array };
  regions: readonly RegionMask[];
  prescriptionGy: number | null;
  convention?: Exclude<DoseConvention, 'dicompyler'>;
}): RegionDoseRow[] {
  const convention = input.convention ?? 'iseg';
  const rx = input.prescriptionGy;
  return input.regions.map(({ region, mask, componentIndex }) => {
    const m = structureDoseMetrics({ dose: input.dose, mask, convention, prescription: rx ?? undefined, binWidth: STORED_DVH_BIN_GY });
    const nullReasons: RegionDoseRow['nullReasons'] = {};
    const empty = m.voxels === 0;
    const values: RegionDoseValues = {
      volumeCc: m.volumeCc,
      dminGy: m.dmin,
      dmeanGy: m.dmean,
      dmaxGy: m.dmax,
      d98Gy: m.d98,
      d95Gy: m.d95,
      d50Gy: m.d50,
      d2Gy: m.d2,
      v95Pct: m.v95Percent,
      v100Pct: m.v100Percent,
      volumeBelow95PctCc: m.v95Percent === null ? null : m.volumeCc * (1 - m.v95Percent / 100),
      outsideDoseGridCc: m.outsideVolumeCc,
    };
    if (empty)
      for (const k of ['dminGy', 'dmeanGy', 'dmaxGy', 'd98Gy', 'd95Gy', 'd50Gy', 'd2Gy', 'v95Pct', 'v100Pct', 'volumeBelow95PctCc'] as const)
        nullReasons[k] = 'EMPTY_REGION';
    else if (rx === null) for (const k of ['v95Pct', 'v100Pct', 'volumeBelow95PctCc'] as const) nullReasons[k] = 'NO_PRESCRIPTION';
    return {
      region,
      componentIndex: componentIndex ?? null,
      convention,
      values,
      nullReasons,
      dvh: { binWidthGy: m.dvh.binWidth, doseGy: m.dvh.dose, volumePct: m.dvh.volumePercent.map((v) => Math.round(v * 1e4) / 1e4) },
      prescriptionGy: rx,
    };
  });
}

export interface DoseGridChoiceInput {
  sopInstanceUid: string;
  summationType: string | null;
  doseType: string | null;
  maxDose: number;
}

/**
 * Which of a study's dose grids the metrics use: PLAN (the whole plan) over MULTI_PLAN over the
 * rest (BEAM, FRACTION, … are parts of it); among equals, PHYSICAL over EFFECTIVE, then the
 * highest maximum dose, then the SOP instance UID (stable). @returns null when there is none.
 */
export function chooseDoseGrid<T extends DoseGridChoiceInput>(grids: readonly T[]): { chosen: T; reason: string } | null {
  if (grids.length === 0) return null;
  const rankSum = (s: string | null) => (s === 'PLAN' ? 0 : s === 'MULTI_PLAN' ? 1 : 2);
  const rankType = (s: string | null) => (s === 'PHYSICAL' || s === null ? 0 : s === 'EFFECTIVE' ? 1 : 2);
  const sorted = [...grids].sort(
    (a, b) =>
      rankSum(a.summationType) - rankSum(b.summationType) ||
      rankType(a.doseType) - rankType(b.doseType) ||
      b.maxDose - a.maxDose ||
      a.sopInstanceUid.localeCompare(b.sopInstanceUid),
  );
  const chosen = sorted[0]!;
  const reason =
    grids.length === 1
      ? 'the only dose grid'
      : `${grids.length} dose grids (${grids.map((g) => g.summationType ?? 'no summation type').join(', ')}): the ${chosen.summationType ?? 'unlabelled'} one is used (PLAN summation over MULTI_PLAN over BEAM/FRACTION; then PHYSICAL dose, then the highest maximum)`;
  return { chosen, reason };
}

/** At most this many components of a region get rows of their own (the largest; docs/dose.md). */
export const MAX_DOSE_COMPONENTS = 10;

/**
 * The 26-connected components of `mask`, largest first (ties: the one whose first voxel comes
 * first in index order), the order of lib/core/metrics/discordance.ts's regions, so component n
 * of the FP region is discordance region n. Work is confined to the mask's bounding box.
 * @returns for each component (at most `max`), its voxel indices in the full grid, ascending.
 */
export function maskComponents(mask: Mask, max = MAX_DOSE_COMPONENTS): Int32Array[] {
  const [nx, ny, nz] = mask.grid.dims;
  const m = mask.data;
  let lo = [nx, ny, nz];
  let hi = [-1, -1, -1];
  for (let k = 0, q = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, q++)
        if (m[q]) {
          lo = [Math.min(lo[0]!, i), Math.min(lo[1]!, j), Math.min(lo[2]!, k)];
          hi = [Math.max(hi[0]!, i), Math.max(hi[1]!, j), Math.max(hi[2]!, k)];
        }
  if (hi[0]! < 0) return [];
  const [bx, by, bz] = [hi[0]! - lo[0]! + 1, hi[1]! - lo[1]! + 1, hi[2]! - lo[2]! + 1];
  const labels = new Int32Array(bx * by * bz);
  const queue = new Int32Array(bx * by * bz);
  const comps: { first: number; voxels: number[] }[] = [];
  const full = (b: number) => {
    const i = b % bx;
    const j = Math.floor(b / bx) % by;
    const k = Math.floor(b / (bx * by));
    return lo[0]! + i + nx * (lo[1]! + j + ny * (lo[2]! + k));
  };
  for (let b = 0; b < labels.length; b++) {
    if (labels[b] || !m[full(b)]) continue;
    const label = comps.length + 1;
    const voxels: number[] = [];
    let head = 0;
    let tail = 0;
    queue[tail++] = b;
    labels[b] = label;
    while (head < tail) {
      const c = queue[head++]!;
      voxels.push(full(c));
      const ci = c % bx;
      const cj = Math.floor(c / bx) % by;
      const ck = Math.floor(c / (bx * by));
      for (let dk = -1; dk <= 1; dk++) {
        const k = ck + dk;
        if (k < 0 || k >= bz) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const j = cj + dj;
          if (j < 0 || j >= by) continue;
          for (let di = -1; di <= 1; di++) {
            const i = ci + di;
            if (i < 0 || i >= bx) continue;
            const n = i + bx * (j + by * k);
            if (labels[n] || !m[full(n)]) continue;
            labels[n] = label;
            queue[tail++] = n;
          }
        }
      }
    }
    comps.push({ first: full(b), voxels }); // b is the component's first voxel in index order
  }
  comps.sort((a, b) => b.voxels.length - a.voxels.length || a.first - b.first);
  return comps.slice(0, max).map((c) => Int32Array.from(c.voxels).sort());
}

/**
 * Rows for each component of a region (componentIndex 0, 1, … largest first), as
 * computeRegionDoseRows computes the whole region's.
 */
export function computeComponentDoseRows(input: {
  dose: { grid: Mask['grid']; data: Float32Array };
  region: DoseRegion;
  mask: Mask;
  prescriptionGy: number | null;
  max?: number;
}): RegionDoseRow[] {
  const comps = maskComponents(input.mask, input.max);
  const scratch = new Uint8Array(input.mask.data.length);
  const rows: RegionDoseRow[] = [];
  comps.forEach((voxels, n) => {
    for (const q of voxels) scratch[q] = 1;
    rows.push(
      ...computeRegionDoseRows({
        dose: input.dose,
        regions: [{ region: input.region, mask: { grid: input.mask.grid, data: scratch }, componentIndex: n }],
        prescriptionGy: input.prescriptionGy,
      }),
    );
    for (const q of voxels) scratch[q] = 0;
  });
  return rows;
}
