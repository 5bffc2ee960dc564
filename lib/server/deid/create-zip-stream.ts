/**
 * A zip written as a stream, entry by entry, for exports too large to hold whole: each entry is
 * compressed (raw deflate) by Node's native zlib on its thread pool, so several entries compress
 * in parallel while the caller prepares the next ones; the bytes come out in the order the
 * entries are placed. Local headers carry the CRC and sizes (no data descriptors), names are
 * UTF-8 (flag bit 11), and every entry's time is fixed (2000-01-01 00:00), so the same content
 * gives the same zip. No Zip64: an archive that would pass 4 GiB or 65 535 entries is refused
 * with an error rather than written corrupt.
 *
 *   const zip = createZipStream({ level: 1 });
 *   const ready = files.map((f) => zip.prepare(f.name, f.bytes)); // compression starts now
 *   for (const r of ready) yield* zip.place(await r);
 *   yield zip.end();
 */
import { crc32, deflateRaw } from 'node:zlib';
import { promisify } from 'node:util';
import { AppError } from '../errors';

const deflateRawAsync = promisify(deflateRaw);

/** An entry compressed and checksummed, not yet placed in the archive. */
export interface PreparedZipEntry {
  name: Uint8Array;
  crc: number;
  size: number;
  data: Uint8Array;
  method: 0 | 8;
}

export interface ZipStream {
  /** Compresses `bytes` (in the background); place the result with `place`, in archive order. */
  prepare(name: string, bytes: Uint8Array): Promise<PreparedZipEntry>;
  /** The entry's local header and data, at the archive's current end. */
  place(entry: PreparedZipEntry): Uint8Array[];
  /** The central directory and its end record; the archive is complete after it. */
  end(): Uint8Array;
  /** Bytes placed so far. */
  readonly bytesOut: number;
}

/** 2000-01-01 00:00 as an MS-DOS date and time. */
const DOS_DATE = ((2000 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const UTF8_NAMES = 1 << 11;
const MAX_U32 = 0xffffffff;

export function createZipStream({ level = 1 }: { level?: number } = {}): ZipStream {
  const central: Uint8Array[] = [];
  let offset = 0;
  let count = 0;
  const encoder = new TextEncoder();

  async function prepare(name: string, bytes: Uint8Array): Promise<PreparedZipEntry> {
    const nameBytes = encoder.encode(name);
    const crc = crc32(bytes);
    const deflated = level === 0 ? bytes : new Uint8Array(await deflateRawAsync(bytes, { level }));
    // Incompressible data is stored, as zip tools do.
    const stored = level === 0 || deflated.length >= bytes.length;
    return { name: nameBytes, crc, size: bytes.length, data: stored ? bytes : deflated, method: stored ? 0 : 8 };
  }

  function place(e: PreparedZipEntry): Uint8Array[] {
    if (offset + 30 + e.name.length + e.data.length > MAX_U32 || e.size > MAX_U32 || count === 0xffff)
      throw new AppError('INTERNAL', `The zip would pass 4 GiB or 65 535 entries (at ${count} entries); export fewer series at a time.`);
    const local = new Uint8Array(30 + e.name.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(6, UTF8_NAMES, true);
    l.setUint16(8, e.method, true);
    l.setUint16(10, DOS_TIME, true);
    l.setUint16(12, DOS_DATE, true);
    l.setUint32(14, e.crc, true);
    l.setUint32(18, e.data.length, true);
    l.setUint32(22, e.size, true);
    l.setUint16(26, e.name.length, true);
    l.setUint16(28, 0, true);
    local.set(e.name, 30);

    const dir = new Uint8Array(46 + e.name.length);
    const c = new DataView(dir.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, UTF8_NAMES, true);
    c.setUint16(10, e.method, true);
    c.setUint16(12, DOS_TIME, true);
    c.setUint16(14, DOS_DATE, true);
    c.setUint32(16, e.crc, true);
    c.setUint32(20, e.data.length, true);
    c.setUint32(24, e.size, true);
    c.setUint16(28, e.name.length, true);
    // extra, comment, disk number, internal and external attributes: 0
    c.setUint32(42, offset, true);
    dir.set(e.name, 46);
    central.push(dir);

    offset += local.length + e.data.length;
    count++;
    return [local, e.data];
  }

  function end(): Uint8Array {
    const size = central.reduce((n, d) => n + d.length, 0);
    if (offset + size > MAX_U32) throw new AppError('INTERNAL', 'The zip would pass 4 GiB; export fewer series at a time.');
    const out = new Uint8Array(size + 22);
    let at = 0;
    for (const d of central) {
      out.set(d, at);
      at += d.length;
    }
    const v = new DataView(out.buffer, at);
    v.setUint32(0, 0x06054b50, true);
    v.setUint16(8, count, true);
    v.setUint16(10, count, true);
    v.setUint32(12, size, true);
    v.setUint32(16, offset, true);
    offset += out.length;
    return out;
  }

  return {
    prepare,
    place,
    end,
    get bytesOut() {
      return offset;
    },
  };
}
