/**
 * The synthetic phantom's CT writer (lib/dicom/write-ct-series.ts) and this reader agree: an
 * oblique, anisotropic 4D-phase series written to files reads back with the same grid, HU and
 * phase, and an RTSTRUCT written on it rasterises back to the mask.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCtSeries } from '@/lib/dicom/write-ct-series';
import { findReferencedSeries, loadCtVolume, rasterizeRoi, readDicom, seriesRasterTarget, writeRtStruct } from '@/lib/dicom';
import type { Grid } from '@/lib/core/volume';

const tmp = mkdtempSync(join(tmpdir(), 'iseg-interop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('phantom CT writer → readDicom → RTSTRUCT round trip', () => {
  it('oblique 20% phase: grid, HU, phase and a written structure come back exactly', async () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    // Rows along (c, s, 0), columns along (-s, c, 0), normal +z.
    const grid: Grid = { dims: [24, 20, 6], spacingMm: [1.2, 0.8, 2.5], originMm: [-14.5, 3.25, -40], direction: [c, -s, 0, s, c, 0, 0, 0, 1] };
    const n = 24 * 20 * 6;
    const hu = new Int16Array(n);
    for (let t = 0; t < n; t++) hu[t] = ((t * 37) % 3000) - 1000;
    const files = encodeCtSeries(
      { grid, data: hu },
      {
        patientName: 'PHANTOM^TEST',
        patientId: 'P-001',
        studyInstanceUid: '2.25.11',
        seriesInstanceUid: '2.25.12',
        frameOfReferenceUid: '2.25.13',
        studyDate: '20260101',
        seriesNumber: 3,
        seriesDescription: '4D CT 20%',
        manufacturer: 'iSeg QA',
        manufacturerModelName: 'phantom',
        temporalPositionIndex: 3,
        numberOfTemporalPositions: 10,
      },
    );
    for (const f of files) writeFileSync(join(tmp, f.fileName), f.bytes);
    const imp = await readDicom(tmp);
    expect(imp.findings).toEqual([]);
    const series = imp.series[0];
    expect(series.findings).toEqual([]);
    expect(series.phase).toEqual({ percent: 20, source: 'description' });
    const g = series.grid!;
    expect(g.dims).toEqual(grid.dims);
    for (let a = 0; a < 3; a++) {
      expect(g.spacingMm[a]).toBeCloseTo(grid.spacingMm[a], 4);
      expect(g.originMm[a]).toBeCloseTo(grid.originMm[a], 3);
    }
    for (let q = 0; q < 9; q++) expect(g.direction[q]).toBeCloseTo(grid.direction[q], 5);
    const vol = await loadCtVolume(series);
    expect(Array.from(vol.data)).toEqual(Array.from(hu));

    const mask = new Uint8Array(n);
    for (let k = 1; k < 5; k++)
      for (let j = 3; j < 17; j++)
        for (let i = 2; i < 22; i++) if (Math.hypot(i - 12, j - 10) < 7 && !(Math.hypot(i - 12, j - 10) < 2 && k === 2)) mask[i + 24 * (j + 20 * k)] = 1;
    writeFileSync(join(tmp, 'rs.dcm'), writeRtStruct({ series, structures: [{ name: 'GTV', mask: { grid: g, data: mask } }] }).bytes);
    const again = await readDicom(tmp);
    const ref = findReferencedSeries(again.structureSets[0], again.series);
    expect(ref.findings).toEqual([]);
    const back = rasterizeRoi({ structureSet: again.structureSets[0], roi: 'GTV', ...seriesRasterTarget(ref.series!)! });
    expect(back.findings).toEqual([]);
    expect(Buffer.from(back.mask!.data).equals(Buffer.from(mask))).toBe(true);
  });
});
