/**
 * readImageHeaders (the CT grid for a DVH from the slices' headers, without their pixels) builds
 * the same series as readDicom: on our phantom CT, on real GE and Siemens CT slices in every
 * transfer syntax of the compressed-pixel-data fixtures (encapsulated pixel data included), on a
 * slice whose header is longer than the first bytes read (a 40 kB private element before the
 * pixels: the whole file is read), on a raw data set without a Part 10 header, and it skips an
 * RTSTRUCT in the folder.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDicomBytes, readDicom, SMALL_DOSE_PHANTOM, writeDosePhantom } from '@/lib/dicom';
import { readImageHeaders } from '@/lib/dicom/read-image-headers';

const tmp = mkdtempSync(join(tmpdir(), 'iseg-headers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FIX = join(__dirname, '../../fixtures/dicom/compressed');

describe('readImageHeaders', () => {
  it('gives the series readDicom gives on the phantom CT (with its RTSTRUCT in the folder)', async () => {
    const files = await writeDosePhantom(join(tmp, 'phantom'), SMALL_DOSE_PHANTOM);
    const ct = join(tmp, 'phantom', 'CT');
    copyFileSync(files.rtstruct, join(ct, 'RS.dcm'));
    const fast = await readImageHeaders(ct);
    const full = await readDicom(ct);
    expect(fast.series.length).toBe(1);
    expect(fast.series).toEqual(full.series);
    expect(fast.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('gives the series readDicom gives on real GE and Siemens slices in every transfer syntax', async () => {
    let folders = 0;
    for (const vendor of ['rtutils', 'totalseg'])
      for (const syntax of readdirSync(join(FIX, vendor))) {
        const dir = join(FIX, vendor, syntax);
        const full = await readDicom(dir);
        const fast = await readImageHeaders(dir);
        expect(fast.series, `${vendor}/${syntax}`).toEqual(full.series);
        expect(fast.series.length, `${vendor}/${syntax}`).toBeGreaterThan(0);
        folders++;
      }
    expect(folders).toBeGreaterThan(20);
  });

  it('reads the whole file when the header is longer than the first bytes read, and reads raw data sets', async () => {
    const src = join(FIX, 'rtutils', 'native');
    const dir = join(tmp, 'long');
    mkdirSync(dir);
    const [first, second] = readdirSync(src).sort();
    // Insert (0029,1010) OB of 40,000 bytes just before (7FE0,0010): explicit VR little endian.
    const bytes = new Uint8Array(readFileSync(join(src, first!)));
    const parsed = parseDicomBytes(bytes, first!).parsed!;
    expect(parsed.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    const at = parsed.dataSet.elements.x7fe00010!.dataOffset - 12;
    const extra = new Uint8Array(12 + 40_000);
    extra.set([0x29, 0x00, 0x10, 0x10, 0x4f, 0x42, 0, 0]);
    new DataView(extra.buffer).setUint32(8, 40_000, true);
    writeFileSync(join(dir, 'long.dcm'), Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]));
    // The other slice as a raw data set: no preamble, no meta header (its syntax is guessed).
    const other = new Uint8Array(readFileSync(join(src, second!)));
    const metaLength = parseDicomBytes(other, second!).parsed!.dataSet.uint32('x00020000')!;
    writeFileSync(join(dir, 'raw.dcm'), other.subarray(132 + 12 + metaLength));
    const full = await readDicom(dir);
    const fast = await readImageHeaders(dir);
    expect(full.series.length).toBe(1);
    expect(full.series[0]!.slices.length).toBe(2);
    expect(fast.series).toEqual(full.series);
  });
});
