/**
 * Input that is read, but not silently: each case is a generated DICOM file (our CT writer and
 * RTSTRUCT writer), altered the way a faulty exporter would, and the import must say what it did.
 * - PixelData longer than Rows × Columns × BitsAllocated: the first image is read, with a
 *   PIXEL_DATA_TOO_LONG finding naming the series and a file.
 * - A self-intersecting (bow-tie) contour: rasterised as before, with a
 *   CONTOUR_SELF_INTERSECTING finding naming the ROI and the slice.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCtVolume, rasterizeRoi, readDicom, seriesRasterTarget, writeCtSeries, writeRtStruct } from '@/lib/dicom';
import type { Grid } from '@/lib/core/volume';

const tmp = mkdtempSync(join(tmpdir(), 'iseg-dicom-findings-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const grid: Grid = { dims: [16, 16, 3], spacingMm: [1, 1, 2], originMm: [-8, -8, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };

function writeSeries(dir: string): Int16Array {
  mkdirSync(dir, { recursive: true });
  const data = new Int16Array(16 * 16 * 3);
  for (let n = 0; n < data.length; n++) data[n] = ((n * 37) % 900) - 400;
  writeCtSeries(
    dir,
    { grid, data },
    {
      patientName: 'TEST^FINDINGS',
      patientId: 'FIND-1',
      studyInstanceUid: '1.2.826.0.1.3680043.10.1',
      seriesInstanceUid: '1.2.826.0.1.3680043.10.1.2',
      frameOfReferenceUid: '1.2.826.0.1.3680043.10.1.3',
      studyDate: '20260101',
      seriesNumber: 1,
      seriesDescription: 'CT',
      manufacturer: 'test',
      manufacturerModelName: 'test',
    },
  );
  return data;
}

/** Appends `extra` bytes to the (last) native PixelData element of an explicit VR LE file. */
function lengthenPixelData(bytes: Buffer, extra: number): Buffer {
  const tag = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0x00, 0x00]); // (7FE0,0010) OW
  const at = bytes.lastIndexOf(tag);
  expect(at).toBeGreaterThan(0);
  const len = bytes.readUInt32LE(at + 8);
  expect(at + 12 + len).toBe(bytes.length); // PixelData is the last element
  const out = Buffer.concat([bytes, Buffer.alloc(extra, 0x7f)]);
  out.writeUInt32LE(len + extra, at + 8);
  return out;
}

describe('accepted with a finding', () => {
  it('PixelData longer than Rows × Columns × bits: the first image is read, and the import says so', async () => {
    const dir = join(tmp, 'long-pixels');
    const data = writeSeries(dir);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.dcm'))
      .sort();
    const longFile = join(dir, files[1]);
    writeFileSync(longFile, lengthenPixelData(readFileSync(longFile), 100));
    const imp = await readDicom(dir);
    expect(imp.series).toHaveLength(1);
    const s = imp.series[0];
    const f = s.findings.filter((x) => x.code === 'PIXEL_DATA_TOO_LONG');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].file).toBe(longFile);
    expect(f[0].message).toContain('Series 1.2.826.0.1.3680043.10.1.2');
    expect(f[0].message).toContain(`1 of 3 slices (e.g. ${longFile})`);
    expect(f[0].message).toContain('612 bytes where Rows × Columns × BitsAllocated (16 × 16 × 16 bits) make 512');
    expect(s.loadable).toBe(true);
    const v = await loadCtVolume(s);
    expect(Array.from(v.data)).toEqual(Array.from(data));
  });

  it('a series whose pixel data has the right length has no such finding', async () => {
    const dir = join(tmp, 'right-length');
    writeSeries(dir);
    const imp = await readDicom(dir);
    expect(imp.series[0].findings.map((f) => f.code)).not.toContain('PIXEL_DATA_TOO_LONG');
  });

  it('a bow-tie contour in an RTSTRUCT is rasterised as drawn, with a finding naming the ROI and the slice', async () => {
    const dir = join(tmp, 'bowtie');
    writeSeries(dir);
    const series = (await readDicom(dir)).series[0];
    const mask = new Uint8Array(16 * 16 * 3);
    for (let j = 4; j < 10; j++) for (let i = 3; i < 11; i++) mask[i + 16 * (j + 16 * 1)] = 1;
    const rt = writeRtStruct({ series, structures: [{ name: 'CTV_boost', mask: { grid: series.grid!, data: mask } }] });
    // The writer traces an octagon; swapping its 3rd and 6th points (their text, so the element
    // keeps its length) makes the outline cross itself, as a hand-edited contour can.
    const text = Buffer.from(rt.bytes).toString('latin1');
    const m = /-?\d[\d.]*(\\-?\d[\d.]*){23}/.exec(text)!;
    const v = m[0].split('\\');
    const pts = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => v.slice(3 * p, 3 * p + 3));
    [pts[2], pts[5]] = [pts[5], pts[2]];
    const twisted = pts.flat().join('\\');
    expect(twisted.length).toBe(m[0].length);
    const bytes = Buffer.from(text.slice(0, m.index) + twisted + text.slice(m.index + m[0].length), 'latin1');
    writeFileSync(join(dir, 'rs.dcm'), bytes);

    const imp = await readDicom(dir);
    const ss = imp.structureSets[0];
    const target = seriesRasterTarget(imp.series[0])!;
    const r = rasterizeRoi({ structureSet: ss, roi: 'CTV_boost', ...target });
    const f = r.findings.filter((x) => x.code === 'CONTOUR_SELF_INTERSECTING');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toMatch(/^ROI 1 "CTV_boost" \(.*rs\.dcm\): 1 contour\(s\) cross themselves .*slice 1 \(at 2 mm, crossing near /);
    // still rasterised (even–odd, as before): some voxels on slice 1, none elsewhere
    const onSlice = (k: number) => r.mask!.data.subarray(256 * k, 256 * (k + 1)).reduce((a, b) => a + b, 0);
    expect(onSlice(1)).toBeGreaterThan(0);
    expect(onSlice(0) + onSlice(2)).toBe(0);

    // the untouched RTSTRUCT has no such finding
    writeFileSync(join(dir, 'rs.dcm'), rt.bytes);
    const clean = await readDicom(dir);
    const r2 = rasterizeRoi({ structureSet: clean.structureSets[0], roi: 'CTV_boost', ...seriesRasterTarget(clean.series[0])! });
    expect(r2.findings.map((x) => x.code)).not.toContain('CONTOUR_SELF_INTERSECTING');
    expect(Array.from(r2.mask!.data)).toEqual(Array.from(mask));
  });
});
