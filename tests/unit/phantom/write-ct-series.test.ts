/**
 * lib/dicom/write-ct-series against pydicom 2.3 and dciodvfy (dicom3tools).
 * Fixture recipe (from the project root):
 *   npx tsx tests/reference/nifti/write-ct-fixture.ts          # our writer → ct-series-written-by-iseg/
 *   /usr/bin/python3 tests/reference/nifti/check_ct_series.py  # pydicom + dciodvfy → ct-series-pydicom.json
 * The first test proves the committed files are what the writer produces now, so the pydicom
 * reading applies to the current code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { indexToPatientMm } from '@/lib/core/volume';
import { deterministicUid, encodeCtSeries, formatDs, writeCtSeries } from '@/lib/dicom/write-ct-series';
import { ctFixtureMetadata, ctFixtureVolume } from '../../reference/nifti/ct-fixture-volume';

const FIX = 'tests/fixtures/nifti';
const vol = ctFixtureVolume();
const meta = ctFixtureMetadata();
const [nx, ny, nz] = vol.grid.dims;

interface PydicomFile {
  file: string;
  sopClassUid: string;
  sopInstanceUid: string;
  mediaStorageSopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  instanceNumber: number;
  imagePositionPatient: number[];
  imageOrientationPatient: number[];
  pixelSpacing: number[];
  sliceThickness: number;
  rows: number;
  columns: number;
  seriesDescription: string;
  temporalPositionIndex: number | null;
  patientName: string;
  patientBirthDate: string;
  manufacturer: string;
  hu: number[];
  dciodvfyErrors: string[] | null;
}
const ref = JSON.parse(readFileSync(`${FIX}/ct-series-pydicom.json`, 'utf8')) as { files: PydicomFile[] };

describe('writeCtSeries read back by pydicom', () => {
  it('the committed fixture is byte-identical to what the writer produces now', () => {
    const files = encodeCtSeries(vol, meta);
    const dir = `${FIX}/ct-series-written-by-iseg`;
    expect(readdirSync(dir).sort()).toEqual(files.map((f) => f.fileName).sort());
    for (const f of files) expect(Buffer.from(f.bytes).equals(readFileSync(join(dir, f.fileName)))).toBe(true);
  });

  it('pixel HU, positions, orientation, spacing and UIDs match the volume', () => {
    expect(ref.files).toHaveLength(nz);
    const sops = new Set<string>();
    for (const f of ref.files) {
      const k = f.instanceNumber - 1;
      expect(f.rows).toBe(ny);
      expect(f.columns).toBe(nx);
      // PixelSpacing = [between rows (j), between columns (i)].
      expect(f.pixelSpacing).toEqual([vol.grid.spacingMm[1], vol.grid.spacingMm[0]]);
      expect(f.sliceThickness).toBe(vol.grid.spacingMm[2]);
      const ipp = indexToPatientMm(vol.grid, 0, 0, k);
      for (let a = 0; a < 3; a++) expect(Math.abs(f.imagePositionPatient[a] - ipp[a])).toBeLessThan(1e-6);
      const d = vol.grid.direction;
      const iop = [d[0], d[3], d[6], d[1], d[4], d[7]];
      for (let a = 0; a < 6; a++) expect(Math.abs(f.imageOrientationPatient[a] - iop[a])).toBeLessThan(1e-6);
      expect(f.hu).toEqual(Array.from(vol.data.subarray(k * nx * ny, (k + 1) * nx * ny)));
      expect(f.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(f.mediaStorageSopInstanceUid).toBe(f.sopInstanceUid);
      expect(f.studyInstanceUid).toBe(meta.studyInstanceUid);
      expect(f.seriesInstanceUid).toBe(meta.seriesInstanceUid);
      expect(f.frameOfReferenceUid).toBe(meta.frameOfReferenceUid);
      expect(f.seriesDescription).toBe('4D CT 20%');
      expect(f.temporalPositionIndex).toBe(3);
      expect(f.patientName).toBe('PHANTOM^FIXTURE');
      expect(f.patientBirthDate).toBe('19600101');
      expect(f.manufacturer).toBe('SYNTHETIC');
      // dciodvfy: no errors (its only warnings are for the requested temporal attributes).
      if (f.dciodvfyErrors !== null) expect(f.dciodvfyErrors).toEqual([]);
      sops.add(f.sopInstanceUid);
    }
    expect(sops.size).toBe(nz);
    // The extremes survive the unsigned storage with intercept −1024.
    expect(ref.files.find((f) => f.instanceNumber === 1)!.hu[0]).toBe(-1024);
    expect(ref.files.find((f) => f.instanceNumber === nz)!.hu[nx * ny - 1]).toBe(2000);
  });
});

describe('writeCtSeries read back with dicom-parser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-series-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one file per slice with the expected tags and HU', () => {
    const written = writeCtSeries(dir, vol, meta);
    expect(written.map((w) => w.instanceNumber)).toEqual([1, 2, 3, 4]);
    for (const w of written) {
      const ds = dicomParser.parseDicom(readFileSync(join(dir, w.fileName)));
      expect(ds.string('x00020010')).toBe('1.2.840.10008.1.2.1');
      expect(ds.string('x00080016')).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(ds.string('x00080018')).toBe(w.sopInstanceUid);
      expect(ds.string('x00080060')).toBe('CT');
      expect(ds.uint16('x00280010')).toBe(ny);
      expect(ds.uint16('x00280011')).toBe(nx);
      expect(ds.string('x00280030')).toBe('1.3\\0.8');
      expect(ds.string('x00180050')).toBe('2.5');
      expect(ds.string('x00281052')).toBe('-1024');
      expect(ds.string('x00281053')).toBe('1');
      expect(ds.uint32('x00209128')).toBe(3);
      expect(ds.string('x0008103e')).toBe('4D CT 20%');
      expect(ds.string('x00100010')).toBe('PHANTOM^FIXTURE');
      expect(ds.string('x00100020')).toBe('PHANTOM-FIX');
      expect(ds.string('x00080070')).toBe('SYNTHETIC');
      expect(ds.string('x00081090')).toBe('PhantomScan 64');
      expect(ds.string('x00080020')).toBe('20200315');
      expect(ds.string('x00200052')).toBe(meta.frameOfReferenceUid);
      const ipp = (ds.string('x00200032') ?? '').split('\\').map(Number);
      const expected = indexToPatientMm(vol.grid, 0, 0, w.sliceIndex);
      for (let a = 0; a < 3; a++) expect(ipp[a]).toBeCloseTo(expected[a], 6);
      const el = ds.elements.x7fe00010;
      const px = new Uint16Array(ds.byteArray.buffer.slice(ds.byteArray.byteOffset + el.dataOffset, ds.byteArray.byteOffset + el.dataOffset + el.length));
      const k = w.sliceIndex;
      expect(Array.from(px, (v) => v - 1024)).toEqual(Array.from(vol.data.subarray(k * nx * ny, (k + 1) * nx * ny)));
    }
  });

  it('is deterministic: the same inputs give the same bytes', () => {
    const a = encodeCtSeries(vol, meta);
    const b = encodeCtSeries(vol, meta);
    a.forEach((f, n) => expect(Buffer.from(f.bytes).equals(Buffer.from(b[n].bytes))).toBe(true));
  });

  it('refuses HU it cannot store and inconsistent volumes, naming the voxel', () => {
    const bad = { grid: vol.grid, data: Int16Array.from(vol.data) };
    bad.data[7] = -2000;
    expect(() => encodeCtSeries(bad, meta)).toThrowError(/CT voxel \(1, 1, 0\) is -2000 HU/);
    expect(() => encodeCtSeries({ grid: vol.grid, data: new Int16Array(3) }, meta)).toThrowError(/has 3 values/);
  });
});

describe('deterministicUid and formatDs', () => {
  it('matches Python uuid.uuid5(NAMESPACE_OID, "iseg-qa:" + key) under the 2.25 root', () => {
    // /usr/bin/python3 -c "import uuid; print('2.25.%d' % uuid.uuid5(uuid.NAMESPACE_OID, 'iseg-qa:fixture/study').int)"
    expect(deterministicUid('fixture/study')).toBe('2.25.37148901003556143987966430394348034315');
    expect(deterministicUid('x')).toBe('2.25.291975881341358870325696263363653301310');
    expect(deterministicUid('x').length).toBeLessThanOrEqual(64);
    expect(deterministicUid('y')).not.toBe(deterministicUid('x'));
  });

  it('formats DS within 16 characters', () => {
    expect(formatDs(-159.37500000000003)).toBe('-159.375');
    expect(formatDs(-0)).toBe('0');
    expect(formatDs(0.1 + 0.2)).toBe('0.3');
    expect(formatDs(123456789.123456).length).toBeLessThanOrEqual(16);
    expect(Number(formatDs(123456789.123456))).toBeCloseTo(123456789.123456, 3);
    expect(formatDs(-0.96592582628906831)).toBe('-0.9659258262891');
    expect(formatDs(1e-20)).toBe('1e-20');
  });
});
