/**
 * Bad DICOM input gives specific findings, and the rest of the import is unaffected.
 * Real files come from ../shared/data (rt-utils mock data, TotalSegmentator); broken variants are
 * made from them in a temporary folder.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildSeries,
  findReferencedSeries,
  groupSeries,
  loadCtVolume,
  rasterizeRoi,
  readDicom,
  seriesRasterTarget,
  type ImageSliceHeader,
  type RtStructureSet,
} from '@/lib/dicom';
import { IDENTITY_DIRECTION, type Grid, type Vec3 } from '@/lib/core/volume';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const DATA = sharedDataPath();
const MOCK = join(DATA, 'rtutils/mock_data');
const haveData = haveSharedData(MOCK);
const tmp = mkdtempSync(join(tmpdir(), 'iseg-dicom-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const codes = (fs: { code: string }[]) => fs.map((f) => f.code);

/** Part 10 file → (preamble+prefix, meta elements, data set) split points. */
function metaElements(bytes: Uint8Array): { elements: { tag: number; start: number; end: number }[]; end: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements: { tag: number; start: number; end: number }[] = [];
  let p = 132;
  while (p < bytes.length && dv.getUint16(p, true) === 0x0002) {
    const tag = dv.getUint16(p + 2, true);
    const vr = String.fromCharCode(bytes[p + 4], bytes[p + 5]);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const len = long ? dv.getUint32(p + 8, true) : dv.getUint16(p + 6, true);
    const end = p + (long ? 12 : 8) + len;
    elements.push({ tag, start: p, end });
    p = end;
  }
  return { elements, end: p };
}

/** The same file with (0002,0010) TransferSyntaxUID removed from its meta header. */
function withoutTransferSyntax(bytes: Uint8Array): Uint8Array {
  const { elements, end } = metaElements(bytes);
  const kept = elements.filter((e) => e.tag !== 0x0010);
  const parts = kept.map((e) => bytes.slice(e.start, e.end));
  const groupLength = parts.slice(1).reduce((s, b) => s + b.length, 0);
  new DataView(parts[0].buffer).setUint32(8, groupLength, true);
  return Buffer.concat([bytes.subarray(0, 132), ...parts, bytes.subarray(end)]);
}

function header(over: Partial<ImageSliceHeader> & { imagePositionMm: Vec3 }): ImageSliceHeader {
  return {
    file: `slice-${over.imagePositionMm.join('_')}.dcm`,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sopInstanceUid: `1.2.3.${over.imagePositionMm.join('.')}`,
    modality: 'CT',
    seriesInstanceUid: '1.2.3',
    frameOfReferenceUid: '1.2.3.9',
    rows: 4,
    columns: 5,
    pixelSpacingMm: [0.8, 0.9],
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

describe.skipIf(!haveData)(referenceSuite(`bad files in a folder (needs ${MOCK}; skipped when absent)`), () => {
  it('a truncated file and a random-bytes file get findings naming them; the other slice and the RTSTRUCT still load', async () => {
    const dir = join(tmp, 'trunc');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const ct1 = readFileSync(join(MOCK, 'ct_1.dcm'));
    writeFileSync(join(dir, 'ct_1_truncated.dcm'), ct1.subarray(0, 200_000));
    const noise = new Uint8Array(5000);
    let s = 12345;
    for (let i = 0; i < noise.length; i++) noise[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    writeFileSync(join(dir, 'noise.dcm'), noise);
    writeFileSync(join(dir, 'notes.txt'), 'exported by hand\n');
    copyFileSync(join(MOCK, 'ct_2.dcm'), join(dir, 'ct_2.dcm'));
    copyFileSync(join(MOCK, 'rt.dcm'), join(dir, 'rt.dcm'));
    const r = await readDicom(dir);
    const trunc = r.findings.find((f) => f.file?.endsWith('ct_1_truncated.dcm'));
    expect(trunc).toMatchObject({ code: 'TRUNCATED', severity: 'error' });
    expect(trunc!.message).toMatch(/ct_1_truncated\.dcm is truncated/);
    expect(r.findings.find((f) => f.file?.endsWith('noise.dcm'))).toMatchObject({ code: 'NOT_DICOM', severity: 'error' });
    expect(r.findings.find((f) => f.file?.endsWith('notes.txt'))).toMatchObject({ code: 'NOT_DICOM' });
    expect(r.series).toHaveLength(1);
    expect(r.series[0].grid!.dims).toEqual([512, 512, 1]);
    expect(r.structureSets).toHaveLength(1);
    expect(r.structureSets[0].rois.map((x) => x.name)).toEqual(['ROI-1']);
  });

  it('a truncated RTSTRUCT is a TRUNCATED finding, not a partial structure set', async () => {
    const rt = readFileSync(join(MOCK, 'invalid_reference_rt.dcm'));
    const file = join(tmp, 'rt_truncated.dcm');
    writeFileSync(file, rt.subarray(0, Math.floor(rt.length * 0.6)));
    const r = await readDicom([file, join(MOCK, 'ct_1.dcm')]);
    expect(r.structureSets).toEqual([]);
    expect(r.findings.map((f) => [f.code, f.file])).toEqual([['TRUNCATED', file]]);
    expect(r.series).toHaveLength(1);
  });

  it('duplicate files are reported once each and ignored', async () => {
    const dir = join(tmp, 'dup');
    mkdirSync(dir, { recursive: true });
    for (const [src, dst] of [
      ['ct_1.dcm', 'a.dcm'],
      ['ct_1.dcm', 'b.dcm'],
      ['ct_1.dcm', 'c.dcm'],
      ['ct_2.dcm', 'd.dcm'],
    ])
      copyFileSync(join(MOCK, src), join(dir, dst));
    const r = await readDicom(dir);
    expect(r.findings.filter((f) => f.code === 'DUPLICATE_FILE').map((f) => f.file!.slice(-5))).toEqual(['b.dcm', 'c.dcm']);
    expect(r.series[0].grid!.dims).toEqual([512, 512, 2]);
    // Two RTSTRUCTs sharing a SOPInstanceUID with different content: the second is reported.
    const r2 = await readDicom([join(MOCK, 'invalid_reference_rt.dcm'), join(MOCK, 'non_existent_reference_rt.dcm')]);
    expect(codes(r2.findings)).toEqual(['DUPLICATE_SOP_INSTANCE']);
    expect(r2.structureSets).toHaveLength(1);
  });

  it('missing transfer syntax (no Part 10 header, or a meta header without 0002,0010): warned, read with the syntax guessed, same HU', async () => {
    const ct1 = new Uint8Array(readFileSync(join(MOCK, 'ct_1.dcm')));
    const raw = ct1.subarray(metaElements(ct1).end);
    writeFileSync(join(tmp, 'raw.dcm'), raw);
    writeFileSync(join(tmp, 'nots.dcm'), withoutTransferSyntax(ct1));
    const good = await readDicom([join(MOCK, 'ct_1.dcm')]);
    const goodVol = await loadCtVolume(good.series[0]);
    for (const f of ['raw.dcm', 'nots.dcm']) {
      const r = await readDicom([join(tmp, f)]);
      expect(r.findings.map((x) => [x.code, x.severity])).toEqual([['MISSING_TRANSFER_SYNTAX', 'warning']]);
      expect(r.findings[0].message).toMatch(/explicit VR little endian/);
      const vol = await loadCtVolume(r.series[0]);
      expect(Array.from(vol.data)).toEqual(Array.from(goodVol.data));
    }
  });

  it('compressed pixel data we cannot decode: geometry read, voxels refused with a finding naming the transfer syntax', async () => {
    // The real 12-bit TotalSegmentator series, relabelled as JPEG Extended (12-bit JPEG, common in
    // older CT exports, which our 8-bit JPEG decoder cannot read): a same-length UID swap in the
    // meta header, so the file still parses.
    const dir = join(DATA, 'totalsegmentator/example_ct_dicom');
    const out = join(tmp, 'jpeg-extended-12bit');
    mkdirSync(out, { recursive: true });
    for (const name of readdirSync(dir).slice(0, 3)) {
      const b = Buffer.from(readFileSync(join(dir, name)));
      const at = b.indexOf('1.2.840.10008.1.2.4.90', 0, 'latin1');
      expect(at).toBeGreaterThan(0);
      b.write('1.2.840.10008.1.2.4.51', at, 'latin1');
      writeFileSync(join(out, name), b);
    }
    const r = await readDicom(out);
    expect(r.series).toHaveLength(1);
    const f = r.series[0].findings.find((x) => x.code === 'COMPRESSED_PIXEL_DATA');
    expect(f).toMatchObject({ severity: 'error' });
    expect(f!.message).toMatch(
      /3 of 3 slices .* use JPEG Extended \(Process 2 & 4\) \(1\.2\.840\.10008\.1\.2\.4\.51\) at 12 bits stored, which the 8-bit JPEG decoder cannot read/,
    );
    expect(r.series[0].grid).not.toBeNull();
    await expect(loadCtVolume(r.series[0])).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    // Its UIDs were blanked by anonymisation: grouped anyway, with a warning.
    expect(codes(r.series[0].findings)).toContain('MISSING_ATTRIBUTE');
  });

  it('rt-utils invalid_reference_rt.dcm: contours on a missing image fall back to z and are reported; the 70 mm plane is outside the CT', async () => {
    const r = await readDicom([join(MOCK, 'ct_1.dcm'), join(MOCK, 'ct_2.dcm'), join(MOCK, 'invalid_reference_rt.dcm')]);
    const ss = r.structureSets[0];
    const { series, findings } = findReferencedSeries(ss, r.series);
    expect(findings).toEqual([]);
    const res = rasterizeRoi({ structureSet: ss, roi: 'ROI-1', ...seriesRasterTarget(series!)! });
    expect(codes(res.findings).sort()).toEqual(['CONTOUR_OUTSIDE_IMAGE', 'SOP_REFERENCE_UNRESOLVED']);
    expect(res.findings.find((f) => f.code === 'CONTOUR_OUTSIDE_IMAGE')!.message).toMatch(/1 contour\(s\) lie outside the image.*at 70 mm/);
  });

  it('rt-utils non_existent_reference_rt.dcm (no referenced series): matched through its contour image references with a warning', async () => {
    const r = await readDicom([join(MOCK, 'ct_1.dcm'), join(MOCK, 'ct_2.dcm'), join(MOCK, 'non_existent_reference_rt.dcm')]);
    const { series, findings } = findReferencedSeries(r.structureSets[0], r.series);
    expect(series?.seriesInstanceUid).toBe(r.series[0].seriesInstanceUid);
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['REFERENCED_SERIES_MISSING', 'warning']]);
  });

  it('an RTSTRUCT whose series is not in the import: error finding, nothing rasterised', async () => {
    const r = await readDicom([join(DATA, 'rtutils/empty/dummy_rt.dcm'), join(DATA, 'dicompyler/ct.0.dcm')]);
    const { series, findings } = findReferencedSeries(r.structureSets[0], r.series);
    expect(series).toBeNull();
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['REFERENCED_SERIES_MISSING', 'error']]);
    expect(findings[0].message).toMatch(/no series in the import matches/);
  });
});

describe('series geometry checks (synthetic headers)', () => {
  const at = (z: number, x = 0, y = 0) => header({ imagePositionMm: [x, y, z] });

  it('sorts by position along the normal, not InstanceNumber, and builds the grid', () => {
    const s = buildSeries('1.2.3', [
      { ...at(5), instanceNumber: 1 },
      { ...at(-5), instanceNumber: 2 },
      { ...at(0), instanceNumber: 3 },
    ]);
    expect(s.findings).toEqual([]);
    expect(s.slices.map((h) => h.instanceNumber)).toEqual([2, 3, 1]);
    expect(s.grid).toEqual({ dims: [5, 4, 3], spacingMm: [0.9, 0.8, 5], originMm: [0, 0, -5], direction: IDENTITY_DIRECTION });
  });

  it('feet-first / reversed normal: k still increases along the normal of the orientation', () => {
    // Rows along -x, columns along +y: normal is -z, so the slice at z = 10 comes first.
    const mk = (z: number) => header({ imagePositionMm: [0, 0, z], imageOrientation: [-1, 0, 0, 0, 1, 0] });
    const s = buildSeries('x', [mk(0), mk(10), mk(5)]);
    expect(s.slices.map((h) => h.imagePositionMm[2])).toEqual([10, 5, 0]);
    expect(s.grid!.direction).toEqual([-1, 0, 0, 0, 1, 0, 0, 0, -1]);
    expect(s.grid!.spacingMm[2]).toBe(5);
  });

  it('a missing slice is refused with the gap named', () => {
    const s = buildSeries('x', [at(0), at(2.5), at(5), at(10), at(12.5)]);
    expect(s.grid).toBeNull();
    expect(s.findings.map((f) => [f.code, f.severity])).toEqual([['MISSING_SLICE', 'error']]);
    expect(s.findings[0].message).toMatch(/about 1 slice\(s\) missing: gap of 5 mm after 5 mm/);
  });

  it('slightly uneven spacing warns and uses the mean spacing; strongly uneven spacing is refused', () => {
    const warn = buildSeries('x', [at(0), at(2.5), at(5.03), at(7.5)]);
    expect(warn.findings.map((f) => [f.code, f.severity])).toEqual([['UNEVEN_SPACING', 'warning']]);
    expect(warn.grid!.spacingMm[2]).toBeCloseTo(2.5, 9);
    const refuse = buildSeries('x', [at(0), at(2.5), at(5.3), at(7.5)]);
    expect(refuse.grid).toBeNull();
    expect(refuse.findings.map((f) => [f.code, f.severity])).toEqual([['UNEVEN_SPACING', 'error']]);
  });

  it('gantry tilt (positions drifting in-plane along the stack) is refused', () => {
    const tilt = Math.tan((15 * Math.PI) / 180);
    const s = buildSeries(
      'x',
      [0, 3, 6, 9].map((z) => at(z, 0, z * tilt)),
    );
    expect(s.grid).toBeNull();
    expect(s.findings.map((f) => [f.code, f.severity])).toEqual([['GANTRY_TILT', 'error']]);
    expect(s.findings[0].message).toMatch(/about 15°/);
  });

  it('a localizer in the axial series is set aside with an info finding', () => {
    const scout = {
      ...at(0),
      sopInstanceUid: '9.9',
      imageOrientation: [0, 1, 0, 0, 0, -1] as ImageSliceHeader['imageOrientation'],
      imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
    };
    const [s] = groupSeries([at(0), at(2), scout, at(4)]);
    expect(s.grid!.dims).toEqual([5, 4, 3]);
    expect(s.findings.map((f) => [f.code, f.severity])).toEqual([['IGNORED_OBJECT', 'info']]);
  });

  it('slices that disagree in size or orientation are refused; two slices at one position too', () => {
    expect(codes(buildSeries('x', [at(0), { ...at(1), rows: 8 }]).findings)).toEqual(['INCONSISTENT_SERIES']);
    expect(codes(buildSeries('x', [at(0), { ...at(1), imageOrientation: [0, 1, 0, 1, 0, 0] }]).findings)).toEqual(['INCONSISTENT_SERIES']);
    expect(codes(buildSeries('x', [at(0), { ...at(0), sopInstanceUid: '9' }]).findings)).toEqual(['INCONSISTENT_SERIES']);
  });
});

describe('contour findings (in-memory structure set)', () => {
  const grid: Grid = { dims: [10, 10, 2], spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
  const sq = (z: number, x0 = 1.5, x1 = 4.5) => Float64Array.from([x0, 1.5, z, x1, 1.5, z, x1, 4.5, z, x0, 4.5, z]);
  const ss: RtStructureSet = {
    file: 'mem.dcm',
    sopInstanceUid: '1',
    referencedSeriesUids: [],
    referencedImageSopUids: [],
    findings: [],
    rois: [
      {
        number: 1,
        name: 'GTV',
        contours: [
          { geometricType: 'CLOSED_PLANAR', pointsMm: sq(0), referencedSopInstanceUids: ['s0'] },
          { geometricType: 'CLOSED_PLANAR', pointsMm: sq(2), referencedSopInstanceUids: ['s0'] },
          { geometricType: 'CLOSED_PLANAR', pointsMm: sq(3), referencedSopInstanceUids: [] },
          { geometricType: 'CLOSED_PLANAR', pointsMm: sq(2, 8.5, 14.5), referencedSopInstanceUids: ['s1'] },
          { geometricType: 'CLOSED_PLANAR', pointsMm: sq(0, 20, 30), referencedSopInstanceUids: ['s0'] },
          { geometricType: 'POINT', pointsMm: Float64Array.from([3, 3, 0]), referencedSopInstanceUids: [] },
          { geometricType: 'OPEN_PLANAR', pointsMm: sq(0), referencedSopInstanceUids: [] },
        ],
      },
    ],
  };

  it('POINT/OPEN_PLANAR skipped, off-slice, outside and clipped contours, and a wrong image reference each get a finding', () => {
    const { mask, findings } = rasterizeRoi({ structureSet: ss, roi: 'gtv', grid, sliceSopInstanceUids: ['s0', 's1'] });
    expect(codes(findings)).toEqual([
      'UNSUPPORTED_CONTOUR_TYPE',
      'CONTOUR_OFF_SLICE',
      'CONTOUR_OUTSIDE_IMAGE',
      'CONTOUR_PARTLY_OUTSIDE_IMAGE',
      'SOP_REFERENCE_MISMATCH',
    ]);
    expect(findings[0].message).toMatch(/2 contour\(s\) of type POINT\/OPEN_PLANAR skipped/);
    expect(findings[1].message).toMatch(/at 3 mm along the slice normal/);
    expect(findings[4].message).toMatch(/contour on slice 1 references slice 0/);
    // Slice 0: 3×3; slice 1: 3×3 plus the clipped square (x 9 only, 3 rows).
    expect(mask!.data.reduce((s, v) => s + v, 0)).toBe(9 + 9 + 3);
  });

  it('an unknown ROI is a finding listing the ROIs there are', () => {
    const r = rasterizeRoi({ structureSet: ss, roi: 'ITV', grid });
    expect(r.mask).toBeNull();
    expect(r.findings[0]).toMatchObject({ code: 'ROI_NOT_FOUND' });
    expect(r.findings[0].message).toMatch(/1 "GTV"/);
  });
});

/** The same file re-encoded: meta TransferSyntaxUID replaced, data set transformed. */
function reencode(bytes: Uint8Array, uid: string, transform: (dataSet: Uint8Array) => Uint8Array): Uint8Array {
  const { elements, end } = metaElements(bytes);
  const value = Buffer.from(uid.length % 2 ? `${uid}\0` : uid, 'latin1');
  const parts = elements.map((e) => {
    if (e.tag !== 0x0010) return bytes.slice(e.start, e.end);
    const el = new Uint8Array(8 + value.length);
    el.set(bytes.subarray(e.start, e.start + 6));
    new DataView(el.buffer).setUint16(6, value.length, true);
    el.set(value, 8);
    return el;
  });
  new DataView(parts[0].buffer).setUint32(
    8,
    parts.slice(1).reduce((s, b) => s + b.length, 0),
    true,
  );
  return Buffer.concat([bytes.subarray(0, 132), ...parts, transform(bytes.subarray(end))]);
}

describe.skipIf(!haveData)(referenceSuite(`transfer syntaxes (needs ${MOCK}; skipped when absent)`), () => {
  it('deflated explicit VR little endian is inflated and gives the same HU', async () => {
    const { deflateRawSync } = await import('node:zlib');
    const ct1 = new Uint8Array(readFileSync(join(MOCK, 'ct_1.dcm')));
    const file = join(tmp, 'deflated.dcm');
    writeFileSync(
      file,
      reencode(ct1, '1.2.840.10008.1.2.1.99', (d) => deflateRawSync(d)),
    );
    const r = await readDicom([file]);
    expect(r.findings).toEqual([]);
    expect(r.series[0].findings.map((f) => f.code)).toEqual(['SINGLE_SLICE']);
    expect(r.series[0].loadable).toBe(true);
    const good = await loadCtVolume((await readDicom([join(MOCK, 'ct_1.dcm')])).series[0]);
    const vol = await loadCtVolume(r.series[0]);
    expect(Buffer.from(vol.data.buffer).equals(Buffer.from(good.data.buffer))).toBe(true);
  });

  it('an unknown transfer syntax with native-looking pixel data: geometry read, voxels refused', async () => {
    const ct1 = new Uint8Array(readFileSync(join(MOCK, 'ct_1.dcm')));
    const file = join(tmp, 'private-ts.dcm');
    writeFileSync(
      file,
      reencode(ct1, '1.2.3.4.5.6', (d) => d),
    );
    const r = await readDicom([file]);
    expect(r.series[0].grid!.dims).toEqual([512, 512, 1]);
    expect(r.series[0].findings.map((f) => [f.code, f.severity])).toEqual([
      ['SINGLE_SLICE', 'info'],
      ['UNSUPPORTED_TRANSFER_SYNTAX', 'error'],
    ]);
    expect(r.series[0].loadable).toBe(false);
  });
});

describe.skipIf(!haveData)(referenceSuite(`phases mapped by hand (needs ${MOCK}; skipped when absent)`), () => {
  it('a phase override sets the percent with source "manual"; a bad one is refused', async () => {
    const files = [join(MOCK, 'ct_1.dcm'), join(MOCK, 'ct_2.dcm')];
    const plain = await readDicom(files);
    expect(plain.series[0].phase).toBeNull();
    const uid = plain.series[0].seriesInstanceUid;
    const r = await readDicom(files, { phaseOverrides: { [uid]: 40 } });
    expect(r.series[0].phase).toEqual({ percent: 40, source: 'manual' });
    await expect(readDicom(files, { phaseOverrides: { [uid]: 140 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
