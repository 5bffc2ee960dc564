/**
 * RTSTRUCT writer round trip: mask → contours → RTSTRUCT (dcmjs) → our reader (dicom-parser) →
 * rasteriser → the same mask, with every contour's image reference resolving to its slice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as dcmjsNs from 'dcmjs';
import {
  buildSeries,
  nameBasedUid,
  findReferencedSeries,
  rasterizeRoi,
  readDicom,
  seriesRasterTarget,
  writeRtStruct,
  type CtSeries,
  type ImageSliceHeader,
} from '@/lib/dicom';
import { type Grid, type Mask, voxelCount } from '@/lib/core/volume';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const dcmjs = ((dcmjsNs as any).default ?? dcmjsNs) as any;
const DATA = sharedDataPath();
const MOCK = join(DATA, 'rtutils/mock_data');
const tmp = mkdtempSync(join(tmpdir(), 'iseg-rtstruct-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function makeMask(grid: Grid, f: (i: number, j: number, k: number) => boolean): Mask {
  const [nx, ny, nz] = grid.dims;
  const data = new Uint8Array(voxelCount(grid));
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = f(i, j, k) ? 1 : 0;
  return { grid, data };
}

function sum(a: Uint8Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

/** A synthetic oblique, anisotropic 4-slice series (headers only: the writer needs no pixels). */
function obliqueSeries(): CtSeries {
  const row = [0.9541666, -0.2080757, 0.2151061];
  const col = [0.2785886, 0.880128, -0.3843997];
  const n = [row[1] * col[2] - row[2] * col[1], row[2] * col[0] - row[0] * col[2], row[0] * col[1] - row[1] * col[0]];
  const headers: ImageSliceHeader[] = [0, 1, 2, 3].map((k) => ({
    file: `o${k}.dcm`,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sopInstanceUid: `1.2.826.0.1.99.${k}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    modality: 'CT',
    seriesInstanceUid: '1.2.826.0.1.99',
    studyInstanceUid: '1.2.826.0.1.98',
    frameOfReferenceUid: '1.2.826.0.1.97',
    patientId: 'P1',
    rows: 30,
    columns: 40,
    pixelSpacingMm: [3.5, 2.5],
    imagePositionMm: [123 + 4.5 * k * n[0], -432 + 4.5 * k * n[1], 30 + 4.5 * k * n[2]],
    imageOrientation: [...row, ...col] as ImageSliceHeader['imageOrientation'],
    rescaleSlope: 1,
    rescaleIntercept: -1024,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    samplesPerPixel: 1,
    numberOfFrames: 1,
    pixelDataEncapsulated: false,
  }));
  return buildSeries('1.2.826.0.1.99', headers.reverse());
}

describe('writeRtStruct → readDicom → rasterizeRoi', () => {
  it('oblique anisotropic grid: rings with islands and noise come back voxel for voxel', async () => {
    const series = obliqueSeries();
    expect(series.findings).toEqual([]);
    const grid = series.grid!;
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    const ring = makeMask(grid, (i, j, k) => {
      const d = Math.hypot(i - 20, (j - 15) * 1.4);
      return (d < 12 && d > 6) || (d < 2.5 && k !== 1) || (k === 3 && i > 33 && j > 24);
    });
    const noise = makeMask(grid, (_i, _j, k) => k === 2 && rnd() < 0.4);
    const empty = makeMask(grid, () => false);
    const { bytes, sopInstanceUid } = writeRtStruct({
      series,
      structures: [
        { name: 'GTV ring', mask: ring, color: [0, 255, 0] },
        { name: 'Noise', mask: noise, interpretedType: 'CONTROL' },
        { name: 'Empty', mask: empty },
      ],
      label: 'iSeg test',
      now: new Date('2026-01-02T03:04:05Z'),
    });
    const file = join(tmp, 'oblique_rs.dcm');
    writeFileSync(file, bytes);
    const r = await readDicom([file]);
    expect(r.findings).toEqual([]);
    const ss = r.structureSets[0];
    expect(ss.sopInstanceUid).toBe(sopInstanceUid);
    expect(ss.sopInstanceUid).toMatch(/^2\.25\.\d+$/);
    expect(ss.frameOfReferenceUid).toBe('1.2.826.0.1.97');
    expect(ss.referencedSeriesUids).toEqual(['1.2.826.0.1.99']);
    expect(ss.referencedImageSopUids).toEqual(series.slices.map((h) => h.sopInstanceUid));
    expect(ss.rois.map((x) => [x.number, x.name, x.interpretedType, x.color])).toEqual([
      [1, 'GTV ring', 'GTV', [0, 255, 0]],
      [2, 'Noise', 'CONTROL', [255, 0, 0]],
      [3, 'Empty', 'GTV', [255, 0, 0]],
    ]);
    expect(ss.findings.map((f) => f.code)).toEqual(['ROI_WITHOUT_CONTOURS']);
    const target = seriesRasterTarget(series)!;
    for (const [name, mask] of [
      ['GTV ring', ring],
      ['Noise', noise],
      ['Empty', empty],
    ] as const) {
      const back = rasterizeRoi({ structureSet: ss, roi: name, ...target });
      expect(back.findings, name).toEqual([]);
      let differ = 0;
      for (let t = 0; t < mask.data.length; t++) if (back.mask!.data[t] !== mask.data[t]) differ++;
      expect(differ, name).toBe(0);
    }
    expect(sum(ring.data)).toBeGreaterThan(500);
  });

  it('slices without SOP Instance UIDs: no image references at all (not empty ones), and the mask still comes back', async () => {
    const series = obliqueSeries();
    const noUids: CtSeries = { ...series, slices: series.slices.map((h) => ({ ...h, sopInstanceUid: '' })) };
    const ring = makeMask(series.grid!, (i, j, k) => k !== 0 && Math.hypot(i - 20, j - 15) < 9);
    const file = join(tmp, 'no_uids_rs.dcm');
    writeFileSync(file, writeRtStruct({ series: noUids, structures: [{ name: 'GTV', mask: ring }] }).bytes);
    const r = await readDicom([file]);
    expect(r.findings).toEqual([]);
    const ss = r.structureSets[0];
    expect(ss.frameOfReferenceUid).toBe('1.2.826.0.1.97');
    expect(ss.referencedSeriesUids).toEqual([]);
    expect(ss.referencedImageSopUids).toEqual([]);
    expect(ss.rois[0].contours.length).toBeGreaterThan(0);
    expect(ss.rois[0].contours.every((c) => c.referencedSopInstanceUids.length === 0)).toBe(true);
    // Placed by coordinates alone (no slice UIDs to resolve), the contours rasterise to the mask.
    const back = rasterizeRoi({ structureSet: ss, roi: 'GTV', grid: series.grid!, sliceToleranceMm: 0.1 });
    expect(back.findings).toEqual([]);
    expect(Buffer.from(back.mask!.data).equals(Buffer.from(ring.data))).toBe(true);
  });

  it('fixed UIDs and an approval: the same UIDs come back, ApprovalStatus APPROVED with reviewer and review date; without one UNAPPROVED', () => {
    const series = obliqueSeries();
    const mask = makeMask(series.grid!, (i, j, k) => k === 1 && Math.hypot(i - 20, j - 15) < 6);
    const sop = nameBasedUid('iseg-test:sop');
    const ser = nameBasedUid('iseg-test:series');
    expect(sop).toMatch(/^2\.25\.\d+$/);
    expect(sop.length).toBeLessThanOrEqual(64);
    expect(nameBasedUid('iseg-test:sop')).toBe(sop);
    expect(ser).not.toBe(sop);
    const at = new Date('2026-12-06T10:11:12Z');
    const read = (bytes: Uint8Array) => {
      const f = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      return dcmjs.data.DicomMetaDictionary.naturalizeDataset(f.dict);
    };
    const approved = writeRtStruct({
      series,
      structures: [{ name: 'GTV', mask }],
      sopInstanceUid: sop,
      seriesInstanceUid: ser,
      approval: { reviewerName: 'Curie^Marie', at },
    });
    expect(approved.sopInstanceUid).toBe(sop);
    const a = read(approved.bytes);
    expect([a.SOPInstanceUID, a.SeriesInstanceUID, a.ApprovalStatus, a.ReviewDate, a.ReviewTime]).toEqual([sop, ser, 'APPROVED', '20261206', '101112']);
    expect(JSON.stringify(a.ReviewerName)).toContain('Curie^Marie');
    const u = read(writeRtStruct({ series, structures: [{ name: 'GTV', mask }] }).bytes);
    expect(u.ApprovalStatus).toBe('UNAPPROVED');
    expect(u.SOPInstanceUID).not.toBe(sop);
    expect(u.ReviewDate).toBeUndefined();
  });

  it('refuses a mask on another grid, and a series without a frame of reference', () => {
    const series = obliqueSeries();
    const other = makeMask({ ...series.grid!, dims: [40, 30, 3] }, () => true);
    expect(() => writeRtStruct({ series, structures: [{ name: 'x', mask: other }] })).toThrow(/resample the mask onto the CT grid/);
    const noFor = { ...series, frameOfReferenceUid: undefined };
    expect(() => writeRtStruct({ series: noFor, structures: [{ name: 'x', mask: makeMask(series.grid!, () => true) }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it.skipIf(!haveSharedData(MOCK))(
    referenceSuite(`real CT (rt-utils mock data; needs ${MOCK}): the written RTSTRUCT is matched to the series and reproduces the mask`),
    async () => {
      const ct = await readDicom([join(MOCK, 'ct_1.dcm'), join(MOCK, 'ct_2.dcm')]);
      const series = ct.series[0];
      const grid = series.grid!;
      const mask = makeMask(grid, (i, j, k) => {
        const d = Math.hypot(i - 256, j - 250);
        return (d < 80 && d > 30) || (k === 1 && Math.hypot(i - 100, j - 400) < 12);
      });
      const { bytes } = writeRtStruct({ series, structures: [{ name: 'GTV_iSeg', mask }] });
      writeFileSync(join(tmp, 'mock_rs.dcm'), bytes);
      const r = await readDicom([join(MOCK, 'ct_1.dcm'), join(MOCK, 'ct_2.dcm'), join(tmp, 'mock_rs.dcm')]);
      const ss = r.structureSets[0];
      const found = findReferencedSeries(ss, r.series);
      expect(found.findings).toEqual([]);
      expect(found.series!.seriesInstanceUid).toBe(series.seriesInstanceUid);
      const back = rasterizeRoi({ structureSet: ss, roi: 'GTV_iSeg', ...seriesRasterTarget(found.series!)! });
      expect(back.findings).toEqual([]);
      expect(Buffer.from(back.mask!.data).equals(Buffer.from(mask.data))).toBe(true);
      // Slice 0: ring outer + hole; slice 1: the same plus the island.
      expect(ss.rois[0].contours.map((c) => c.referencedSopInstanceUids[0])).toEqual([0, 0, 1, 1, 1].map((k) => series.slices[k].sopInstanceUid));
    },
  );
});
