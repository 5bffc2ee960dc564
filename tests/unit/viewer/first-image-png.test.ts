/**
 * The pure parts of the viewer's first image (issue #19): the greyscale PNG encoder
 * (lib/server/studies/get-study-slice-image.ts) read back with an independent reader (chunk CRCs
 * checked, rows inflated), and a slice's grid (lib/server/storage/slice-store.ts).
 */
import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeGreyPng } from '@/lib/server/studies/get-study-slice-image';
import { sliceGrid } from '@/lib/server/storage/slice-store';

function chunks(png: Uint8Array): { type: string; data: Buffer }[] {
  const b = Buffer.from(png);
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < b.length;) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    expect(b.readUInt32BE(at + 8 + len), `${type} CRC`).toBe(crc32(b.subarray(at + 4, at + 8 + len)));
    out.push({ type, data: b.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
  }
  return out;
}

describe('encodeGreyPng', () => {
  it('writes IHDR (8-bit greyscale), IDAT with one filter-0 row each, IEND; the values read back in row order', () => {
    const [w, h] = [5, 3];
    const grey = Uint8Array.from({ length: w * h }, (_, q) => q * 17);
    const c = chunks(encodeGreyPng(w, h, grey));
    expect(c.map((x) => x.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = c[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9], ihdr[10], ihdr[11], ihdr[12]]).toEqual([w, h, 8, 0, 0, 0, 0]);
    const raw = inflateSync(c[1]!.data);
    expect(raw.length).toBe((w + 1) * h);
    for (let y = 0; y < h; y++) {
      expect(raw[y * (w + 1)]).toBe(0);
      expect(Array.from(raw.subarray(y * (w + 1) + 1, (y + 1) * (w + 1)))).toEqual(Array.from(grey.subarray(y * w, (y + 1) * w)));
    }
  });

  it('refuses grey values that do not fill the image, saying how many it needs', () => {
    expect(() => encodeGreyPng(4, 4, new Uint8Array(15))).toThrow('A 4×4 image needs 16 grey values, not 15.');
  });
});

describe('sliceGrid', () => {
  it('slice k: one slice deep, its origin k slice spacings along the third direction column', () => {
    const g = {
      dims: [4, 3, 10] as [number, number, number],
      spacingMm: [1, 2, 2.5] as [number, number, number],
      originMm: [10, 20, 30] as [number, number, number],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, -1],
    };
    expect(sliceGrid(g, 0)).toEqual({ ...g, dims: [4, 3, 1] });
    const s = sliceGrid(g, 4);
    expect(s.dims).toEqual([4, 3, 1]);
    expect(s.originMm).toEqual([10, 20, 20]);
    expect(s.direction).toEqual(g.direction);
    const oblique = sliceGrid({ ...g, direction: [1, 0, 0, 0, 0.8, 0.6, 0, -0.6, 0.8] }, 2);
    expect(oblique.originMm[0]).toBeCloseTo(10, 9);
    expect(oblique.originMm[1]).toBeCloseTo(20 + 0.6 * 5, 9);
    expect(oblique.originMm[2]).toBeCloseTo(30 + 0.8 * 5, 9);
  });
});
