/**
 * lib/server/deid/deidentify-keeping-pixels.ts: the de-identified export rewrites only the
 * attributes before Pixel Data and appends the pixel element unchanged. The reference is the
 * whole-file path (lib/dicom deidentifyDicom): the result must be the same bytes. A file whose
 * Pixel Data is not the last element (trailing padding) and one without pixels take the
 * whole-file path; a byte pattern that looks like the Pixel Data tag inside the pixels is not
 * taken for it.
 */
import { describe, expect, it } from 'vitest';
import { encodeCtSeries } from '@/lib/dicom/write-ct-series';
import { deidentifyDicom } from '@/lib/dicom/deidentify';
import { writeRtStruct } from '@/lib/dicom/write-rtstruct';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDicom } from '@/lib/dicom/read-dicom';
import { deidentifyKeepingPixels, trailingPixelDataOffset } from '@/lib/server/deid/deidentify-keeping-pixels';

const grid = {
  dims: [16, 8, 3] as [number, number, number],
  spacingMm: [1, 1, 2] as [number, number, number],
  originMm: [0, 0, 0] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
};
const options = { pseudonym: 'PSEUDO-0001', dateShiftDays: -17, remapUid: (u: string) => `2.25.${u.replace(/\./g, '').slice(0, 30)}` };

function slices(values: (n: number) => number): Uint8Array[] {
  const data = new Float32Array(16 * 8 * 3).map((_, n) => values(n));
  return encodeCtSeries(
    { grid, data },
    {
      patientName: 'DOE^JANE',
      patientId: 'MRN-778899',
      studyInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
      seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.1.2',
      frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.1.3',
      studyDate: '20260115',
      seriesNumber: 3,
      seriesDescription: 'CT',
      manufacturer: 'ACME',
      manufacturerModelName: 'Scan 9',
      institutionName: 'St Elsewhere Hospital',
    },
  ).map((f) => f.bytes);
}

describe('deidentifyKeepingPixels', () => {
  it('gives the same bytes as de-identifying the whole file, with the pixels untouched', () => {
    for (const bytes of slices((n) => (n * 37) % 900)) {
      const at = trailingPixelDataOffset(bytes);
      expect(at).toBeGreaterThan(132);
      const fast = deidentifyKeepingPixels(bytes, options);
      expect(Buffer.from(fast).equals(Buffer.from(deidentifyDicom(bytes, options)))).toBe(true);
      expect(Buffer.from(fast.subarray(fast.length - (bytes.length - at))).equals(Buffer.from(bytes.subarray(at)))).toBe(true);
      const text = Buffer.from(fast).toString('latin1');
      expect(text).not.toContain('DOE^JANE');
      expect(text).not.toContain('St Elsewhere');
      expect(text).toContain('PSEUDO-0001');
    }
  });

  it('is not fooled by the Pixel Data tag bytes inside the pixel values', () => {
    // (7FE0,0010) "OW" little endian as 16-bit values: 0x7FE0, 0x0010, 0x574F, 0x0000.
    const pattern = [0x7fe0, 0x0010, 0x574f, 0];
    const [bytes] = slices((n) => pattern[n % 4] - 1024);
    const at = trailingPixelDataOffset(bytes);
    expect(Buffer.from(deidentifyKeepingPixels(bytes, options)).equals(Buffer.from(deidentifyDicom(bytes, options)))).toBe(true);
    expect(bytes.length - at - 12).toBe(16 * 8 * 2);
  });

  it('takes the whole-file path when Pixel Data is not last, or absent', async () => {
    const cts = slices(() => 40);
    const padded = new Uint8Array(cts[0].length + 12);
    padded.set(cts[0]);
    padded.set([0xfc, 0xff, 0xfc, 0xff, 0x4f, 0x42, 0, 0, 0, 0, 0, 0], cts[0].length); // (FFFC,FFFC) OB, length 0
    expect(trailingPixelDataOffset(padded)).toBe(-1);
    const dir = mkdtempSync(join(tmpdir(), 'iseg-deid-pixels-'));
    cts.forEach((b, k) => writeFileSync(join(dir, `ct${k}.dcm`), b));
    const series = (await readDicom(dir)).series[0];
    rmSync(dir, { recursive: true, force: true });
    const rt = writeRtStruct({ series, structures: [{ name: 'GTV', mask: { grid, data: new Uint8Array(16 * 8 * 3).fill(1) } }] }).bytes;
    expect(trailingPixelDataOffset(rt)).toBe(-1);
    expect(Buffer.from(deidentifyKeepingPixels(rt, options)).equals(Buffer.from(deidentifyDicom(rt, options)))).toBe(true);
  });
});
