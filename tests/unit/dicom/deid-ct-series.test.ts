/**
 * lib/dicom/deid-ct-series.ts: the de-identified export's CT slices, written from a template
 * header and the attributes that vary per slice. The reference is the full path the export took
 * before (encodeCtSeries, then deidentifyDicom of each whole file): every slice must be the same
 * bytes, on an axial and an oblique grid, a 4D CT phase (temporal attributes), HU with fractions
 * (a Float32 volume, rounded) and the stored Int16 volume; `strict` makes a fallback to the full
 * path an error, so these tests fail if the fast path stops applying. A volume outside the
 * storable range is refused with the writer's error.
 */
import { describe, expect, it } from 'vitest';
import { CtSeriesWriteError, encodeCtSeries, type CtSeriesMetadata } from '@/lib/dicom/write-ct-series';
import { deidentifyDicom } from '@/lib/dicom/deidentify';
import { encodeDeidentifiedCtSeries } from '@/lib/dicom/deid-ct-series';
import { createUidRemapper } from '@/lib/server/deid/remap-uid';
import type { Grid, VoxelArray } from '@/lib/core/volume';

const deid = { pseudonym: 'PSEUDO-0001', dateShiftDays: -17, remapUid: createUidRemapper('test-secret') };
const meta: CtSeriesMetadata = {
  patientName: 'DOE^JANE',
  patientId: 'MRN-778899',
  studyInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
  seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.1.2',
  frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.1.3',
  studyDate: '20260115',
  seriesNumber: 103,
  seriesDescription: '4D CT phase 30%',
  manufacturer: 'ACME',
  manufacturerModelName: 'Scan 9',
  institutionName: 'St Elsewhere Hospital',
  temporalPositionIndex: 4,
  numberOfTemporalPositions: 10,
};
const axial: Grid = { dims: [19, 12, 14], spacingMm: [0.9765625, 0.9765625, 2.5], originMm: [-250.1, -180.3, -12.5], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
const c = Math.cos(0.3);
const sn = Math.sin(0.3);
const oblique: Grid = { dims: [9, 7, 5], spacingMm: [1.1, 0.7, 3], originMm: [10.123456789, -5.5, 1e-7], direction: [c, 0, -sn, 0, 1, 0, sn, 0, c] };

function reference(grid: Grid, data: VoxelArray, m: CtSeriesMetadata): Buffer[] {
  return encodeCtSeries({ grid, data }, m).map((f) => Buffer.from(deidentifyDicom(f.bytes, deid)));
}

describe('encodeDeidentifiedCtSeries', () => {
  it.each([
    ['an axial 4D CT phase, Int16 HU', axial, (n: number) => new Int16Array(n).map((_, i) => ((i * 7919) % 3000) - 1024), meta],
    [
      'an oblique series, Float32 HU with fractions',
      oblique,
      (n: number) => new Float32Array(n).map((_, i) => ((i * 37) % 900) - 1023.6),
      { ...meta, temporalPositionIndex: undefined, numberOfTemporalPositions: undefined },
    ],
  ] as const)('writes %s byte for byte as deidentifyDicom(encodeCtSeries(…)) does', (_, grid, values, m) => {
    const data = values(grid.dims[0] * grid.dims[1] * grid.dims[2]);
    const expected = reference(grid, data, m);
    const plain = encodeCtSeries({ grid, data }, m);
    const got = encodeDeidentifiedCtSeries({ grid, data }, m, deid, { strict: true });
    expect(got).toHaveLength(grid.dims[2]);
    got.forEach((f, k) => {
      expect(Buffer.from(f.bytes).equals(expected[k]!), `slice ${k}`).toBe(true);
      // The real names and UIDs, for an RTSTRUCT that references the slices (de-identified the same way).
      expect(f.fileName).toBe(plain[k]!.fileName);
      expect(f.sopInstanceUid).toBe(plain[k]!.sopInstanceUid);
      expect(f.imagePositionPatientMm).toEqual(plain[k]!.imagePositionPatientMm);
      const text = Buffer.from(f.bytes).toString('latin1');
      expect(text).not.toContain('DOE^JANE');
      expect(text).not.toContain('St Elsewhere');
      expect(text).not.toContain(plain[k]!.sopInstanceUid);
      expect(text).toContain(deid.remapUid(plain[k]!.sopInstanceUid));
    });
  });

  it('refuses HU below −1024 with the writer’s error, naming the voxel', () => {
    const data = new Int16Array(19 * 12 * 14).fill(0);
    data[19 * 12 * 3 + 19 * 2 + 5] = -2000;
    expect(() => encodeDeidentifiedCtSeries({ grid: axial, data }, meta, deid)).toThrow(CtSeriesWriteError);
    expect(() => encodeDeidentifiedCtSeries({ grid: axial, data }, meta, deid)).toThrow(/\(5, 2, 3\) is -2000 HU/);
  });
});
