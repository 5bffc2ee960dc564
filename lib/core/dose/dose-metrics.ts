/**
 * DVH and dose metrics of one structure from its dose samples (one sample per voxel, every voxel
 * of the structure the same volume). Pure; no I/O. Conventions: docs/dose.md.
 *
 * - volumeCc = samples × voxel volume; Dmin / Dmax / Dmean over the samples (Dmean is the plain
 *   mean, every voxel weighing the same).
 * - Dx (D98, D95, D50, D2): the minimum dose received by the hottest x % of the volume, from the
 *   samples sorted by dose, without binning: the dose of the sample at which the cumulative volume
 *   (hottest first) first reaches x % of the structure. D100 would be Dmin; Dx → 0 is Dmax.
 * - Vy % of prescription (V95, V100): the percentage of the structure's volume whose dose is
 *   ≥ y/100 × prescription (a sample equal to the threshold counts as receiving it).
 * - The cumulative DVH: at dose d = 0, w, 2w, … (w = binWidth) up to the first multiple of w above
 *   Dmax, the volume (cc, and % of the structure) receiving ≥ d; it starts at 100 % and ends at 0 %.
 */
import { DoseError } from './errors';

export interface DoseMetricsInput {
  /** Dose at each voxel of the structure (Gy, or the dose grid's units). */
  doses: Float32Array;
  /** Volume of one voxel in cc. */
  voxelVolumeCc: number;
  /** Prescription in the same units as `doses`, for V95/V100; omit when unknown. */
  prescription?: number;
  /** DVH bin width in the doses' units; default 0.01. */
  binWidth?: number;
  /** How many of the samples were outside the dose grid (dose 0), reported as outsideVolumeCc. */
  outside?: number;
  /**
   * 'exact' (default): Dx, Vy and the DVH from the samples themselves. 'plastimatch': as
   * `plastimatch dvh` bins them: each dose is rounded to the nearest multiple of the bin width
   * (bin b = floor(d / w + 0.5)); the DVH at b·w counts the samples in bins ≥ b; Dx is the largest
   * b·w whose cumulative volume is ≥ x %; Vy is the cumulative volume at the bin nearest y·Rx.
   * Dmin, Dmean and Dmax stay exact (plastimatch reports no statistics, only the histogram).
   *
   * 'dicompyler': as dicompyler-core's DVH object: doses floored into bins of the bin width (its
   * 1 cGy); Dmin / Dmax the upper edge of the first / last non-empty bin, Dmean from bin centres;
   * Dx the lower bin edge whose cumulative volume is nearest x % (first such bin); Vy the
   * cumulative volume at the bin edge nearest y·Rx.
   */
  histogram?: 'exact' | 'plastimatch' | 'dicompyler';
}

export interface CumulativeDvh {
  /** Bin width used (dose units). */
  binWidth: number;
  /** Dose at each point: 0, binWidth, 2·binWidth, … */
  dose: number[];
  /** Volume (cc) receiving ≥ dose[n]. */
  volumeCc: number[];
  /** Percentage of the structure's volume receiving ≥ dose[n]. */
  volumePercent: number[];
}

export interface DoseMetrics {
  voxels: number;
  volumeCc: number;
  /** Volume of the structure outside the dose grid (counted with dose 0). */
  outsideVolumeCc: number;
  /** null for an empty structure. */
  dmin: number | null;
  dmean: number | null;
  dmax: number | null;
  d98: number | null;
  d95: number | null;
  d50: number | null;
  d2: number | null;
  /** % of volume ≥ 95 % / 100 % of the prescription; null without a prescription or for an empty structure. */
  v95Percent: number | null;
  v100Percent: number | null;
  prescription: number | null;
  dvh: CumulativeDvh;
}

/** Dx from samples sorted ascending: the x % hottest of the volume receive at least this. */
function dx(sortedAsc: Float32Array, percent: number): number {
  const n = sortedAsc.length;
  // Hottest-first count needed to cover x % of n voxels (the first sample where the cumulative
  // fraction reaches x %, with a tolerance of 1e-9 against float noise in x·n/100).
  const need = Math.max(1, Math.ceil((percent / 100) * n - 1e-9));
  return sortedAsc[n - need]!;
}

/** Count of samples ≥ threshold in an ascending array (binary search). */
function countAtLeast(sortedAsc: Float32Array, threshold: number): number {
  let lo = 0;
  let hi = sortedAsc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedAsc[mid]! < threshold) lo = mid + 1;
    else hi = mid;
  }
  return sortedAsc.length - lo;
}

/** Dose metrics and the cumulative DVH of one structure. */
export function computeDoseMetrics(input: DoseMetricsInput): DoseMetrics {
  const { doses, voxelVolumeCc } = input;
  const binWidth = input.binWidth ?? 0.01;
  if (!(voxelVolumeCc > 0)) throw new DoseError(`The voxel volume must be positive (got ${voxelVolumeCc} cc): check the grid spacing.`);
  if (!(binWidth > 0)) throw new DoseError(`The DVH bin width must be positive (got ${binWidth}).`);
  if (input.prescription !== undefined && !(input.prescription > 0))
    throw new DoseError(`The prescription must be a positive dose (got ${input.prescription}): check --prescription-gy or the plan's TargetPrescriptionDose.`);
  const n = doses.length;
  const prescription = input.prescription ?? null;
  const volumeCc = n * voxelVolumeCc;
  const outsideVolumeCc = (input.outside ?? 0) * voxelVolumeCc;
  if (n === 0)
    return {
      voxels: 0, volumeCc: 0, outsideVolumeCc, dmin: null, dmean: null, dmax: null, d98: null, d95: null, d50: null, d2: null,
      v95Percent: null, v100Percent: null, prescription, dvh: { binWidth, dose: [0], volumeCc: [0], volumePercent: [0] },
    };
  for (let t = 0; t < n; t++)
    if (!Number.isFinite(doses[t]!)) throw new DoseError(`Dose sample ${t} is ${doses[t]}: the dose grid holds a non-finite value; check the RTDOSE file.`);
  const sorted = sortFloat32(doses);
  let sum = 0;
  for (let t = 0; t < n; t++) sum += sorted[t]!;
  const dmax = sorted[n - 1]!;
  const vPercent = (fraction: number) => (prescription === null ? null : (100 * countAtLeast(sorted, fraction * prescription)) / n);
  // DVH: d = b·w for b = 0 … floor(Dmax / w) + 1; volume ≥ d.
  const bins = Math.floor(Math.max(0, dmax) / binWidth) + 2;
  if (bins > 1e6) throw new DoseError(`The DVH would have ${bins} bins (Dmax ${dmax} at bin width ${binWidth}): use a wider bin.`);
  if (input.histogram === 'dicompyler') return { ...dicompylerBinned(sorted, binWidth, voxelVolumeCc, prescription), voxels: n, volumeCc, outsideVolumeCc, prescription };
  if (input.histogram === 'plastimatch') return { ...plastimatchBinned(sorted, binWidth, voxelVolumeCc, prescription), voxels: n, volumeCc, outsideVolumeCc, dmin: sorted[0]!, dmean: sum / n, dmax, prescription };
  const dose: number[] = [];
  const volCc: number[] = [];
  const volPct: number[] = [];
  // Walk the ascending samples once.
  let below = 0;
  for (let b = 0; b < bins; b++) {
    const d = b * binWidth;
    while (below < n && sorted[below]! < d - 1e-9 * binWidth) below++;
    dose.push(Number(d.toPrecision(12)));
    volCc.push((n - below) * voxelVolumeCc);
    volPct.push((100 * (n - below)) / n);
  }
  return {
    voxels: n,
    volumeCc,
    outsideVolumeCc,
    dmin: sorted[0]!,
    dmean: sum / n,
    dmax,
    d98: dx(sorted, 98),
    d95: dx(sorted, 95),
    d50: dx(sorted, 50),
    d2: dx(sorted, 2),
    v95Percent: vPercent(0.95),
    v100Percent: vPercent(1),
    prescription,
    dvh: { binWidth, dose, volumeCc: volCc, volumePercent: volPct },
  };
}

/** DVH, Dx and Vy from plastimatch's binning (see DoseMetricsInput.histogram). */
function plastimatchBinned(sortedAsc: Float32Array, w: number, voxelVolumeCc: number, prescription: number | null) {
  const n = sortedAsc.length;
  const bin = (d: number) => Math.max(0, Math.floor(d / w + 0.5));
  const top = bin(sortedAsc[n - 1]!);
  const counts = new Float64Array(top + 2);
  for (let t = 0; t < n; t++) counts[bin(sortedAsc[t]!)]! += 1;
  const cum = new Float64Array(top + 2);
  for (let b = top; b >= 0; b--) cum[b] = cum[b + 1]! + counts[b]!;
  const dx = (percent: number) => {
    let b = top;
    while (b > 0 && cum[b]! < (percent / 100) * n - 1e-9) b--;
    return Number((b * w).toPrecision(12));
  };
  const v = (fraction: number) => (prescription === null ? null : (100 * (cum[Math.min(top + 1, bin(fraction * prescription))] ?? 0)) / n);
  const dose: number[] = [];
  const volCc: number[] = [];
  const volPct: number[] = [];
  for (let b = 0; b <= top + 1; b++) {
    dose.push(Number((b * w).toPrecision(12)));
    volCc.push(cum[b]! * voxelVolumeCc);
    volPct.push((100 * cum[b]!) / n);
  }
  return { d98: dx(98), d95: dx(95), d50: dx(50), d2: dx(2), v95Percent: v(0.95), v100Percent: v(1), dvh: { binWidth: w, dose, volumeCc: volCc, volumePercent: volPct } };
}

/** DVH and statistics as dicompyler-core's DVH object computes them (see DoseMetricsInput.histogram). */
function dicompylerBinned(sortedAsc: Float32Array, w: number, voxelVolumeCc: number, prescription: number | null) {
  const n = sortedAsc.length;
  const bin = (d: number) => Math.max(0, Math.floor(d / w + 1e-9));
  const top = bin(sortedAsc[n - 1]!);
  const counts = new Float64Array(top + 1);
  for (let t = 0; t < n; t++) counts[bin(sortedAsc[t]!)]! += 1;
  const cum = new Float64Array(top + 2);
  for (let b = top; b >= 0; b--) cum[b] = cum[b + 1]! + counts[b]!;
  const rel = Array.from(cum, (c) => (100 * c) / n);
  const edge = (b: number) => Number((b * w).toPrecision(12));
  const dx = (percent: number) => {
    let best = 0;
    for (let b = 1; b < rel.length; b++) if (Math.abs(rel[b]! - percent) < Math.abs(rel[best]! - percent)) best = b;
    return edge(best);
  };
  const v = (fraction: number) => {
    if (prescription === null) return null;
    const b = Math.round((fraction * prescription) / w);
    return b < rel.length ? rel[b]! : 0;
  };
  let first = 0;
  while (counts[first] === 0) first++;
  let mean = 0;
  for (let b = 0; b <= top; b++) mean += (b + 0.5) * w * counts[b]!;
  return {
    dmin: edge(first + 1),
    dmax: edge(top + 1),
    dmean: mean / n,
    d98: dx(98), d95: dx(95), d50: dx(50), d2: dx(2),
    v95Percent: v(0.95), v100Percent: v(1),
    dvh: { binWidth: w, dose: rel.map((_, b) => edge(b)), volumeCc: Array.from(cum, (c) => c * voxelVolumeCc), volumePercent: rel },
  };
}

/**
 * Ascending copy of a Float32Array by a two-pass LSD radix sort on the IEEE bits (negative values
 * have all bits flipped, others the sign bit): O(n), several times faster than sort() on the
 * millions of samples of a body contour. The values must be finite (checked by the caller).
 */
export function sortFloat32(values: Float32Array): Float32Array {
  const n = values.length;
  if (n < 4096) return Float32Array.from(values).sort();
  const src = new Uint32Array(Float32Array.from(values).buffer);
  for (let t = 0; t < n; t++) {
    const b = src[t]!;
    src[t] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  const tmp = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (const [from, to, shift] of [[src, tmp, 0], [tmp, src, 16]] as const) {
    count.fill(0);
    for (let t = 0; t < n; t++) count[(from[t]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let t = 0; t < n; t++) {
      const v = from[t]!;
      to[count[(v >>> shift) & 0xffff]!++] = v;
    }
  }
  for (let t = 0; t < n; t++) {
    const b = src[t]!;
    src[t] = b & 0x80000000 ? (b & 0x7fffffff) >>> 0 : ~b >>> 0;
  }
  return new Float32Array(src.buffer);
}
