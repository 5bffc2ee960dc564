/**
 * The demo cohort's scanner change (lib/core/phantom/scanner.ts, issue #17.7): one institution's
 * studies from the change date on are acquired on a new scanner (other DICOM names, a CT
 * smoother reconstruction kernel in the images); everything else about the patients is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { generatePatient, institutionOf, samplePatientSpec } from '../../../lib/core/phantom';
import { applyScannerKernel, DEMO_SCANNER_CHANGE } from '../../../lib/core/phantom/scanner';

const specs = Array.from({ length: 40 }, (_, i) => samplePatientSpec('iseg-demo', i));
const changed = specs.filter((s) => s.institutionId === DEMO_SCANNER_CHANGE.institutionId && s.studyDate >= DEMO_SCANNER_CHANGE.fromStudyDate);

describe('demo scanner change', () => {
  it('moves the later studies of one institution to the new scanner, and no other study', () => {
    // The 40-patient demo cohort has studies on both sides of the change at that institution.
    expect(changed.length).toBeGreaterThanOrEqual(5);
    expect(specs.filter((s) => s.institutionId === DEMO_SCANNER_CHANGE.institutionId).length - changed.length).toBeGreaterThanOrEqual(5);
    for (const s of specs) {
      const { institution } = institutionOf(s);
      if (changed.includes(s)) {
        expect(s.scanner).toEqual(DEMO_SCANNER_CHANGE.scanner);
        expect([institution.manufacturer, institution.scannerModel, institution.stationName]).toEqual(['SYNTHETIC', 'PhantomScan Ultra 256', 'PUCCT04']);
      } else {
        expect(s.scanner!.kernel).toBe('standard');
        expect(institution.scannerModel).not.toBe('PhantomScan Ultra 256');
      }
    }
  });

  it('changes the images by the smoothing kernel only; the masks are the same as without the change', () => {
    const spec = changed[0]!;
    const opts = { dims: [24, 24, 12] as [number, number, number], spacingMm: [13, 13, 16] as [number, number, number], phasePercents: [0, 50] };
    const withChange = generatePatient(spec, opts);
    const without = generatePatient({ ...spec, scanner: undefined }, opts);
    expect(withChange.physicianItv.data).toEqual(without.physicianItv.data);
    expect(withChange.truthItv.data).toEqual(without.truthItv.data);
    const sharp = without.phases[1]!.ct!.data as Int16Array;
    expect(withChange.phases[1]!.ct!.data).toEqual(applyScannerKernel(sharp, opts.dims, DEMO_SCANNER_CHANGE.scanner));
    expect(withChange.phases[1]!.ct!.data).not.toEqual(sharp);
  });

  it('smooths in-plane with weights 12 (centre), 2 (edge neighbours), 1 (corners) over 24, renormalised at the border', () => {
    // One slice, 3 × 3, a single bright voxel in the middle of a 0 HU image; a second slice stays 0 (no smoothing across slices).
    const d = new Int16Array(18);
    d[4] = 2400;
    const out = applyScannerKernel(d, [3, 3, 2], { kernel: 'smooth' });
    // Corner: weights in the image 12 + 2 + 2 + 1 = 17, the bright voxel is its corner: 2400 / 17 = 141.2.
    // Edge: 12 + 2·3 + 1·2 = 20, the bright voxel an edge neighbour: 2 · 2400 / 20 = 240. Centre: 12 · 2400 / 24 = 1200.
    expect([...out.slice(0, 9)]).toEqual([141, 240, 141, 240, 1200, 240, 141, 240, 141]);
    expect([...out.slice(9)]).toEqual(new Array(9).fill(0));
    expect(applyScannerKernel(d, [3, 3, 2], { kernel: 'standard' })).toBe(d);
  });
});
