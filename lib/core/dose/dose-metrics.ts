/**
 * DVH and dose metrics of one structure from its dose samples (one sample per voxel, every voxel
 * of the structure the same volume). Pure; no I/O. Conventions: docs/dose.md.
 *
 * - volumeCc = samples × voxel volume; Dmin / Dmax / Dmean over the samples (Dmean is the plain
 *   mean, every voxel weighing the same).
 * - Dx (D98, D95, D50, D2): the minimum dose received by the hottest x % of the volume, without
 *   binning: the dose of the sample at which the cumulative volume (hottest first) first reaches
 *   x % of the structure (the ⌈x·n/100⌉-th hottest sample; found through the DVH histogram and a
 *   sort of one bin, not of every sample). D100 would be Dmin; Dx → 0 is Dmax.
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
      voxels: 0,
      volumeCc: 0,
      outsideVolumeCc,
      dmin: null,
      dmean: null,
      dmax: null,
      d98: null,
      d95: null,
      d50: null,
      d2: null,
      v95Percent: null,
      v100Percent: null,
      prescription,
      dvh: { binWidth, dose: [0], volumeCc: [0], volumePercent: [0] },
    };
  // One pass: finiteness, min, max, sum, the V95/V100 counts and the histogram on
  // e = floor(d / w + 1e-9) (so e ≥ b ⇔ d ≥ b·w within float noise); negative doses apart.
  let dmin = Infinity;
  let dmax = -Infinity;
  let sum = 0;
  let at95 = 0;
  let at100 = 0;
  const t95 = prescription === null ? Infinity : 0.95 * prescription;
  const t100 = prescription === null ? Infinity : prescription;
  const exact = input.histogram === undefined || input.histogram === 'exact';
  let hist = new Float64Array(1024);
  let negative = 0;
  let zeros = 0;
  let belowZero = 0;
  for (let t = 0; t < n; t++) {
    const v = doses[t]!;
    if (!Number.isFinite(v)) throw new DoseError(`Dose sample ${t} is ${v}: the dose grid holds a non-finite value; check the RTDOSE file.`);
    if (v < dmin) dmin = v;
    if (v > dmax) dmax = v;
    sum += v;
    if (v >= t95) at95++;
    if (v >= t100) at100++;
    if (v <= 0) {
      if (v === 0) zeros++;
      else belowZero++;
    }
    if (!exact) continue;
    const e = Math.floor(v / binWidth + 1e-9);
    if (e < 0) negative++;
    else {
      if (e >= hist.length) {
        if (e > 1e6) throw new DoseError(`The DVH would have more than ${e} bins (dose ${v} at bin width ${binWidth}): use a wider bin.`);
        const grown = new Float64Array(Math.max(e + 1, 2 * hist.length));
        grown.set(hist);
        hist = grown;
      }
      hist[e]!++;
    }
  }
  // DVH: d = b·w for b = 0 … floor(Dmax / w) + 1; volume ≥ d.
  const bins = Math.floor(Math.max(0, dmax) / binWidth) + 2;
  if (bins > 1e6) throw new DoseError(`The DVH would have ${bins} bins (Dmax ${dmax} at bin width ${binWidth}): use a wider bin.`);
  if (input.histogram === 'dicompyler')
    return { ...dicompylerBinned(doses, dmax, binWidth, voxelVolumeCc, prescription), voxels: n, volumeCc, outsideVolumeCc, prescription };
  if (input.histogram === 'plastimatch')
    return {
      ...plastimatchBinned(doses, dmax, binWidth, voxelVolumeCc, prescription),
      voxels: n,
      volumeCc,
      outsideVolumeCc,
      dmin,
      dmean: sum / n,
      dmax,
      prescription,
    };
  if (hist.length < bins) {
    const grown = new Float64Array(bins);
    grown.set(hist);
    hist = grown;
  }
  const cum = new Float64Array(bins + 1);
  for (let b = bins - 1; b >= 0; b--) cum[b] = cum[b + 1]! + (hist[b] ?? 0);
  // Dx without sorting everything: the bin holding the need-th hottest sample, then that bin sorted.
  const wanted = [98, 95, 50, 2].map((x) => Math.max(1, Math.ceil((x / 100) * n - 1e-9)));
  const binOf = (need: number) => {
    if (need > cum[0]!) return -1; // among the negative doses
    let lo = 0;
    let hi = bins - 1;
    // largest b with cum[b] ≥ need (cum is non-increasing)
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (cum[mid]! >= need) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const targetBins = wanted.map(binOf);
  // Rank of each Dx within its bin: the (need − above)-th largest = the (size − (need − above))-th
  // smallest (0-based). Without negative doses, the smallest values of bin 0 are its exact zeros
  // (a structure partly outside the dose grid, or far from the beams: most of a body contour): a Dx
  // ranked among them is 0, and the others of bin 0 are searched among its non-zero values only.
  const zerosFirst = belowZero === 0 && zeros > 0;
  const dxs: number[] = new Array(wanted.length);
  const rank: number[] = new Array(wanted.length);
  const members = new Map<number, { values: Float32Array; filled: number }>();
  wanted.forEach((need, q) => {
    const b = targetBins[q]!;
    const size = b < 0 ? negative : hist[b]!;
    let k = size - (need - (b < 0 ? cum[0]! : cum[b + 1]!));
    if (b === 0 && zerosFirst) {
      if (k < zeros) {
        dxs[q] = 0;
        return;
      }
      k -= zeros;
    }
    rank[q] = k;
    if (!members.has(b)) members.set(b, { values: new Float32Array(b === 0 && zerosFirst ? size - zeros : size), filled: 0 });
  });
  if (members.size > 0) {
    // Only samples that can fall in a searched bin need their bin computed.
    const lowest = Math.min(...members.keys());
    const lowV = lowest < 0 ? -Infinity : (lowest - 1) * binWidth;
    const highV = (Math.max(...members.keys()) + 2) * binWidth;
    for (let t = 0; t < n; t++) {
      const v = doses[t]!;
      if (v < lowV || v >= highV || (v === 0 && zerosFirst)) continue;
      const e = Math.floor(v / binWidth + 1e-9);
      const m = members.get(e < 0 ? -1 : e);
      if (m) m.values[m.filled++] = v;
    }
  }
  // Dx that share a bin (the low-dose bin of a body contour often holds D98, D95 and D50) are
  // selected together, in one pass per radix digit.
  for (const [b, { values }] of members) {
    const qs = wanted.map((_, q) => q).filter((q) => targetBins[q] === b && rank[q] !== undefined);
    const got = kthsInBin(
      values,
      qs.map((q) => rank[q]!),
    );
    qs.forEach((q, i) => (dxs[q] = got[i]!));
  }
  const dose: number[] = [];
  const volCc: number[] = [];
  const volPct: number[] = [];
  for (let b = 0; b < bins; b++) {
    dose.push(Number((b * binWidth).toPrecision(12)));
    volCc.push(cum[b]! * voxelVolumeCc);
    volPct.push((100 * cum[b]!) / n);
  }
  return {
    voxels: n,
    volumeCc,
    outsideVolumeCc,
    dmin,
    dmean: sum / n,
    dmax,
    d98: dxs[0]!,
    d95: dxs[1]!,
    d50: dxs[2]!,
    d2: dxs[3]!,
    v95Percent: prescription === null ? null : (100 * at95) / n,
    v100Percent: prescription === null ? null : (100 * at100) / n,
    prescription,
    dvh: { binWidth, dose, volumeCc: volCc, volumePercent: volPct },
  };
}

/** DVH, Dx and Vy from plastimatch's binning (see DoseMetricsInput.histogram). */
function plastimatchBinned(doses: Float32Array, dmax: number, w: number, voxelVolumeCc: number, prescription: number | null) {
  const n = doses.length;
  const bin = (d: number) => Math.max(0, Math.floor(d / w + 0.5));
  const top = bin(dmax);
  const counts = new Float64Array(top + 2);
  for (let t = 0; t < n; t++) counts[bin(doses[t]!)]! += 1;
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
  return {
    d98: dx(98),
    d95: dx(95),
    d50: dx(50),
    d2: dx(2),
    v95Percent: v(0.95),
    v100Percent: v(1),
    dvh: { binWidth: w, dose, volumeCc: volCc, volumePercent: volPct },
  };
}

/** DVH and statistics as dicompyler-core's DVH object computes them (see DoseMetricsInput.histogram). */
function dicompylerBinned(doses: Float32Array, dmax: number, w: number, voxelVolumeCc: number, prescription: number | null) {
  const n = doses.length;
  const bin = (d: number) => Math.max(0, Math.floor(d / w + 1e-9));
  const top = bin(dmax);
  const counts = new Float64Array(top + 1);
  for (let t = 0; t < n; t++) counts[bin(doses[t]!)]! += 1;
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
    d98: dx(98),
    d95: dx(95),
    d50: dx(50),
    d2: dx(2),
    v95Percent: v(0.95),
    v100Percent: v(1),
    dvh: { binWidth: w, dose: rel.map((_, b) => edge(b)), volumeCc: Array.from(cum, (c) => c * voxelVolumeCc), volumePercent: rel },
  };
}

/**
 * The ks-th smallest (0-based) of the values of one DVH bin. A large bin (the low-dose bins of a
 * body contour hold millions of samples) is searched by radix selection on the float's bits (an
 * order-preserving unsigned key): one histogram of the high 16 bits for all ks, then one pass for
 * the low 16 bits within the buckets found; no comparisons.
 */
function kthsInBin(values: Float32Array, ks: readonly number[]): number[] {
  if (values.length < 4096) return ks.map((k) => selectKth(values, k));
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const key = (b: number) => (b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0);
  const hi = new Uint32Array(65536);
  for (let t = 0; t < bits.length; t++) hi[key(bits[t]!) >>> 16]!++;
  // For each k: its high bucket and the count below that bucket.
  const found = ks.map((k) => {
    let c = 0;
    let top = 0;
    while (c + hi[top]! <= k) c += hi[top++]!;
    return { k, top, below: c };
  });
  const lows = new Map<number, Uint32Array>();
  for (const f of found) if (!lows.has(f.top)) lows.set(f.top, new Uint32Array(65536));
  if (lows.size === 1) {
    const [top, lo] = [...lows][0]!;
    for (let t = 0; t < bits.length; t++) {
      const kk = key(bits[t]!);
      if (kk >>> 16 === top) lo[kk & 0xffff]!++;
    }
  } else
    for (let t = 0; t < bits.length; t++) {
      const kk = key(bits[t]!);
      const lo = lows.get(kk >>> 16);
      if (lo) lo[kk & 0xffff]!++;
    }
  return found.map(({ k, top, below }) => {
    const lo = lows.get(top)!;
    let c = below;
    let low = 0;
    while (c + lo[low]! <= k) c += lo[low++]!;
    const want = ((top << 16) | low) >>> 0;
    // Back from the key to the float.
    const b = want & 0x80000000 ? (want & 0x7fffffff) >>> 0 : ~want >>> 0;
    return new Float32Array(new Uint32Array([b]).buffer)[0]!;
  });
}

/** The k-th smallest value (0-based) of `a`, reordering `a` in place (Hoare quickselect, O(n) expected). */
function selectKth(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot
    const x = a[lo]!,
      y = a[mid]!,
      z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const tmp = a[i]!;
        a[i] = a[j]!;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
