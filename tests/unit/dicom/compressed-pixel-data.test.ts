/**
 * Compressed pixel data: real CT crops (rt-utils' GE phantom, signed 16-bit; TotalSegmentator's
 * Siemens CT, unsigned 12-bit) compressed by dcmtk and GDCM into every syntax we decode, against
 * (a) the uncompressed original, exactly, for the lossless syntaxes and (b) pydicom 2.3 with GDCM
 * for all of them (OpenJPH's decoder for HTJ2K). Recipe: tests/reference/dicom/make_compressed_fixtures.py (README next to the
 * fixtures). Also: multi-frame splitting by Basic Offset Table and by JPEG markers, corrupt
 * codestreams and syntaxes we cannot decode (findings naming the syntax), and the whole real
 * TotalSegmentator JPEG 2000 series against GDCM.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DicomError, loadCtVolume, parseDicomBytes, readDicom } from '@/lib/dicom';
import { readEncapsulatedFrames } from '@/lib/dicom/encapsulated-frames';
import { decodeFrame } from '@/lib/dicom/decode-frame';
import { decodeRleFrame } from '@/lib/dicom/decode-rle';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const FIX = join(__dirname, '../../fixtures/dicom/compressed');
const DATA = sharedDataPath();
const refs = JSON.parse(gunzipSync(readFileSync(join(FIX, 'references.json.gz'))).toString()) as {
  files: Record<string, { transferSyntaxUid: string; frames: number; rows: number; columns: number; hu: number[] }>;
  totalsegmentatorSeries: { file: string; z: number; sha256: string; sum: number; min: number; max: number }[];
};
const tmp = mkdtempSync(join(tmpdir(), 'iseg-compressed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LOSSLESS: Record<string, string> = {
  'jpeg-lossless-sv1': '1.2.840.10008.1.2.4.70',
  'jpeg-lossless-sv6': '1.2.840.10008.1.2.4.57',
  'jpeg-lossless-frag': '1.2.840.10008.1.2.4.70',
  'jpeg-ls': '1.2.840.10008.1.2.4.80',
  rle: '1.2.840.10008.1.2.5',
  j2k: '1.2.840.10008.1.2.4.90',
  htj2k: '1.2.840.10008.1.2.4.201', // reference: OpenJPH's ojph_expand (pydicom 2.3 has no HTJ2K)
};
/**
 * Lossy syntaxes and the largest |HU| difference allowed from pydicom/GDCM's decoding of the same
 * file. The decoders agree on the stored values exactly (JPEG-LS and JPEG 2000 decoding are
 * specified to the bit; libjpeg-turbo and GDCM's libjpeg agree here); the 1e-3 is float32 vs
 * float64 HU where dcmtk's 8-bit baseline copy has a fractional RescaleSlope (16.05882).
 */
const LOSSY: Record<string, { uid: string; tolerance: number }> = {
  'jpeg-ls-near': { uid: '1.2.840.10008.1.2.4.81', tolerance: 0 },
  'j2k-lossy': { uid: '1.2.840.10008.1.2.4.91', tolerance: 0 },
  'jpeg-baseline': { uid: '1.2.840.10008.1.2.4.50', tolerance: 1e-3 },
};

async function volumeOf(dir: string) {
  const r = await readDicom(dir);
  expect(r.findings).toEqual([]);
  expect(r.series).toHaveLength(1);
  const s = r.series[0];
  return { series: s, volume: await loadCtVolume(s) };
}

function refHu(source: string, variant: string): number[] {
  return [1, 2].flatMap((n) => refs.files[`${source}/${variant}/ct_${n}.dcm`].hu);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let t = 0; t < a.length; t++) m = Math.max(m, Math.abs(a[t] - b[t]));
  return m;
}

for (const source of ['rtutils', 'totalseg']) {
  describe(`${source}: compressed copies of a real CT crop`, () => {
    it('native original: 80 columns × 96 rows × 2 slices, HU as pydicom reads them', async () => {
      const { series, volume } = await volumeOf(join(FIX, source, 'native'));
      expect(series.grid!.dims).toEqual([80, 96, 2]);
      expect(maxAbsDiff(volume.data, refHu(source, 'native'))).toBe(0);
    });

    for (const [variant, uid] of Object.entries(LOSSLESS)) {
      it(`${variant} (${uid}): decoded HU equal the uncompressed original exactly, same grid, no findings`, async () => {
        const native = await volumeOf(join(FIX, source, 'native'));
        const { series, volume } = await volumeOf(join(FIX, source, variant));
        expect(series.slices.every((h) => h.transferSyntaxUid === uid && h.pixelDataEncapsulated)).toBe(true);
        expect(series.findings).toEqual([]);
        expect(series.grid).toEqual(native.series.grid);
        expect(volume.data.constructor).toBe(native.volume.data.constructor);
        expect(maxAbsDiff(volume.data, native.volume.data)).toBe(0);
        expect(maxAbsDiff(volume.data, refHu(source, variant))).toBe(0);
      });
    }

    for (const [variant, { uid, tolerance }] of Object.entries(LOSSY)) {
      it(`${variant} (${uid}): decoded like pydicom/GDCM, with a LOSSY_COMPRESSION warning`, async () => {
        const r = await readDicom(join(FIX, source, variant));
        const s = r.series[0];
        expect(s.slices.every((h) => h.transferSyntaxUid === uid)).toBe(true);
        expect(s.loadable).toBe(true);
        const lossy = s.findings.filter((f) => f.code === 'LOSSY_COMPRESSION');
        expect(lossy).toHaveLength(1);
        expect(lossy[0].severity).toBe('warning');
        const volume = await loadCtVolume(s);
        expect(maxAbsDiff(volume.data, refHu(source, variant))).toBeLessThanOrEqual(tolerance);
        // And it is lossy: not the original (otherwise the fixture tests nothing). GDCM's
        // near-lossless JPEG-LS of the signed rt-utils crop happens to be exact.
        const native = await volumeOf(join(FIX, source, 'native'));
        if (!(source === 'rtutils' && variant === 'jpeg-ls-near')) expect(maxAbsDiff(volume.data, native.volume.data)).toBeGreaterThan(0);
      });
    }

    it('jpeg-lossless-frag really holds several fragments per frame and an empty Basic Offset Table', () => {
      const bytes = new Uint8Array(readFileSync(join(FIX, source, 'jpeg-lossless-frag/ct_1.dcm')));
      const { parsed } = parseDicomBytes(bytes, 'ct_1.dcm');
      const el = parsed!.dataSet.elements.x7fe00010;
      expect(el.basicOffsetTable).toEqual([]);
      expect(el.fragments!.length).toBeGreaterThan(3);
    });

    for (const file of ['bot.dcm', 'nobot.dcm']) {
      it(`multi-frame ${file}: 2 frames × 2 fragments split ${file === 'bot.dcm' ? 'by the Basic Offset Table' : 'by JPEG start-of-image markers'}, decoded like pydicom`, async () => {
        const bytes = new Uint8Array(readFileSync(join(FIX, source, 'multiframe', file)));
        const { parsed } = parseDicomBytes(bytes, file);
        const ds = parsed!.dataSet;
        const el = ds.elements.x7fe00010;
        expect(el.fragments).toHaveLength(4);
        expect(el.basicOffsetTable!.length).toBe(file === 'bot.dcm' ? 2 : 0);
        const frames = readEncapsulatedFrames(ds, el, 2);
        expect(frames).toHaveLength(2);
        const ref = refs.files[`${source}/multiframe/${file}`];
        const signed = ds.uint16('x00280103') === 1;
        const slope = Number(ds.string('x00281053') ?? 1);
        const icpt = Number(ds.string('x00281052') ?? 0);
        const hu: number[] = [];
        for (const frame of frames) {
          const px = await decodeFrame('jpeg-lossless', frame, { rows: 96, columns: 80, samplesPerPixel: 1, bitsAllocated: 16 });
          const dv = new DataView(px.buffer, px.byteOffset, px.byteLength);
          for (let t = 0; t < 80 * 96; t++) hu.push((signed ? dv.getInt16(2 * t, true) : dv.getUint16(2 * t, true)) * slope + icpt);
        }
        expect(maxAbsDiff(hu, ref.hu)).toBe(0);
        expect(maxAbsDiff(hu, refHu(source, 'native'))).toBe(0);
      });
    }
  });
}

describe('frame splitting and RLE: what cannot be decoded says why', () => {
  it('a Basic Offset Table that disagrees with NumberOfFrames is an error, not a guess', () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'rtutils/multiframe/bot.dcm')));
    const { parsed } = parseDicomBytes(bytes, 'bot.dcm');
    expect(() => readEncapsulatedFrames(parsed!.dataSet, parsed!.dataSet.elements.x7fe00010, 3)).toThrow(
      /Basic Offset Table lists 2 frames, NumberOfFrames is 3/,
    );
  });

  it('RLE: PackBits runs, literals and the -128 no-op, MSB segment first', () => {
    // 2 pixels of 16 bits: 0x0102, 0x0304 → segment 1 (MSB) = 01 03, segment 2 (LSB) = 02 04.
    const header = new Uint8Array(64);
    const dv = new DataView(header.buffer);
    dv.setUint32(0, 2, true);
    dv.setUint32(4, 64, true);
    dv.setUint32(8, 64 + 4, true);
    const seg1 = [0x80, 0x01, 0x01, 0x03]; // no-op, literal of 2: 01 03
    const seg2 = [0xff, 0x02]; // run of 2 × 02
    const out = decodeRleFrame(new Uint8Array([...header, ...seg1, ...seg2]), 2, 1, 2);
    expect(Array.from(out)).toEqual([0x02, 0x01, 0x02, 0x03]);
    expect(() => decodeRleFrame(new Uint8Array([...header, ...seg1, ...seg2]), 2, 1, 1)).toThrow(/lists 2 segments, 1 expected/);
    expect(() => decodeRleFrame(new Uint8Array([...header, ...seg1, 0x00]), 3, 1, 2)).toThrow(/decodes to/);
  });
});

/** Copy a fixture slice pair into a temp folder, changing the bytes of the files. */
function variantCopy(name: string, from: string, change: (bytes: Uint8Array, n: number) => Uint8Array): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const n of [1, 2]) writeFileSync(join(dir, `ct_${n}.dcm`), change(new Uint8Array(readFileSync(join(FIX, from, `ct_${n}.dcm`))), n));
  return dir;
}

function replaceAscii(bytes: Uint8Array, from: string, to: string): Uint8Array {
  expect(to.length).toBe(from.length);
  const s = Buffer.from(bytes).toString('latin1');
  const at = s.indexOf(from);
  expect(at).toBeGreaterThan(0);
  const out = new Uint8Array(bytes);
  out.set(Buffer.from(to, 'latin1'), at);
  return out;
}

describe('8-bit codestreams in 16-bit allocated pixels', () => {
  it('decode to one byte per sample and are widened to 16 bits (unsigned stays unsigned)', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'totalseg/jpeg-baseline/ct_1.dcm')));
    const { parsed } = parseDicomBytes(bytes, 'ct_1.dcm');
    const [frame] = readEncapsulatedFrames(parsed!.dataSet, parsed!.dataSet.elements.x7fe00010, 1);
    const narrow = await decodeFrame('jpeg-8bit', frame, { rows: 96, columns: 80, samplesPerPixel: 1, bitsAllocated: 8 });
    const wide = await decodeFrame('jpeg-8bit', frame, { rows: 96, columns: 80, samplesPerPixel: 1, bitsAllocated: 16 });
    expect(wide.length).toBe(2 * narrow.length);
    const w = new DataView(wide.buffer, wide.byteOffset, wide.byteLength);
    expect(Array.from({ length: narrow.length }, (_, n) => w.getUint16(2 * n, true))).toEqual(Array.from(narrow));
    expect(Math.max(...narrow)).toBeGreaterThan(127); // the high bit is set somewhere: not sign-extended
  });
});

describe('compressed pixel data we cannot decode', () => {
  it('an unknown encapsulated transfer syntax: geometry read, voxels refused with COMPRESSED_PIXEL_DATA naming the UID', async () => {
    const dir = variantCopy('unknown-ts', 'rtutils/jpeg-lossless-sv1', (b) => replaceAscii(b, '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.99'));
    const r = await readDicom(dir);
    const s = r.series[0];
    expect(s.grid!.dims).toEqual([80, 96, 2]);
    expect(s.loadable).toBe(false);
    const f = s.findings.find((x) => x.code === 'COMPRESSED_PIXEL_DATA')!;
    expect(f.severity).toBe('error');
    expect(f.message).toMatch(/2 of 2 slices .* use unknown transfer syntax \(1\.2\.840\.10008\.1\.2\.4\.99\) that this importer has no decoder for/);
    await expect(loadCtVolume(s)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('16-bit CT labelled JPEG Extended (12-bit capable, 8-bit decoder only): refused, naming the syntax and the bit depth', async () => {
    const dir = variantCopy('jpeg-extended', 'rtutils/j2k', (b) => replaceAscii(b, '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.51'));
    const s = (await readDicom(dir)).series[0];
    expect(s.loadable).toBe(false);
    expect(s.findings.find((x) => x.code === 'COMPRESSED_PIXEL_DATA')!.message).toMatch(
      /JPEG Extended \(Process 2 & 4\) \(1\.2\.840\.10008\.1\.2\.4\.51\) at 16 bits stored, which the 8-bit JPEG decoder cannot read/,
    );
  });

  for (const [variant, what] of [
    ['j2k', 'JPEG 2000'],
    ['jpeg-ls', 'JPEG-LS'],
    ['jpeg-lossless-sv1', 'JPEG lossless'],
    ['rle', 'RLE'],
  ] as const) {
    it(`a corrupt ${what} codestream (second slice): CORRUPT_PIXEL_DATA naming the file and the syntax; nothing returned`, async () => {
      const dir = variantCopy(`corrupt-${variant}`, `rtutils/${variant}`, (b, n) => {
        if (n === 1) return b;
        const { parsed } = parseDicomBytes(b, 'x');
        const frag = parsed!.dataSet.elements.x7fe00010.fragments![0];
        const out = new Uint8Array(b);
        // Overwrite the codestream's header and body (keep the item lengths, so the file parses).
        out.fill(0x00, frag.position, frag.position + Math.min(frag.length, 200));
        return out;
      });
      const r = await readDicom(dir);
      const s = r.series[0];
      expect(s.loadable).toBe(true); // the header is fine; the damage shows when decoding
      const err = await loadCtVolume(s).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DicomError);
      const e = err as DicomError;
      expect(e.code).toBe('INVALID_INPUT');
      expect(e.findings[0].code).toBe('CORRUPT_PIXEL_DATA');
      expect(e.message).toContain(join(dir, 'ct_2.dcm'));
      expect(e.message).toContain(s.slices[0].transferSyntaxUid);
    });
  }
});

const haveData = haveSharedData(join(DATA, 'totalsegmentator/example_ct_dicom'));
describe.skipIf(!haveData)(
  referenceSuite(`the real TotalSegmentator series (JPEG 2000 lossless, 20 × 512²) against GDCM (needs ${DATA}; skipped when absent)`),
  () => {
    it('every slice: sha256 of the HU equal to pydicom+GDCM, slices in the same order', async () => {
      const r = await readDicom(join(DATA, 'totalsegmentator/example_ct_dicom'));
      const s = r.series[0];
      expect(s.loadable).toBe(true);
      expect(s.findings.map((f) => f.code)).toEqual(['MISSING_ATTRIBUTE']); // blank UIDs, grouped anyway
      const v = await loadCtVolume(s);
      expect(v.data).toBeInstanceOf(Int16Array);
      const plane = 512 * 512;
      const ours = s.slices.map((h, k) => {
        const slice = (v.data as Int16Array).subarray(k * plane, (k + 1) * plane);
        let sum = 0;
        for (const x of slice) sum += x;
        return {
          file: h.file.slice(DATA.length + 1),
          sha256: createHash('sha256')
            .update(new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength))
            .digest('hex'),
          sum,
        };
      });
      expect(ours).toEqual(refs.totalsegmentatorSeries.map(({ file, sha256, sum }) => ({ file, sha256, sum })));
    });
  },
);
