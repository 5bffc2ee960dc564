/**
 * lib/nifti against nibabel 5.0 (Debian python3-nibabel).
 * Fixtures: tests/fixtures/nifti/*.nii(.gz) and nibabel-reference.json, made by
 *   npx tsx tests/reference/nifti/write-ours-fixture.ts
 *   /usr/bin/python3 tests/reference/nifti/make_nifti_fixtures.py
 * nibabel's RAS affine A is converted to LPS in the script as diag(-1,-1,1)·A; values are
 * nibabel's get_fdata() flattened in Fortran order (= our index order).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Grid } from '@/lib/core/volume';
import { encodeNifti, parseNifti, readMask, readNifti } from '@/lib/nifti';
import { oursFixtureVolume } from '../../reference/nifti/ours-fixture-volume';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const FIX = 'tests/fixtures/nifti';
const SHARED = sharedDataPath('totalsegmentator');

interface RefGrid {
  dims: number[];
  spacingMm: number[];
  originMm: number[];
  direction: number[];
}
interface RefImage {
  file: string;
  niftiVersion: number;
  datatype: string;
  sformCode: number;
  qformCode: number;
  grid: RefGrid;
  qformGrid: RefGrid | null;
  values?: number[];
  sampleIndices?: number[];
  sampleValues?: number[];
  sum?: number;
  indexWeightedSumMod?: number;
  min?: number;
  max?: number;
  labelCounts?: Record<string, number>;
}
const ref = JSON.parse(readFileSync(`${FIX}/nibabel-reference.json`, 'utf8')) as {
  nibabelWritten: RefImage[];
  writtenByIseg: RefImage;
  shared: Record<string, RefImage>;
};

function expectGrid(actual: Grid, expected: RefGrid, tol = 1e-5) {
  expect(actual.dims).toEqual(expected.dims);
  for (let n = 0; n < 3; n++) {
    expect(actual.spacingMm[n]).toBeCloseTo(expected.spacingMm[n], 5);
    expect(Math.abs(actual.originMm[n] - expected.originMm[n])).toBeLessThan(tol * 100);
  }
  for (let n = 0; n < 9; n++) expect(Math.abs(actual.direction[n] - expected.direction[n])).toBeLessThan(tol);
}

describe('reading files written by nibabel', () => {
  for (const r of ref.nibabelWritten) {
    it(`${r.file}: geometry, datatype and every voxel match nibabel`, () => {
      const v = readNifti(`${FIX}/${r.file}`);
      expect(v.nifti.version).toBe(r.niftiVersion);
      expect(v.nifti.datatype).toBe(r.datatype);
      expect(v.nifti.affineSource).toBe(r.sformCode > 0 ? 'sform' : 'qform');
      expectGrid(v.grid, r.grid);
      const values = r.values!;
      expect(v.data.length).toBe(values.length);
      for (let n = 0; n < values.length; n++) {
        // float32 output for scaled and float64 data: compare to float32 precision.
        expect(Math.abs(v.data[n] - values[n])).toBeLessThanOrEqual(Math.abs(values[n]) * 1e-6 + 1e-9);
      }
    });
  }

  it('applies scl_slope/scl_inter (2, −1024) to the qform-only int16 file', () => {
    const v = readNifti(`${FIX}/nibabel-qform-oblique-scaled.nii.gz`);
    expect(v.data).toBeInstanceOf(Float32Array);
    expect(v.nifti.sclSlope).toBe(2);
    expect(v.nifti.sclInter).toBe(-1024);
    const raw = readNifti(`${FIX}/nibabel-qform-oblique-scaled.nii.gz`, { applyScaling: false });
    expect(raw.data).toBeInstanceOf(Int16Array);
    expect(v.data[5]).toBe(raw.data[5] * 2 - 1024);
  });
});

describe('our writer read by nibabel', () => {
  const r = ref.writtenByIseg;
  const vol = oursFixtureVolume();

  it('the committed fixture is exactly what the writer produces now', () => {
    const committed = gunzipSync(readFileSync(`${FIX}/${r.file}`));
    expect(Buffer.from(encodeNifti(vol)).equals(Buffer.from(committed))).toBe(true);
  });

  it('nibabel reads the same LPS geometry from the sform and the qform, and the same values', () => {
    expect(r.sformCode).toBe(1);
    expect(r.qformCode).toBe(1);
    expectGrid(vol.grid as Grid, r.grid, 1e-6);
    // The qform is stored as a float32 quaternion: agreement to ~1e-7 rad.
    expectGrid(vol.grid as Grid, r.qformGrid!, 2e-6);
    expect(Array.from(vol.data)).toEqual(r.values);
  });
});

describe.skipIf(!haveSharedData(SHARED))(referenceSuite(`TotalSegmentator examples (needs ${SHARED}; skipped when the shared data is absent)`), () => {
  for (const name of ['example_ct_sm.nii.gz', 'example_seg.nii.gz']) {
    it(`${name}: geometry, datatype, checksums and samples match nibabel`, () => {
      const r = ref.shared[name];
      const v = readNifti(`${SHARED}/${name}`);
      expect(v.nifti.datatype).toBe(r.datatype);
      expect(v.nifti.affineSource).toBe('sform');
      expectGrid(v.grid, r.grid);
      let sum = 0;
      let weighted = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let n = 0; n < v.data.length; n++) {
        const x = v.data[n];
        sum += x;
        weighted += x * (n % 9973);
        if (x < min) min = x;
        if (x > max) max = x;
      }
      expect(sum).toBe(r.sum);
      expect(weighted).toBe(r.indexWeightedSumMod);
      expect([min, max]).toEqual([r.min, r.max]);
      expect(r.sampleIndices!.map((i) => v.data[i])).toEqual(r.sampleValues);
    });
  }

  it('example_seg.nii.gz: voxel counts per label match nibabel, through readMask', () => {
    const r = ref.shared['example_seg.nii.gz'];
    const path = `${SHARED}/example_seg.nii.gz`;
    for (const [label, count] of Object.entries(r.labelCounts!)) {
      if (label === '0') continue;
      const m = readMask(path, { label: Number(label) });
      let c = 0;
      for (let n = 0; n < m.data.length; n++) c += m.data[n];
      expect(c, `label ${label}`).toBe(count);
    }
    expect(() => readMask(path)).toThrowError(/example_seg\.nii\.gz is not a binary mask: it holds the values 0, 1, 2, .*Pass a label/);
  });

  it('round trip: our write then our read reproduces the CT exactly, geometry included', () => {
    const v = readNifti(`${SHARED}/example_ct_sm.nii.gz`);
    const back = parseNifti(encodeNifti(v, { gzip: true }));
    expect(back.data).toBeInstanceOf(Int16Array);
    expect(
      Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength)),
    ).toBe(true);
    expect(back.grid.dims).toEqual(v.grid.dims);
    for (let n = 0; n < 3; n++) {
      expect(back.grid.spacingMm[n]).toBeCloseTo(v.grid.spacingMm[n], 5);
      expect(back.grid.originMm[n]).toBeCloseTo(v.grid.originMm[n], 4);
    }
    expect(back.grid.direction).toEqual(v.grid.direction);
  });
});
