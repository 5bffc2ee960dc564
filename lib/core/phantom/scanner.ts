/**
 * The demo cohort's scanner change (issue #17.7; docs/monitoring.md, "The demo's scanner change"):
 * from DEMO_SCANNER_CHANGE.fromStudyDate on, one institution scans on a new CT whose DICOM
 * Manufacturer / ManufacturerModelName / StationName differ and whose 4D CT protocol gives the
 * demo model harder images, in three ways that act on every voxel of the rendered CT:
 * - a smoother reconstruction kernel: each axial slice convolved in-plane with a 3 × 3 kernel
 *   (centre 12/24, the four edge neighbours 2/24 each, the four corners 1/24 each);
 * - thicker slices: a triangular slice sensitivity profile 12 mm wide at half maximum (weight
 *   1 − |Δz| / 12 mm for the slices within 12 mm; at the demo's 4 mm spacing 1, 2, 3, 2, 1 over
 *   5 slices), so the tumour's top and bottom fade into the lung (partial volume);
 * - a water calibration 80 HU low: every CT number 80 HU lower.
 * Each weighting is renormalised where it reaches the image border; values are clamped to
 * [−1024, 3071] as rendered. The tumour looks smaller and fainter, so the demo model (trained on
 * the sharp, calibrated images) segments less of it, more so for small tumours, and its agreement
 * with the physician drops gradually, not to nothing. The change is in the images, so it goes
 * through the real pipeline; the physician contours do not change. Before the date, and at the
 * other institutions, the scanner is the institution's own, with the standard reconstruction.
 */
import { DEFAULT_ALERT_CONFIG, type AlertConfig } from '../spc/alerts';
import { PhantomError } from './errors';

export interface PhantomScanner {
  manufacturer: string;
  scannerModel: string;
  stationName: string;
  /** 'standard': the images as rendered; 'smooth': the in-plane smoothing above. */
  kernel: 'standard' | 'smooth';
  /** Full width at half maximum (mm) of the triangular slice sensitivity profile; 0: each slice on its own. */
  sliceFwhmMm: number;
  /** Added to every CT number (HU): 0 for a calibrated scanner. */
  calibrationOffsetHu: number;
}

export const DEMO_SCANNER_CHANGE = {
  institutionId: 'SYN-B',
  /** YYYYMMDD: about halfway through the demo's study dates (2016-01-01 to 2022-12-31). */
  fromStudyDate: '20190701',
  scanner: {
    manufacturer: 'SYNTHETIC',
    scannerModel: 'PhantomScan Ultra 256',
    stationName: 'PUCCT04',
    kernel: 'smooth',
    sliceFwhmMm: 12,
    calibrationOffsetHu: -80,
  },
} as const satisfies { institutionId: string; fromStudyDate: string; scanner: PhantomScanner };

/**
 * The drift-alert configuration the demo seed stores as version 1 (docs/monitoring.md, "The demo's
 * scanner change"): the defaults, but a baseline of the first 8 studies of each series instead of
 * 20, because the 40-patient demo has only 16 studies at the institution that changes scanner, 9
 * of them before the change. A real department keeps the default (or saves its own).
 */
export const DEMO_ALERT_CONFIG: AlertConfig = { ...DEFAULT_ALERT_CONFIG, baselineN: 8 };

/** The scanner a study of `institution` on `studyDate` (YYYYMMDD) was acquired on. */
export function phantomScannerFor(
  institution: { id: string; manufacturer: string; scannerModel: string; stationName: string },
  studyDate: string,
): PhantomScanner {
  const c = DEMO_SCANNER_CHANGE;
  if (institution.id === c.institutionId && studyDate >= c.fromStudyDate) return { ...c.scanner };
  return {
    manufacturer: institution.manufacturer,
    scannerModel: institution.scannerModel,
    stationName: institution.stationName,
    kernel: 'standard',
    sliceFwhmMm: 0,
    calibrationOffsetHu: 0,
  };
}

/** Weights of the smooth kernel by |di| + |dj| (0 centre, 1 edge neighbour, 2 corner). */
const SMOOTH_WEIGHTS = [12, 2, 1] as const;

/**
 * The scanner's reconstruction kernel applied to a rendered CT (HU, index i + nx (j + ny k)):
 * a new array for 'smooth', the same one for 'standard'.
 */
export function applyScannerKernel(data: Int16Array, dims: readonly [number, number, number], scanner: Pick<PhantomScanner, 'kernel'>): Int16Array {
  if (scanner.kernel === 'standard') return data;
  const [nx, ny, nz] = dims;
  const out = new Int16Array(data.length);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        let sum = 0;
        let wsum = 0;
        for (let b = -1; b <= 1; b++)
          for (let a = -1; a <= 1; a++) {
            const x = i + a;
            const y = j + b;
            if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
            const w = SMOOTH_WEIGHTS[Math.abs(a) + Math.abs(b)]!;
            sum += w * data[x + nx * (y + ny * k)]!;
            wsum += w;
          }
        out[i + nx * (j + ny * k)] = Math.round(sum / wsum);
      }
  return out;
}

/**
 * The weights of a triangular slice sensitivity profile of full width at half maximum `fwhmMm`
 * on slices `spacingMm` apart: 1 − |Δz| / fwhmMm for the slices with Δz < fwhmMm, centre in the
 * middle ([1] for 0 or a width of at most one spacing).
 */
export function sliceProfileWeights(fwhmMm: number, spacingMm: number): number[] {
  if (!(fwhmMm >= 0) || !(spacingMm > 0))
    throw new PhantomError('INVALID_INPUT', `Slice profile: width ${fwhmMm} mm at spacing ${spacingMm} mm; give a width ≥ 0 and a spacing > 0.`);
  const half = Math.ceil(fwhmMm / spacingMm) - 1;
  if (half < 1) return [1];
  return Array.from({ length: 2 * half + 1 }, (_, n) => 1 - (Math.abs(n - half) * spacingMm) / fwhmMm);
}

/**
 * The scanner's slice sensitivity profile applied to a CT (HU, index i + nx (j + ny k)): each
 * slice the weighted mean of its neighbours along z (`profile`, centre in the middle; weights
 * renormalised at the first and last slices). The same array for a profile of length 1.
 */
export function applySliceProfile(data: Int16Array, dims: readonly [number, number, number], profile: readonly number[]): Int16Array {
  if (profile.length % 2 === 0 || profile.some((w) => !(w > 0)))
    throw new PhantomError('INVALID_INPUT', `Slice profile [${profile.join(', ')}]: give an odd number of positive weights, centre in the middle.`);
  if (profile.length === 1) return data;
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const half = (profile.length - 1) / 2;
  const out = new Int16Array(data.length);
  for (let k = 0; k < nz; k++) {
    let wsum = 0;
    for (let t = -half; t <= half; t++) if (k + t >= 0 && k + t < nz) wsum += profile[t + half]!;
    for (let p = 0; p < plane; p++) {
      let sum = 0;
      for (let t = -half; t <= half; t++) {
        const kk = k + t;
        if (kk >= 0 && kk < nz) sum += profile[t + half]! * data[p + plane * kk]!;
      }
      out[p + plane * k] = Math.round(sum / wsum);
    }
  }
  return out;
}

/**
 * The whole reconstruction of `scanner` applied to a rendered CT on slices `sliceSpacingMm`
 * apart: the in-plane kernel, then the slice profile, then the calibration offset (clamped to
 * [−1024, 3071]). The same array for the standard reconstruction.
 */
export function applyScannerReconstruction(
  data: Int16Array,
  dims: readonly [number, number, number],
  sliceSpacingMm: number,
  scanner: Pick<PhantomScanner, 'kernel' | 'sliceFwhmMm' | 'calibrationOffsetHu'>,
): Int16Array {
  let out = applySliceProfile(applyScannerKernel(data, dims, scanner), dims, sliceProfileWeights(scanner.sliceFwhmMm, sliceSpacingMm));
  const offset = scanner.calibrationOffsetHu;
  if (offset !== 0) {
    if (out === data) out = new Int16Array(data);
    for (let n = 0; n < out.length; n++) {
      const v = out[n]! + offset;
      out[n] = v < -1024 ? -1024 : v > 3071 ? 3071 : v;
    }
  }
  return out;
}
