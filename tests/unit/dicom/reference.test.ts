/**
 * lib/dicom against independent readers and rasterisers, on public data in ../shared/data.
 *
 * Fixtures: tests/fixtures/dicom/*, made by `/usr/bin/python3 tests/reference/dicom/make_fixtures.py`
 * (pydicom 2.3.1: ROI names, contour and point counts, CT geometry, HU = pixel_array*slope +
 * intercept; plastimatch 1.9.4: `plastimatch convert --input RTSS --referenced-ct CTDIR
 * --output-prefix P --prefix-format nii.gz --xor-contours`, read with nibabel and re-indexed onto
 * our grid, stored run-length encoded; and `plastimatch convert --input CTDIR --output-img X
 * --output-type float` for CT geometry and HU).
 *
 * Convention: plastimatch with --xor-contours uses the same rule as ours (voxel centre inside the
 * even–odd combination of the contours on the slice); plastimatch's default ORs overlapping
 * contours instead, which fills holes. On dicompyler's rtss.dcm that matters: "Lt Lung" has 40
 * slices with nested contours, and plastimatch's default gives 581525 voxels against 578732 with
 * XOR (2793 hole voxels; "BODY" differs by 32). With --xor-contours the masks are identical voxel
 * for voxel, so the test asserts zero differing voxels, not just Dice ≥ 0.99.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findReferencedSeries, loadCtVolume, rasterizeRoi, readDicom, seriesRasterTarget } from '@/lib/dicom';
import type { Grid } from '@/lib/core/volume';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const DATA = sharedDataPath();
const FIX = join(__dirname, '../../fixtures/dicom');
const haveData = haveSharedData(DATA);
const fixture = (name: string) => JSON.parse(readFileSync(join(FIX, name), 'utf8'));

interface RoiRef {
  number: number;
  name: string;
  interpretedType: string | null;
  contourCount: number;
  pointCount: number;
  geometricTypes: string[];
}

describe.skipIf(!haveData)(referenceSuite(`RTSTRUCT reading matches pydicom (needs ${DATA}; skipped when absent)`), () => {
  const ref = fixture('rtstruct-pydicom.json');
  for (const ss of ref.structureSets as { file: string; frameOfReferenceUid: string | null; referencedSeriesUids: string[]; rois: RoiRef[] }[]) {
    it(`${ss.file}: ROI numbers, names, types, contour and point counts, references`, async () => {
      const r = await readDicom([join(DATA, ss.file)]);
      expect(r.structureSets).toHaveLength(1);
      const ours = r.structureSets[0];
      expect(ours.frameOfReferenceUid ?? null).toBe(ss.frameOfReferenceUid);
      expect(ours.referencedSeriesUids).toEqual(ss.referencedSeriesUids);
      expect(
        ours.rois.map((roi) => ({
          number: roi.number,
          name: roi.name,
          interpretedType: roi.interpretedType ?? null,
          contourCount: roi.contours.length,
          pointCount: roi.contours.reduce((s, c) => s + c.pointsMm.length / 3, 0),
          geometricTypes: [...new Set(roi.contours.map((c) => c.geometricType))].sort(),
        })),
      ).toEqual(
        ss.rois.map(({ number, name, interpretedType, contourCount, pointCount, geometricTypes }) => ({
          number,
          name,
          interpretedType,
          contourCount,
          pointCount,
          geometricTypes,
        })),
      );
    });
  }
});

describe.skipIf(!haveData)(referenceSuite(`CT reading matches pydicom and plastimatch (needs ${DATA}; skipped when absent)`), () => {
  const py = fixture('ct-pydicom.json').series;
  const plm = fixture('ct-plastimatch.json').series;
  for (const key of Object.keys(py)) {
    it(`${key}: dims, spacing, origin, orientation, slice order and HU at sample voxels`, async () => {
      const ref = py[key];
      const r = await readDicom(ref.files.map((f: string) => join(DATA, f)));
      expect(r.series).toHaveLength(1);
      const s = r.series[0];
      const g = s.grid as Grid;
      expect(g).not.toBeNull();
      expect(g.dims).toEqual(ref.dims);
      for (let a = 0; a < 3; a++) {
        expect(g.spacingMm[a]).toBeCloseTo(ref.spacingMm[a], 5);
        expect(g.originMm[a]).toBeCloseTo(ref.originMm[a], 5);
        expect(g.direction[3 * a]).toBeCloseTo(ref.rowDirection[a], 6);
        expect(g.direction[3 * a + 1]).toBeCloseTo(ref.columnDirection[a], 6);
        expect(g.direction[3 * a + 2]).toBeCloseTo(ref.normal[a], 6);
      }
      // Sorted along the normal, not by InstanceNumber (TotalSegmentator's run backwards).
      expect(s.slices.map((h) => h.instanceNumber ?? null)).toEqual(ref.sortedInstanceNumbers);
      const p = plm[key];
      if (!p.error) {
        expect(g.dims).toEqual(p.dims);
        for (let a = 0; a < 3; a++) {
          expect(g.spacingMm[a]).toBeCloseTo(p.spacingMm[a], 5);
          expect(g.originMm[a]).toBeCloseTo(p.originMm[a], 4);
        }
        for (let n = 0; n < 9; n++) expect(g.direction[n]).toBeCloseTo(p.direction[n], 5);
      }
      // TotalSegmentator's series is JPEG 2000 lossless: decoded (OpenJPEG, WASM) and checked
      // like the others against pydicom's decoding (Pillow/OpenJPEG).
      const vol = await loadCtVolume(s);
      const [nx, ny] = g.dims;
      for (const { i, j, k, hu } of ref.samples) expect(vol.data[i + nx * (j + ny * k)]).toBeCloseTo(hu, 3);
      if (!p.error) for (const { i, j, k, hu } of p.samples) expect(vol.data[i + nx * (j + ny * k)]).toBeCloseTo(hu, 3);
    });
  }
});

describe.skipIf(!haveData)(referenceSuite(`ROI masks match plastimatch voxel for voxel (needs ${DATA}; skipped when absent)`), () => {
  const masks = JSON.parse(gunzipSync(readFileSync(join(FIX, 'masks-plastimatch.json.gz'))).toString()).masks as Record<
    string,
    { grid: Grid; rois: Record<string, { voxels: number; perSlice: number[]; runs: number[] }> }
  >;

  async function ourGrid(file: string): Promise<{ grid: Grid; sops?: string[] }> {
    if (file.startsWith('rtutils/mock_data/')) {
      const r = await readDicom([join(DATA, 'rtutils/mock_data/ct_1.dcm'), join(DATA, 'rtutils/mock_data/ct_2.dcm')]);
      const t = seriesRasterTarget(r.series[0])!;
      return { grid: t.grid, sops: t.sliceSopInstanceUids };
    }
    // dicompyler: only the top slice (ct.0.dcm, z = 168.5593) of the 98 referenced is public.
    // Extend its grid downwards to the 98 contour planes, 3 mm apart (as the reference script does).
    const r = await readDicom([join(DATA, 'dicompyler/ct.0.dcm')]);
    const g = r.series[0].grid!;
    return { grid: { ...g, dims: [g.dims[0], g.dims[1], 98], originMm: [g.originMm[0], g.originMm[1], g.originMm[2] - 3 * 97] } };
  }

  for (const [file, entry] of Object.entries(masks)) {
    it(`${file}: every ROI`, async () => {
      const { grid, sops } = await ourGrid(file);
      expect(grid.dims).toEqual(entry.grid.dims);
      for (let a = 0; a < 3; a++) {
        expect(grid.originMm[a]).toBeCloseTo(entry.grid.originMm[a], 4);
        expect(grid.spacingMm[a]).toBeCloseTo(entry.grid.spacingMm[a], 5);
      }
      const ss = (await readDicom([join(DATA, file)])).structureSets[0];
      const summary: string[] = [];
      for (const [name, ref] of Object.entries(entry.rois)) {
        const { mask } = rasterizeRoi({ structureSet: ss, roi: name, grid, sliceSopInstanceUids: sops });
        const refMask = new Uint8Array(mask!.data.length);
        for (let q = 0; q < ref.runs.length; q += 2) refMask.fill(1, ref.runs[q], ref.runs[q] + ref.runs[q + 1]);
        let ours = 0;
        let both = 0;
        let differ = 0;
        for (let t = 0; t < refMask.length; t++) {
          ours += mask!.data[t];
          both += mask!.data[t] & refMask[t];
          if (mask!.data[t] !== refMask[t]) differ++;
        }
        const dice = (2 * both) / (ours + ref.voxels);
        summary.push(`${name}: ours ${ours}, plastimatch ${ref.voxels}, Dice ${dice.toFixed(6)}`);
        expect(ours, name).toBe(ref.voxels);
        expect(differ, `${name}: voxels differing from plastimatch`).toBe(0);
        const plane = grid.dims[0] * grid.dims[1];
        const perSlice = Array.from({ length: grid.dims[2] }, (_, k) => mask!.data.subarray(k * plane, (k + 1) * plane).reduce((s, v) => s + v, 0));
        expect(perSlice, name).toEqual(ref.perSlice);
      }
      console.log(`${file}\n  ${summary.join('\n  ')}`);
    });
  }

  it('rt-utils rt.dcm is found through its referenced series although its frame of reference differs, with a warning', async () => {
    const r = await readDicom([join(DATA, 'rtutils/mock_data/ct_1.dcm'), join(DATA, 'rtutils/mock_data/ct_2.dcm'), join(DATA, 'rtutils/mock_data/rt.dcm')]);
    const { series, findings } = findReferencedSeries(r.structureSets[0], r.series);
    expect(series?.seriesInstanceUid).toBe(r.series[0].seriesInstanceUid);
    expect(findings.map((f) => f.code)).toEqual(['FRAME_OF_REFERENCE_MISMATCH']);
    const { mask, findings: rf } = rasterizeRoi({ structureSet: r.structureSets[0], roi: 'ROI-1', ...seriesRasterTarget(series!)! });
    expect(rf).toEqual([]);
    expect(mask!.data.reduce((s, v) => s + v, 0)).toBe(masks['rtutils/mock_data/rt.dcm'].rois['ROI-1'].voxels);
  });
});

describe.skipIf(!haveData)(referenceSuite(`synthetic hard cases match plastimatch (needs ${DATA}; skipped when absent)`), () => {
  // tests/fixtures/dicom/synthetic-*-rs.dcm and masks-synthetic-plastimatch.json.gz are made by
  // `/usr/bin/python3 tests/reference/dicom/make_synthetic_rtstruct.py` (pydicom writes the
  // RTSTRUCTs on the rt-utils CTs; plastimatch --xor-contours rasterises them): a 3-voxel marker,
  // a one-contour keyhole ring, a ring with an island in its hole, a concave star, and on the
  // oblique anisotropic CT a concave polygon with a hole and a small marker.
  const masks = JSON.parse(gunzipSync(readFileSync(join(FIX, 'masks-synthetic-plastimatch.json.gz'))).toString()).masks as Record<
    string,
    { ct: string; grid: Grid; rois: Record<string, { voxels: number; runs: number[] }> }
  >;
  for (const [file, entry] of Object.entries(masks)) {
    it(`${file} on ${entry.ct}: every ROI voxel for voxel`, async () => {
      const ctFiles = entry.ct === 'rtutils/mock_data' ? ['ct_1.dcm', 'ct_2.dcm'] : ['0.dcm', '1.dcm', '2.dcm'];
      const imp = await readDicom([...ctFiles.map((f) => join(DATA, entry.ct, f)), join(FIX, file)]);
      const { series, findings } = findReferencedSeries(imp.structureSets[0], imp.series);
      expect(findings).toEqual([]);
      const target = seriesRasterTarget(series!)!;
      expect(target.grid.dims).toEqual(entry.grid.dims);
      for (let n = 0; n < 9; n++) expect(target.grid.direction[n]).toBeCloseTo(entry.grid.direction[n], 6);
      const summary: string[] = [];
      for (const [name, ref] of Object.entries(entry.rois)) {
        const res = rasterizeRoi({ structureSet: imp.structureSets[0], roi: name, ...target });
        expect(res.findings, name).toEqual([]);
        const refMask = new Uint8Array(res.mask!.data.length);
        for (let q = 0; q < ref.runs.length; q += 2) refMask.fill(1, ref.runs[q], ref.runs[q] + ref.runs[q + 1]);
        let ours = 0;
        let differ = 0;
        for (let t = 0; t < refMask.length; t++) {
          ours += res.mask!.data[t];
          if (res.mask!.data[t] !== refMask[t]) differ++;
        }
        summary.push(`${name}: ours ${ours}, plastimatch ${ref.voxels}`);
        expect(ref.voxels, `${name}: the reference is not empty`).toBeGreaterThan(0);
        expect(differ, `${name}: voxels differing from plastimatch`).toBe(0);
      }
      console.log(`${file}\n  ${summary.join('\n  ')}`);
    });
  }
});
