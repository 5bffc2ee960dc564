/**
 * The demo cohort's scanner change (lib/core/phantom/scanner.ts, issue #17.7): one institution's
 * studies from the change date on are acquired on a new scanner (other DICOM names; in the
 * images a smoother kernel, thick slices and a calibration offset); everything else about the
 * patients is unchanged. Whether it raises an alarm: tests/unit/spc/demo-scanner-signal.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { generatePatient, institutionOf, samplePatientSpec } from '../../../lib/core/phantom';
import { applyScannerKernel, applyScannerReconstruction, applySliceProfile, DEMO_SCANNER_CHANGE, sliceProfileWeights } from '../../../lib/core/phantom/scanner';

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
        expect(s.scanner).toMatchObject({ kernel: 'standard', sliceFwhmMm: 0, calibrationOffsetHu: 0 });
        expect(institution.scannerModel).not.toBe('PhantomScan Ultra 256');
      }
    }
  });

  it('changes the images by the reconstruction only; the masks are the same as without the change', () => {
    const spec = changed[0]!;
    // 4 mm slices, as the demo's: the 12 mm slice profile spans 5 slices.
    const opts = { dims: [24, 24, 48] as [number, number, number], spacingMm: [13, 13, 4] as [number, number, number], phasePercents: [0, 50] };
    const withChange = generatePatient(spec, opts);
    const without = generatePatient({ ...spec, scanner: undefined }, opts);
    expect(withChange.physicianItv.data).toEqual(without.physicianItv.data);
    expect(withChange.truthItv.data).toEqual(without.truthItv.data);
    const sharp = without.phases[1]!.ct!.data as Int16Array;
    expect(withChange.phases[1]!.ct!.data).toEqual(applyScannerReconstruction(sharp, opts.dims, 4, DEMO_SCANNER_CHANGE.scanner));
    expect(withChange.phases[1]!.ct!.data).not.toEqual(sharp);
    // The calibration offset: the air outside the body (−1000 HU, noise clamped at −1024) reads 80 HU lower, clamped.
    const corner = (d: Int16Array) => d[0]!;
    expect(corner(withChange.phases[1]!.ct!.data as Int16Array)).toBeLessThan(-1000);
  });

  it('the slice profile: triangular, 12 mm at half maximum: 1, 2, 3, 2, 1 on 4 mm slices, none on 12 mm slices', () => {
    expect(sliceProfileWeights(12, 4).map((w) => w * 3)).toEqual([1, 2, 3, 2, 1].map((w) => expect.closeTo(w, 12)));
    expect(sliceProfileWeights(12, 3).map((w) => w * 4)).toEqual([1, 2, 3, 4, 3, 2, 1].map((w) => expect.closeTo(w, 12)));
    expect(sliceProfileWeights(12, 12)).toEqual([1]);
    expect(sliceProfileWeights(0, 4)).toEqual([1]);
    expect(() => sliceProfileWeights(-1, 4)).toThrow(/width -1 mm at spacing 4 mm/);
    // One voxel column of 6 slices, a 900 HU slice at k = 2 in 0 HU; weights 1, 2, 3, 2, 1.
    const d = new Int16Array(6);
    d[2] = 900;
    // k = 0: slices 0–2 in the image, weights 3, 2, 1 (sum 6): 900 · 1 / 6 = 150. k = 1: weights 2, 3, 2, 1 (8): 900 · 2 / 8 = 225.
    // k = 2: 1, 2, 3, 2, 1 (9): 300. k = 3: 1, 2, 3, 2, 1 (9): 900 · 2 / 9 = 200. k = 4: 1, 2, 3, 2 (8), 900 · 1 / 8 = 112.5 → 113. k = 5: 1, 2, 3 (6): 0.
    expect([...applySliceProfile(d, [1, 1, 6], [1, 2, 3, 2, 1])]).toEqual([150, 225, 300, 200, 113, 0]);
    expect(applySliceProfile(d, [1, 1, 6], [1])).toBe(d);
    expect(() => applySliceProfile(d, [1, 1, 6], [1, 2])).toThrow(/odd number of positive weights/);
    // The whole reconstruction: the profile, then −80 HU, clamped at −1024.
    const air = Int16Array.from([-1000, -1000, -1000]);
    expect([...applyScannerReconstruction(air, [1, 1, 3], 4, { kernel: 'standard', sliceFwhmMm: 0, calibrationOffsetHu: -80 })]).toEqual([-1024, -1024, -1024]);
    expect([...applyScannerReconstruction(d, [1, 1, 6], 4, { kernel: 'standard', sliceFwhmMm: 12, calibrationOffsetHu: -80 })]).toEqual([
      70, 145, 220, 120, 33, -80,
    ]);
    expect(applyScannerReconstruction(d, [1, 1, 6], 4, { kernel: 'standard', sliceFwhmMm: 0, calibrationOffsetHu: 0 })).toBe(d);
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
