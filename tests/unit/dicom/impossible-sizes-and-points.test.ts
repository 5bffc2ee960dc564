/**
 * Input that used to crash lib/dicom (issue 12 item 8), now a named finding or error:
 * - Rows = Columns = 65535: buildSeries refuses the series (VOLUME_TOO_LARGE) before anything
 *   is allocated; loadCtVolume, handed such a grid anyway, fails with a DicomError naming it
 *   instead of a RangeError from the allocation;
 * - NaN in ContourData: rasterizeRoi skips that contour with CONTOUR_INVALID_POINTS naming the ROI,
 *   the contour and the slice, and rasterises the rest (the rasteriser itself throws on NaN).
 */
import { describe, expect, it } from 'vitest';
import { IDENTITY_DIRECTION, type Grid, type Vec3 } from '@/lib/core/volume';
import { buildSeries, loadCtVolume, MAX_SERIES_VOXELS, rasterizeRoi, type ImageSliceHeader, type RtStructureSet } from '@/lib/dicom';
import { DicomError } from '@/lib/dicom/findings';

function header(over: Partial<ImageSliceHeader> & { imagePositionMm: Vec3 }): ImageSliceHeader {
  return {
    file: `slice-${over.imagePositionMm[2]}.dcm`,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sopInstanceUid: `1.2.3.${over.imagePositionMm[2] + 100}`,
    modality: 'CT',
    seriesInstanceUid: '1.2.3',
    frameOfReferenceUid: '1.2.3.9',
    rows: 4,
    columns: 5,
    pixelSpacingMm: [1, 1],
    imageOrientation: [1, 0, 0, 0, 1, 0],
    rescaleSlope: 1,
    rescaleIntercept: -1024,
    bitsAllocated: 16,
    bitsStored: 12,
    pixelRepresentation: 0,
    samplesPerPixel: 1,
    numberOfFrames: 1,
    pixelDataEncapsulated: false,
    ...over,
  };
}

const stack = (n: number, over: Partial<ImageSliceHeader> = {}) => Array.from({ length: n }, (_, k) => header({ ...over, imagePositionMm: [0, 0, 2 * k] }));

describe('impossible image sizes', () => {
  it('refuses Rows = Columns = 65535 with VOLUME_TOO_LARGE naming the size and what to check', () => {
    const s = buildSeries('1.2.3', stack(16, { rows: 65535, columns: 65535 }));
    expect(s.grid).toBeNull();
    expect(s.loadable).toBe(false);
    expect(s.findings.map((f) => [f.code, f.severity])).toEqual([['VOLUME_TOO_LARGE', 'error']]);
    expect(s.findings[0].message).toMatch(
      /^Series 1\.2\.3: 65535×65535 pixels × 16 slices \(Rows×Columns × slices\) is 68,717,379,600 voxels, over the 536,870,912/,
    );
    expect(s.findings[0].message).toContain('Check Rows/Columns (0028,0010/0011) in slice-0.dcm');
  });

  it('accepts a series up to the limit, and the limit can be set', () => {
    expect(MAX_SERIES_VOXELS).toBe(512 * 512 * 2048);
    const ok = buildSeries('1.2.3', stack(2, { rows: 512, columns: 512 }));
    expect(ok.findings).toEqual([]);
    expect(ok.loadable).toBe(true);
    const refused = buildSeries('1.2.3', stack(3, { rows: 4, columns: 5 }), { maxVoxels: 59 });
    expect(refused.findings.map((f) => f.code)).toEqual(['VOLUME_TOO_LARGE']);
    expect(buildSeries('1.2.3', stack(3, { rows: 4, columns: 5 }), { maxVoxels: 60 }).loadable).toBe(true);
  });

  it('loadCtVolume, given such a grid anyway, fails with a named DicomError instead of a RangeError', async () => {
    const s = buildSeries('1.2.3', stack(16));
    const huge = { ...s, grid: { ...s.grid!, dims: [65535, 65535, 16] as Vec3 } };
    const err = await loadCtVolume(huge, { readBytes: async () => new Uint8Array(0) }).catch((e) => e);
    expect(err).toBeInstanceOf(DicomError);
    expect(err).toMatchObject({ code: 'INVALID_INPUT' });
    expect(err.findings.map((f: { code: string }) => f.code)).toEqual(['VOLUME_TOO_LARGE']);
    expect(err.message).toMatch(/^Series 1\.2\.3: 65535×65535 pixels × 16 slices .* cannot be held in memory/);
  });
});

describe('non-numeric contour points', () => {
  const grid: Grid = { dims: [10, 10, 4], spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
  const square = (z: number) => Float64Array.from([2, 2, z, 7, 2, z, 7, 7, z, 2, 7, z]);

  const structureSet = (contours: Float64Array[], refs: string[][] = []): RtStructureSet => ({
    file: 'rs.dcm',
    sopInstanceUid: '9.9',
    referencedSeriesUids: [],
    referencedImageSopUids: [],
    findings: [],
    rois: [
      {
        number: 3,
        name: 'GTV',
        contours: contours.map((pointsMm, n) => ({ geometricType: 'CLOSED_PLANAR', pointsMm, referencedSopInstanceUids: refs[n] ?? [] })),
      },
    ],
  });

  it('skips the contour with NaN, naming ROI, contour and slice (from its numeric points), and rasterises the others', () => {
    const poisoned = square(4);
    poisoned[3] = NaN;
    const r = rasterizeRoi({ structureSet: structureSet([square(2), poisoned, square(6)]), roi: 'GTV', grid });
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['CONTOUR_INVALID_POINTS', 'warning']]);
    expect(r.findings[0].message).toMatch(
      /^ROI 3 "GTV" \(rs\.dcm\): contour 2 on slice 2 \(z 4 mm\): 1 of 12 coordinates are not numbers \(NaN\)\. That contour is skipped/,
    );
    const perSlice = [0, 1, 2, 3].map((k) => r.mask!.data.subarray(k * 100, (k + 1) * 100).reduce((a, b) => a + b, 0));
    expect(perSlice).toEqual([0, 25, 0, 25]);
  });

  it('takes the slice from the contour’s image reference when it has one, and says when the slice cannot be told', () => {
    const allNaN = new Float64Array(12).fill(NaN);
    const sops = ['1.1', '1.2', '1.3', '1.4'];
    const r = rasterizeRoi({ structureSet: structureSet([allNaN, allNaN.slice()], [['1.3'], []]), roi: 3, grid, sliceSopInstanceUids: sops });
    expect(r.findings.map((f) => f.code)).toEqual(['CONTOUR_INVALID_POINTS']);
    expect(r.findings[0].message).toContain('contour 1 on slice 2 (z 4 mm): 12 of 12 coordinates');
    expect(r.findings[0].message).toContain('contour 2 on a slice that cannot be told');
    expect(r.findings[0].message).toContain('Those contours are skipped');
    expect(r.mask!.data.every((v) => v === 0)).toBe(true);
  });
});
