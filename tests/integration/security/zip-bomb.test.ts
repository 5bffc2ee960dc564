/**
 * Zip bombs against extractUpload (issue 13, item 3). The archive of the report — 1,500 entries
 * of 1 MiB of zeros, 1.7 MB zipped — once slipped under the per-entry ratio check (entries of
 * 1 MiB or less were exempt) and wrote 1.5 GB to the temp folder. Every case here watches the
 * disk while extracting (the size of the upload folder after every write) and checks that it
 * stays under the cap, and that the folder is gone after the refusal.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractUpload, type ExtractUploadOptions } from '@/lib/server/studies/extract-upload';

const MiB = 1024 * 1024;

interface RawEntry {
  name: string;
  /** Compressed data as it goes into the zip. */
  data: Uint8Array;
  method: 0 | 8;
  crc: number;
  size: number;
}

/** A zip written by hand, so that 1,500 copies of one deflated MiB take milliseconds. */
function writeZip(entries: RawEntry[], lie?: (e: RawEntry) => number): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, Buffer.from(e.data));
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt32LE(e.crc, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(lie ? lie(e) : e.size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + e.data.length;
  }
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, cdBytes, eocd]));
}

const deflated = (name: string, content: Uint8Array): RawEntry => ({
  name,
  data: zlib.deflateRawSync(content, { level: 9 }),
  method: 8,
  crc: zlib.crc32(content) >>> 0,
  size: content.length,
});
const stored = (name: string, content: Uint8Array): RawEntry => ({ name, data: content, method: 0, crc: zlib.crc32(content) >>> 0, size: content.length });

/** The report's archive: `count` entries of one MiB of zeros, deflated once and repeated. */
function manySmallZeros(count: number, lie?: (e: RawEntry) => number): Uint8Array {
  const one = deflated('x', new Uint8Array(MiB));
  return writeZip(
    Array.from({ length: count }, (_, n) => ({ ...one, name: `export/IM${String(n).padStart(5, '0')}.dcm` })),
    lie,
  );
}

function folderBytes(dir: string): number {
  let sum = 0;
  for (const d of readdirSync(dir, { recursive: true, withFileTypes: true })) if (d.isFile()) sum += statSync(join(d.parentPath, d.name)).size;
  return sum;
}

describe('zip bombs: caps enforced while streaming, nothing over them on disk', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'iseg-zip-bomb-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Extracts with the disk watched; returns the error (or the upload) and the most bytes seen on disk. */
  async function extractWatched(bytes: Uint8Array, options: Partial<ExtractUploadOptions> = {}) {
    const root = mkdtempSync(join(tmp, 'case-'));
    let maxOnDisk = 0;
    let reported = 0;
    const result = await extractUpload({
      bytes,
      name: 'bomb.zip',
      tmpRoot: root,
      maxBytes: 2048 * MiB, // the default ISEG_UPLOAD_MAX_MB
      ...options,
      onWrite: ({ dir, bytesWritten }) => {
        maxOnDisk = Math.max(maxOnDisk, folderBytes(dir));
        reported = bytesWritten;
      },
    }).catch((e: unknown) => e);
    return { result, maxOnDisk, reported, leftOver: readdirSync(root) };
  }

  it("the report's archive (1,500 × 1 MiB of zeros, 1.7 MB zipped) is refused before a byte is written", async () => {
    const zip = manySmallZeros(1500);
    expect(zip.length).toBeGreaterThan(1.5e6);
    expect(zip.length).toBeLessThan(1.9e6);
    const { result, maxOnDisk, leftOver } = await extractWatched(zip);
    expect(result).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('possible zip bomb') });
    expect((result as Error).message).toMatch(/Upload "bomb\.zip": its files add up to 1500 MiB uncompressed from a 1\.\d MiB zip, more than 200×/);
    expect(maxOnDisk).toBe(0);
    expect(leftOver).toEqual([]);
  });

  it('the same archive with its sizes understated stops at the first chunk past what an entry declares', async () => {
    const zip = manySmallZeros(1500, () => 1000);
    const { result, maxOnDisk, leftOver } = await extractWatched(zip);
    expect(result).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('inflates to more than the 1000 bytes it declares') });
    expect(maxOnDisk).toBeLessThanOrEqual(1000);
    expect(leftOver).toEqual([]);
  });

  it('with the ratio cap lifted, the total-unpacked cap stops the same archive at the cap, on disk', async () => {
    const zip = manySmallZeros(1500);
    // The total-unpacked cap checked on every chunk: 64 MiB here, with no ratio cap at all.
    const { result, maxOnDisk, reported, leftOver } = await extractWatched(zip, { maxBytes: 16 * MiB, maxUncompressedBytes: 64 * MiB, maxRatio: 1e9 });
    expect(result).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('64 MiB') });
    expect(maxOnDisk).toBeLessThanOrEqual(64 * MiB);
    expect(reported).toBeLessThanOrEqual(64 * MiB);
    expect(leftOver).toEqual([]);
    // And with the sizes understated to slip under the declared-total check, streaming still stops it.
    const lying = manySmallZeros(1500, (e) => (e.name.endsWith('00000.dcm') ? e.size : 0));
    const again = await extractWatched(lying, { maxBytes: 16 * MiB, maxUncompressedBytes: 64 * MiB, maxRatio: 1e9 });
    expect(again.result).toMatchObject({ code: 'INVALID_INPUT' });
    expect(again.maxOnDisk).toBeLessThanOrEqual(64 * MiB);
    expect(again.leftOver).toEqual([]);
  });

  it('a single-entry bomb (256 MiB of zeros in 255 KB) is refused, even if it lies about its size', async () => {
    const bomb = deflated('export/CT.dcm', new Uint8Array(256 * MiB));
    expect(bomb.data.length).toBeLessThan(300_000);
    const honest = await extractWatched(writeZip([bomb]));
    expect(honest.result).toMatchObject({ message: expect.stringContaining('possible zip bomb') });
    expect(honest.maxOnDisk).toBe(0);
    expect(honest.leftOver).toEqual([]);
    // Declared as 50 MB, under 200× its compressed size: streaming stops it at the first chunk
    // past the declared size, which the ratio cap bounds.
    const lying = await extractWatched(writeZip([bomb], () => 50_000_000));
    expect(lying.result).toMatchObject({ message: expect.stringContaining('entry "export/CT.dcm" inflates to more than the 50000000 bytes it declares') });
    expect(lying.maxOnDisk).toBeLessThanOrEqual(50_000_000);
    expect(lying.leftOver).toEqual([]);
    // With the ratio cap checked per entry on the bytes produced: lifted total caps, declared
    // sizes that fit, the per-entry ratio stops it.
    const ratio = await extractWatched(
      writeZip([bomb], () => 50_000_000),
      { maxRatio: 50 },
    );
    expect(ratio.result).toMatchObject({ message: expect.stringContaining('possible zip bomb') });
    expect(ratio.maxOnDisk).toBeLessThanOrEqual(50 * bomb.data.length);
    expect(lying.leftOver).toEqual([]);
  });

  it('a nested bomb: a .nii.gz that inflates past the caps is refused; its inflated bytes never reach the disk', async () => {
    const gz = zlib.gzipSync(new Uint8Array(64 * MiB), { level: 9 });
    const zip = writeZip([stored('case/image.nii.gz', gz)]);
    // Under a 16 MiB total cap: the gzip file is counted while it inflates and stopped at the cap.
    const capped = await extractWatched(zip, { maxBytes: 4 * MiB });
    expect(capped.result).toMatchObject({ message: expect.stringMatching(/past the uncompressed limit of 16 MiB .* at the gzip file "case\/image\.nii\.gz"/) });
    expect(capped.maxOnDisk).toBe(gz.length);
    expect(capped.leftOver).toEqual([]);
    // Under the default caps: the archive, gzip files included, inflates ~1000× → refused.
    const ratio = await extractWatched(zip);
    expect(ratio.result).toMatchObject({
      message: expect.stringMatching(/gzip files included, inflates \d+× .* more than 200×; refused as a possible zip bomb/),
    });
    expect(ratio.maxOnDisk).toBe(gz.length);
    expect(ratio.leftOver).toEqual([]);
  });

  it('a zip inside the zip (42.zip style) is written as the small file it is and never expanded', async () => {
    const inner = manySmallZeros(1500);
    const { result, maxOnDisk } = await extractWatched(writeZip([stored('export/inner.zip', inner), stored('export/a.dcm', new Uint8Array([1, 2, 3]))]));
    if (result instanceof Error) throw result;
    const up = result as Awaited<ReturnType<typeof extractUpload>>;
    expect(up.bytes).toBe(inner.length + 3);
    expect(maxOnDisk).toBe(inner.length + 3);
    expect(folderBytes(up.dir)).toBe(inner.length + 3);
    await up.cleanup();
  });

  it('a normal zip still extracts; a corrupted entry fails its CRC and leaves nothing', async () => {
    const content = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const ok = await extractWatched(writeZip([deflated('export/a.dcm', content), stored('export/b.dcm', content)]));
    if (ok.result instanceof Error) throw ok.result;
    const up = ok.result as Awaited<ReturnType<typeof extractUpload>>;
    expect(up.bytes).toBe(600_000);
    await up.cleanup();
    const broken = stored('export/b.dcm', content);
    const flipped = new Uint8Array(broken.data);
    flipped[1234] ^= 0xff;
    const bad = await extractWatched(writeZip([{ ...broken, data: flipped }]));
    expect(bad.result).toMatchObject({ message: expect.stringContaining('entry "export/b.dcm" fails its CRC-32 check') });
    expect(bad.leftOver).toEqual([]);
  });
});
