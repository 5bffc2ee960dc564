/**
 * The demo cohort's scanner change (issue #17.7; docs/monitoring.md, "The demo's scanner change"):
 * from DEMO_SCANNER_CHANGE.fromStudyDate on, one institution scans on a new CT whose DICOM
 * Manufacturer / ManufacturerModelName / StationName differ and whose reconstruction kernel is
 * smoother: each axial slice is convolved in-plane with a 3 × 3 kernel (centre 12/24, the four
 * edge neighbours 2/24 each, the four corners 1/24 each; renormalised at the image border). The
 * tumour's edges blur into the lung, so the demo model (trained on the sharp images) segments
 * less of it and its agreement with the physician drops. The change is in the images, so it goes
 * through the real pipeline; the physician contours do not change. Before the date, and at the
 * other institutions, the scanner is the institution's own, with the standard kernel.
 */
export interface PhantomScanner {
  manufacturer: string;
  scannerModel: string;
  stationName: string;
  /** 'standard': the images as rendered; 'smooth': the in-plane smoothing above. */
  kernel: 'standard' | 'smooth';
}

export const DEMO_SCANNER_CHANGE = {
  institutionId: 'SYN-B',
  /** YYYYMMDD: about halfway through the demo's study dates (2016-01-01 to 2022-12-31). */
  fromStudyDate: '20190701',
  scanner: { manufacturer: 'SYNTHETIC', scannerModel: 'PhantomScan Ultra 256', stationName: 'PUCCT04', kernel: 'smooth' },
} as const satisfies { institutionId: string; fromStudyDate: string; scanner: PhantomScanner };

/** The scanner a study of `institution` on `studyDate` (YYYYMMDD) was acquired on. */
export function phantomScannerFor(
  institution: { id: string; manufacturer: string; scannerModel: string; stationName: string },
  studyDate: string,
): PhantomScanner {
  const c = DEMO_SCANNER_CHANGE;
  if (institution.id === c.institutionId && studyDate >= c.fromStudyDate) return { ...c.scanner };
  return { manufacturer: institution.manufacturer, scannerModel: institution.scannerModel, stationName: institution.stationName, kernel: 'standard' };
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
