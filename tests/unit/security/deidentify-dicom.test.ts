/**
 * lib/dicom/deidentify.ts on one CT slice written with identifying attributes: what PS3.15
 * Table E.1-1 removes is gone, dates move by the shift, instance UIDs are remapped (class UIDs
 * kept), and the de-identification attributes are present. Read back with lib/dicom's parser
 * (dicom-parser, a different library from the dcmjs writer).
 */
import { describe, expect, it } from 'vitest';
import { encodeCtSeries } from '../../../lib/dicom/write-ct-series';
import { deidentifyDicom } from '../../../lib/dicom/deidentify';
import { parseDicomBytes, str } from '../../../lib/dicom/parse-file';

const grid = {
  dims: [4, 3, 2] as [number, number, number],
  spacingMm: [1, 1, 2] as [number, number, number],
  originMm: [0, 0, 0] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
};

function slice(): Uint8Array {
  return encodeCtSeries(
    { grid, data: new Float32Array(24).fill(40) },
    {
      patientName: 'DOE^JANE',
      patientId: 'MRN-778899',
      patientBirthDate: '19570304',
      patientSex: 'F',
      studyInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
      seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.1.2',
      frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.1.3',
      studyDate: '20260115',
      seriesNumber: 3,
      seriesDescription: '4D CT 20%',
      manufacturer: 'ACME',
      manufacturerModelName: 'Scan 9',
      institutionName: 'St Elsewhere Hospital',
      stationName: 'CTSIM01',
      referringPhysicianName: 'HOUSE^GREGORY',
      accessionNumber: 'ACC123456',
      studyDescription: 'Thorax for Jane Doe',
      imageComments: 'patient anxious, call daughter',
    },
  )[0].bytes;
}

describe('deidentifyDicom', () => {
  const remapped: string[] = [];
  const remapUid = (u: string) => {
    remapped.push(u);
    return `2.25.${[...u].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000_007, 7)}`;
  };
  const before = slice();
  const after = deidentifyDicom(before, { pseudonym: 'P-4F2A9C', dateShiftDays: -20, remapUid });
  const text = Buffer.from(after).toString('latin1');
  const { parsed } = parseDicomBytes(after, 'deid.dcm');
  const ds = parsed!.dataSet;

  it('removes or empties every identifying attribute and writes the pseudonym', () => {
    for (const id of [
      'DOE^JANE',
      'MRN-778899',
      '19570304',
      'St Elsewhere',
      'CTSIM01',
      'HOUSE^GREGORY',
      'ACC123456',
      'Jane Doe',
      'daughter',
      '20260115',
      '1.2.826.0.1.3680043.2.1125.1.',
    ]) {
      expect(Buffer.from(before).toString('latin1'), `written: ${id}`).toContain(id);
      expect(text, `left in: ${id}`).not.toContain(id);
    }
    expect(str(ds, 'x00100010')).toBe('P-4F2A9C');
    expect(str(ds, 'x00100020')).toBe('P-4F2A9C');
    expect(str(ds, 'x00100030') ?? '').toBe('');
    expect(str(ds, 'x00100040') ?? '').toBe('');
    expect(str(ds, 'x00080080')).toBeUndefined(); // InstitutionName removed
    expect(str(ds, 'x00081030')).toBeUndefined(); // StudyDescription removed
    expect(str(ds, 'x0008103e')).toBe('4D CT 20%'); // generated descriptor kept (Clean Descriptors)
  });

  it('shifts dates (2026-01-15 − 20 days = 2025-12-26), keeps times, remaps instance UIDs only', () => {
    expect(str(ds, 'x00080020')).toBe('20251226');
    expect(str(ds, 'x00080030')).toBe('090000');
    expect(str(ds, 'x0020000d')).toBe(remapUid('1.2.826.0.1.3680043.2.1125.1.1'));
    expect(str(ds, 'x00200052')).toBe(remapUid('1.2.826.0.1.3680043.2.1125.1.3'));
    expect(str(ds, 'x00080016')).toBe('1.2.840.10008.5.1.4.1.1.2'); // SOP Class UID kept
    expect(parsed!.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(remapped).not.toContain('1.2.840.10008.5.1.4.1.1.2');
  });

  it('records how it was de-identified (PS3.15 attributes, CID 7050 codes)', () => {
    expect(str(ds, 'x00120062')).toBe('YES');
    expect(str(ds, 'x00280303')).toBe('MODIFIED');
    // LO: at most 64 characters (it was 146); the detail is in the code sequence
    expect(str(ds, 'x00120063')).toBe('iSeg QA: PS3.15 Basic, Clean Descriptors, Modified Dates');
    expect(str(ds, 'x00120063')!.length).toBeLessThanOrEqual(64);
    const codes = ds.elements.x00120064.items!.map((i) => i.dataSet!.string('x00080100'));
    expect(codes).toEqual(['113100', '113105', '113107']);
  });

  it('keeps the pixel data', () => {
    const px = ds.elements.x7fe00010;
    expect(px.length).toBe(4 * 3 * 2);
    const v = new Uint16Array(after.buffer.slice(after.byteOffset + px.dataOffset, after.byteOffset + px.dataOffset + px.length));
    expect([...v]).toEqual(new Array(12).fill(40 + 1024));
  });
});
