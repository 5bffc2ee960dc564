/**
 * Pixel decoding on hand-made files whose HU are known by construction: explicit VR big and
 * little endian, signed and unsigned pixels, BitsStored < BitsAllocated (high bits that are not
 * part of the value), non-integer rescale → Float32Array.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCtVolume, readDicom } from '@/lib/dicom';

const tmp = mkdtempSync(join(tmpdir(), 'iseg-pixels-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type El = [group: number, element: number, vr: string, value: string | number[] | Uint8Array];

function encode(elements: El[], le: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [g, e, vr, value] of elements) {
    let body: Uint8Array;
    if (typeof value === 'string') {
      const pad = vr === 'UI' ? '\0' : ' ';
      body = Buffer.from(value.length % 2 ? value + pad : value, 'latin1');
    } else if (value instanceof Uint8Array) body = value;
    else {
      const size = vr === 'UL' ? 4 : 2;
      body = new Uint8Array(value.length * size);
      const dv = new DataView(body.buffer);
      value.forEach((v, n) => (size === 4 ? dv.setUint32(n * 4, v, le) : dv.setUint16(n * 2, v, le)));
    }
    const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
    const head = new Uint8Array(long ? 12 : 8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, g, le);
    dv.setUint16(2, e, le);
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    if (long) dv.setUint32(8, body.length, le);
    else dv.setUint16(6, body.length, le);
    parts.push(head, body);
  }
  return Buffer.concat(parts);
}

interface MiniCt {
  transferSyntax: string;
  z: number;
  sop: string;
  raw: number[]; // stored 16-bit words, row by row (3 columns × 2 rows)
  bitsStored: number;
  signed: boolean;
  slope: string;
  intercept: string;
}

function miniCt(o: MiniCt): Uint8Array {
  const le = o.transferSyntax !== '1.2.840.10008.1.2.2';
  const pixels = new Uint8Array(o.raw.length * 2);
  const pv = new DataView(pixels.buffer);
  o.raw.forEach((v, n) => pv.setUint16(2 * n, v & 0xffff, le));
  const meta = encode(
    [
      [0x0002, 0x0001, 'OB', new Uint8Array([0, 1])],
      [0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.2'],
      [0x0002, 0x0003, 'UI', o.sop],
      [0x0002, 0x0010, 'UI', o.transferSyntax],
    ],
    true,
  );
  const groupLength = encode([[0x0002, 0x0000, 'UL', [meta.length]]], true);
  const body = encode(
    [
      [0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.2'],
      [0x0008, 0x0018, 'UI', o.sop],
      [0x0008, 0x0060, 'CS', 'CT'],
      [0x0020, 0x000d, 'UI', '1.2.3.1'],
      [0x0020, 0x000e, 'UI', '1.2.3.2'],
      [0x0020, 0x0032, 'DS', `-10\\20.5\\${o.z}`],
      [0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'],
      [0x0020, 0x0052, 'UI', '1.2.3.3'],
      [0x0028, 0x0002, 'US', [1]],
      [0x0028, 0x0004, 'CS', 'MONOCHROME2'],
      [0x0028, 0x0010, 'US', [2]],
      [0x0028, 0x0011, 'US', [3]],
      [0x0028, 0x0030, 'DS', '0.75\\0.5'],
      [0x0028, 0x0100, 'US', [16]],
      [0x0028, 0x0101, 'US', [o.bitsStored]],
      [0x0028, 0x0102, 'US', [o.bitsStored - 1]],
      [0x0028, 0x0103, 'US', [o.signed ? 1 : 0]],
      [0x0028, 0x1052, 'DS', o.intercept],
      [0x0028, 0x1053, 'DS', o.slope],
      [0x7fe0, 0x0010, 'OW', pixels],
    ],
    le,
  );
  const preamble = new Uint8Array(132);
  preamble.set(Buffer.from('DICM'), 128);
  return Buffer.concat([preamble, groupLength, meta, body]);
}

async function load(files: MiniCt[]) {
  const paths = files.map((f, n) => {
    const p = join(tmp, `${f.transferSyntax}-${f.sop}-${n}.dcm`);
    writeFileSync(p, miniCt(f));
    return p;
  });
  const r = await readDicom(paths);
  expect(r.findings).toEqual([]);
  expect(r.series).toHaveLength(1);
  return { series: r.series[0], volume: await loadCtVolume(r.series[0]) };
}

describe('pixel decoding (hand-made files)', () => {
  for (const [name, ts] of [
    ['explicit VR little endian', '1.2.840.10008.1.2.1'],
    ['explicit VR big endian', '1.2.840.10008.1.2.2'],
  ] as const) {
    it(`${name}: signed 16-bit, two slices in reverse file order, integer rescale → Int16Array`, async () => {
      const base = { transferSyntax: ts, bitsStored: 16, signed: true, slope: '1', intercept: '-1024' };
      const { series, volume } = await load([
        { ...base, z: 7.5, sop: '1.2.3.4.2', raw: [0, 1, 2, 3, 4, 5] },
        { ...base, z: 5, sop: '1.2.3.4.1', raw: [-1000, 1024, 2000, -1, 0x7fff, 300] },
      ]);
      expect(series.grid).toEqual({ dims: [3, 2, 2], spacingMm: [0.5, 0.75, 2.5], originMm: [-10, 20.5, 5], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });
      expect(volume.data).toBeInstanceOf(Int16Array);
      expect(Array.from(volume.data)).toEqual([-2024, 0, 976, -1025, 31743, -724, -1024, -1023, -1022, -1021, -1020, -1019]);
    });

    it(`${name}: HU beyond 16 bits and a fractional slope give Float32Array`, async () => {
      const over = await load([
        { transferSyntax: ts, bitsStored: 16, signed: true, slope: '1', intercept: '-1024', z: 0, sop: '1.2.3.5.1', raw: [-0x8000, 0, 1, 2, 3, 4] },
      ]);
      expect(over.volume.data).toBeInstanceOf(Float32Array);
      expect(Array.from(over.volume.data)).toEqual([-33792, -1024, -1023, -1022, -1021, -1020]);
      const frac = await load([
        { transferSyntax: ts, bitsStored: 16, signed: false, slope: '0.5', intercept: '-1000.25', z: 0, sop: '1.2.3.6.1', raw: [0, 1, 2, 0xffff, 2000, 3] },
      ]);
      expect(frac.volume.data).toBeInstanceOf(Float32Array);
      expect(Array.from(frac.volume.data)).toEqual([-1000.25, -999.75, -999.25, 31767.25, -0.25, -998.75]);
    });

    it(`${name}: a later slice beyond 16 bits or with a fractional slope turns the whole volume Float32, earlier slices kept exactly`, async () => {
      const base = { transferSyntax: ts, bitsStored: 16, signed: true, slope: '1', intercept: '-1024' };
      const over = await load([
        { ...base, z: 0, sop: '1.2.3.9.1', raw: [-1000, 1024, 2000, -1, 0x7fff, 300] },
        { ...base, z: 2.5, sop: '1.2.3.9.2', raw: [0, 1, 2, 3, 4, 5] },
        { ...base, z: 5, sop: '1.2.3.9.3', raw: [-0x8000, 0, 1, 2, 3, 4] },
      ]);
      expect(over.volume.data).toBeInstanceOf(Float32Array);
      expect(Array.from(over.volume.data)).toEqual([
        -2024, 0, 976, -1025, 31743, -724, -1024, -1023, -1022, -1021, -1020, -1019, -33792, -1024, -1023, -1022, -1021, -1020,
      ]);
      const frac = await load([
        { ...base, z: 0, sop: '1.2.3.10.1', raw: [-1000, 1024, 2000, -1, 0x7fff, 300] },
        { ...base, z: 2.5, sop: '1.2.3.10.2', slope: '0.5', intercept: '-1000.25', raw: [0, 1, 2, 3, 2000, -2] },
        { ...base, z: 5, sop: '1.2.3.10.3', raw: [0, 1, 2, 3, 4, 5] },
      ]);
      expect(frac.volume.data).toBeInstanceOf(Float32Array);
      expect(Array.from(frac.volume.data)).toEqual([
        -2024, 0, 976, -1025, 31743, -724, -1000.25, -999.75, -999.25, -998.75, -0.25, -1001.25, -1024, -1023, -1022, -1021, -1020, -1019,
      ]);
    });

    it(`${name}: 12 bits stored — unsigned ignores the high bits, signed extends bit 11`, async () => {
      const u = await load([
        { transferSyntax: ts, bitsStored: 12, signed: false, slope: '1', intercept: '0', z: 0, sop: '1.2.3.7.1', raw: [0xf123, 0x0fff, 0x1000, 0, 1, 0xa00a] },
      ]);
      expect(Array.from(u.volume.data)).toEqual([0x123, 4095, 0, 0, 1, 10]);
      const s = await load([
        {
          transferSyntax: ts,
          bitsStored: 12,
          signed: true,
          slope: '1',
          intercept: '0',
          z: 0,
          sop: '1.2.3.8.1',
          raw: [0x0fff, 0x0800, 0x07ff, 0xf001, 0, 0xfffe],
        },
      ]);
      expect(Array.from(s.volume.data)).toEqual([-1, -2048, 2047, 1, 0, -2]);
    });
  }
});
