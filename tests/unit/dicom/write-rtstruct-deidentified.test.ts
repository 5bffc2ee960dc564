/**
 * lib/dicom/write-rtstruct.ts `deidentify`: the de-identified export writes its structure sets
 * de-identified in one write. The reference is the way it did before: write the plain file, then
 * deidentifyDicom (dcmjs reads and re-writes it). The bytes must be the same, on an oblique grid
 * whose contour coordinates have fractions, with slice references, free text in the series
 * (planted names) and an approval; and the real identifiers must be gone.
 */
import { describe, expect, it } from 'vitest';
import { writeRtStruct, type WriteRtStructInput } from '@/lib/dicom/write-rtstruct';
import { deidentifyDicom } from '@/lib/dicom/deidentify';
import type { CtSeries, ImageSliceHeader } from '@/lib/dicom';
import type { Grid } from '@/lib/core/volume';
import { createUidRemapper } from '@/lib/server/deid/remap-uid';

const c = Math.cos(0.2);
const sn = Math.sin(0.2);
const grid: Grid = {
  dims: [40, 32, 12],
  spacingMm: [0.9765625, 1.171875, 2.5],
  originMm: [-250.123, -180.3, -12.5],
  direction: [c, sn, 0, -sn, c, 0, 0, 0, 1],
};

function ellipsoid(cx: number, cy: number, cz: number, r: number): { grid: Grid; data: Uint8Array } {
  const [nx, ny, nz] = grid.dims;
  const data = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) if (((i - cx) / r) ** 2 + ((j - cy) / (0.8 * r)) ** 2 + ((k - cz) / (0.4 * r)) ** 2 <= 1) data[i + nx * (j + ny * k)] = 1;
  return { grid, data };
}

const slices: ImageSliceHeader[] = Array.from({ length: grid.dims[2] }, (_, k) => ({
  file: `CT${k}.dcm`,
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  sopInstanceUid: `1.2.826.0.1.3680043.2.1125.9.${k + 1}`,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  modality: 'CT',
  patientId: 'MRN-778899',
  patientName: 'DOE^JANE',
  studyDate: '20260115',
  studyInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
  seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.1.2',
  frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.1.3',
  referringPhysicianName: 'HOUSE^GREGORY',
  rows: grid.dims[1],
  columns: grid.dims[0],
  pixelSpacingMm: [grid.spacingMm[1], grid.spacingMm[0]],
  imagePositionMm: [0, 0, k * 2.5],
  imageOrientation: [c, sn, 0, -sn, c, 0],
  rescaleSlope: 1,
  rescaleIntercept: -1024,
  bitsAllocated: 16,
  bitsStored: 16,
  pixelRepresentation: 0,
  samplesPerPixel: 1,
  numberOfFrames: 1,
  pixelDataEncapsulated: false,
}));
const series = {
  key: slices[0]!.seriesInstanceUid,
  seriesInstanceUid: slices[0]!.seriesInstanceUid,
  studyInstanceUid: slices[0]!.studyInstanceUid,
  frameOfReferenceUid: slices[0]!.frameOfReferenceUid,
  modality: 'CT',
  slices,
  slicePositionsMm: slices.map((_, k) => k * 2.5),
  grid,
  maxSliceResidualMm: 0,
  phase: null,
  loadable: true,
  findings: [],
} as unknown as CtSeries;

const deid = { pseudonym: 'PSEUDO-0001', dateShiftDays: -17, remapUid: createUidRemapper('test-secret') };

describe('writeRtStruct with deidentify', () => {
  it('writes the bytes deidentifyDicom makes of the plain file, identifiers gone', () => {
    const input: WriteRtStructInput = {
      series,
      structures: [
        { name: 'BODY', interpretedType: 'EXTERNAL', color: [0, 158, 115], mask: ellipsoid(20, 16, 6, 15) },
        { name: 'GTV', interpretedType: 'GTV', color: [0, 114, 178], mask: ellipsoid(17.3, 15.1, 5, 4.2) },
      ],
      label: 'Physician',
      seriesDescription: 'Physician structures CT',
      seriesNumber: 901,
      algorithmName: 'iSeg QA export',
      operatorsName: 'SMITH^ANNA',
      now: new Date('2026-02-03T04:05:06Z'),
      sopInstanceUid: '2.25.1111',
      seriesInstanceUid: '2.25.2222',
      approval: { reviewerName: 'JONES^PAT', at: new Date('2026-02-04T10:00:00Z') },
    };
    const expected = Buffer.from(deidentifyDicom(writeRtStruct(input).bytes, deid));
    const got = Buffer.from(writeRtStruct({ ...input, deidentify: deid }).bytes);
    expect(got.length).toBeGreaterThan(5000);
    expect(got.equals(expected)).toBe(true);
    const text = got.toString('latin1');
    for (const real of ['DOE^JANE', 'MRN-778899', 'HOUSE^GREGORY', 'SMITH^ANNA', 'JONES^PAT', '1.2.826.0.1.3680043.2.1125', '20260115', '2.25.1111'])
      expect(text, real).not.toContain(real);
    expect(text).toContain('PSEUDO-0001');
    expect(text).toContain(deid.remapUid(slices[3]!.sopInstanceUid));
  });
});
