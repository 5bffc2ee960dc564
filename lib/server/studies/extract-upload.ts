/**
 * Unpack an uploaded zip into a fresh temporary directory that the server chooses, refusing
 * anything that could escape it or exhaust the machine:
 * - the upload itself over ISEG_UPLOAD_MAX_MB, or its content over 4× that (the total-unpacked cap);
 * - more than `maxEntries` entries;
 * - a zip bomb: the archive as a whole may not inflate more than `maxRatio`× its compressed bytes
 *   (checked on the sizes the archive declares before anything is written, and again on the bytes
 *   actually produced, entry after entry), nor may one entry over 1 MiB;
 * - gzip files inside the zip (.nii.gz): their inflated size counts against the total-unpacked cap
 *   and the archive ratio too, so the NIfTI reader later inflates nothing bigger than the caps;
 * - entry names with `..` segments, absolute paths (`/x`, `C:\x`, `\\host`), NUL bytes;
 * - symbolic links, encrypted entries, ZIP64 and compression methods other than stored/deflate;
 * - two entries with the same path; data that does not match the entry's CRC-32.
 * Every cap is checked on each inflated chunk (16 KiB) before it is written, so the first chunk
 * over a cap never reaches the disk; on any refusal the folder and what was written are removed.
 * The zip is read from disk (or from memory for small callers) and inflated as a stream: memory
 * use does not grow with the upload. The central directory is read directly (APPNOTE.TXT 4.3.12,
 * 4.3.16) because it is the only place that says whether an entry is a symlink.
 * Reference: PKWARE APPNOTE.TXT 6.3.10.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { AppError } from '../errors';
import { env } from '../env';

export interface ExtractUploadOptions {
  /** The uploaded zip in memory (small uploads, tests); give this or `file`. */
  bytes?: Uint8Array;
  /** Path of the uploaded zip on disk (the upload route streams it there); give this or `bytes`. */
  file?: string;
  /** Name of the upload, for messages. */
  name?: string;
  /** Upload size limit in bytes; default ISEG_UPLOAD_MAX_MB MiB. */
  maxBytes?: number;
  /** Total uncompressed limit in bytes; default 4 × maxBytes. */
  maxUncompressedBytes?: number;
  /** Default 100 000. */
  maxEntries?: number;
  /** Largest inflated/compressed ratio, of the archive (past its first MiB) and of any entry over 1 MiB; default 200. */
  maxRatio?: number;
  /** Parent of the temp directory; default os.tmpdir(). */
  tmpRoot?: string;
  /** Called after each chunk is written (for progress and for tests that watch the disk). */
  onWrite?: (progress: { dir: string; bytesWritten: number }) => void;
}

export interface ExtractedUpload {
  /** The fresh directory holding the files. */
  dir: string;
  /** Absolute paths of the extracted files, sorted. */
  files: string[];
  /** Bytes written. */
  bytes: number;
  /** Entries skipped on purpose (macOS resource forks under __MACOSX/). */
  skipped: string[];
  /** Removes `dir` and everything in it. */
  cleanup(): Promise<void>;
}

interface Entry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  isDir: boolean;
  isSymlink: boolean;
}

/** Random access to the zip, in memory or on disk. */
interface ZipSource {
  size: number;
  read(position: number, length: number): Promise<Uint8Array>;
  stream(start: number, end: number): Readable;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(n < 10 * MiB ? 1 : 0)} MiB`;

function bad(label: string, message: string): never {
  throw new AppError('INVALID_INPUT', `${label}: ${message}`);
}

/** Size check on its own, for a route that knows the size before reading the body. */
function assertUploadSize(bytes: number, maxBytes = env().ISEG_UPLOAD_MAX_MB * MiB, label = 'The upload'): void {
  if (bytes > maxBytes)
    bad(
      label,
      `${mib(bytes)} is over the upload limit of ${mib(maxBytes)} (ISEG_UPLOAD_MAX_MB); split the export into one zip per patient, or raise the limit.`,
    );
}

function memorySource(b: Uint8Array): ZipSource {
  return {
    size: b.length,
    read: async (position, length) => b.subarray(position, Math.min(b.length, position + length)),
    stream: (start, end) =>
      Readable.from(
        (function* () {
          for (let o = start; o < end; o += CHUNK) yield Buffer.from(b.buffer, b.byteOffset + o, Math.min(CHUNK, end - o));
        })(),
      ),
    close: async () => {},
  };
}

async function fileSource(file: string): Promise<ZipSource> {
  const fh = await open(file, 'r');
  const { size } = await fh.stat();
  return {
    size,
    read: async (position, length) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      if (buf.length > 0) await fh.read(buf, 0, buf.length, position);
      return buf;
    },
    // end is exclusive here, inclusive for createReadStream; an empty range reads nothing.
    stream: (start, end) => (end > start ? createReadStream(file, { start, end: end - 1, highWaterMark: CHUNK }) : Readable.from([])),
    close: () => fh.close(),
  };
}

async function readCentralDirectory(src: ZipSource, label: string, maxEntries: number): Promise<Entry[]> {
  const tailLen = Math.min(src.size, 22 + 65535);
  const tail = await src.read(src.size - tailLen, tailLen);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let p = tail.length - 22; p >= 0; p--) {
    if (tv.getUint32(p, true) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) bad(label, 'is not a zip file (no end-of-central-directory record); upload a .zip of the DICOM folder.');
  const eocdAbs = src.size - tailLen + eocd;
  const total = tv.getUint16(eocd + 10, true);
  const cdSize = tv.getUint32(eocd + 12, true);
  const cdOffset = tv.getUint32(eocd + 16, true);
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    bad(label, 'is a ZIP64 archive, which is not accepted; zip fewer or smaller files (one patient per zip).');
  if (total > maxEntries) bad(label, `holds ${total} entries, over the limit of ${maxEntries}; split it into several zips.`);
  if (cdOffset + cdSize > eocdAbs) bad(label, 'is truncated or corrupt (the central directory lies outside the file); upload it again.');
  const b = await src.read(cdOffset, cdSize);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const entries: Entry[] = [];
  let p = 0;
  const dec = new TextDecoder('utf-8');
  for (let n = 0; n < total; n++) {
    if (p + 46 > b.length || dv.getUint32(p, true) !== 0x02014b50) bad(label, `is corrupt (central directory entry ${n + 1} is damaged); upload it again.`);
    const madeBy = dv.getUint16(p + 4, true);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    const compressedSize = dv.getUint32(p + 20, true);
    const size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const external = dv.getUint32(p + 38, true);
    const localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen > b.length) bad(label, `is corrupt (central directory entry ${n + 1} is damaged); upload it again.`);
    const name = dec.decode(b.subarray(p + 46, p + 46 + nameLen));
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff)
      bad(label, `entry "${name}" uses ZIP64 sizes, which are not accepted; zip smaller files.`);
    const unixMode = madeBy >> 8 === 3 ? external >>> 16 : 0;
    entries.push({
      name,
      flags,
      method,
      crc,
      compressedSize,
      size,
      localOffset,
      isDir: name.endsWith('/') || name.endsWith('\\') || (unixMode & 0o170000) === 0o040000 || (external & 0x10) !== 0,
      isSymlink: (unixMode & 0o170000) === 0o120000,
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Path segments of a safe relative entry name. @throws AppError INVALID_INPUT otherwise. */
function safeEntrySegments(name: string, label: string): string[] {
  if (name.includes('\0')) bad(label, `entry "${name.replace(/\0/g, '\\0')}" has a NUL byte in its name; refused.`);
  const unified = name.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[a-zA-Z]:/.test(unified)) bad(label, `entry "${name}" has an absolute path; refused. Zip the folder with relative paths.`);
  const segments = unified.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..'))
    bad(label, `entry "${name}" climbs out of the upload folder with "..", which is refused; zip the folder itself, with relative paths.`);
  return segments;
}

/** The running totals every chunk is checked against. */
interface Caps {
  label: string;
  maxRatio: number;
  maxUncompressed: number;
  /** Bytes inflated so far, zip entries plus gzip files inside them. */
  produced: number;
  /** Compressed bytes of the entries begun so far. */
  compressed: number;
}

function overTotal(caps: Caps, where: string): never {
  bad(
    caps.label,
    `its content inflates past the uncompressed limit of ${mib(caps.maxUncompressed)} (4 × ISEG_UPLOAD_MAX_MB) at ${where}; refused as a possible zip bomb. Split the upload.`,
  );
}

/** Counts, checks and CRCs each chunk of one entry before passing it on to be written. */
function entryGuard(e: Entry, caps: Caps): Transform & { produced: () => number; crc: () => number } {
  let produced = 0;
  let crc = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const n = chunk.length;
      if (produced + n > e.size)
        return cb(
          new AppError(
            'INVALID_INPUT',
            `${caps.label}: entry "${e.name}" inflates to more than the ${e.size} bytes it declares; the archive is corrupt or malicious.`,
          ),
        );
      if (caps.produced + n > caps.maxUncompressed) return cb(catchAppError(() => overTotal(caps, `entry "${e.name}"`)));
      produced += n;
      caps.produced += n;
      if (produced > MiB && produced > caps.maxRatio * Math.max(1, e.compressedSize))
        return cb(
          new AppError(
            'INVALID_INPUT',
            `${caps.label}: entry "${e.name}" inflates more than ${caps.maxRatio}× (${e.compressedSize} bytes to over ${produced}); refused as a possible zip bomb.`,
          ),
        );
      if (caps.produced > MiB && caps.produced > caps.maxRatio * Math.max(1, caps.compressed))
        return cb(
          new AppError(
            'INVALID_INPUT',
            `${caps.label}: the archive inflates more than ${caps.maxRatio}× (${caps.compressed} compressed bytes to over ${caps.produced}) at entry "${e.name}"; refused as a possible zip bomb.`,
          ),
        );
      crc = zlib.crc32(chunk, crc);
      cb(null, chunk);
    },
  });
  return Object.assign(t, { produced: () => produced, crc: () => crc >>> 0 });
}

function catchAppError(fn: () => never): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
}

/** Inflates a gzip file that was just written, discarding the output, to count it against the caps. */
async function checkNestedGzip(file: string, e: Entry, caps: Caps): Promise<void> {
  const counter = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (caps.produced + chunk.length > caps.maxUncompressed) return cb(catchAppError(() => overTotal(caps, `the gzip file "${e.name}"`)));
      caps.produced += chunk.length;
      cb();
    },
  });
  try {
    await pipeline(createReadStream(file, { highWaterMark: CHUNK }), zlib.createGunzip(), counter);
  } catch (err) {
    if (err instanceof AppError) throw err;
    bad(caps.label, `the gzip file "${e.name}" does not decompress (${(err as Error).message}); it is truncated or corrupt.`);
  }
}

const isZlibError = (err: unknown) => typeof (err as { code?: unknown })?.code === 'string' && /^Z_/.test((err as { code: string }).code);

/**
 * Extract an uploaded zip; see the module comment for what is refused.
 * @throws AppError INVALID_INPUT naming the entry and what to do; the temp directory is removed.
 */
export async function extractUpload(options: ExtractUploadOptions): Promise<ExtractedUpload> {
  const label = `Upload ${options.name ? `"${options.name}"` : ''}`.trim();
  const maxBytes = options.maxBytes ?? env().ISEG_UPLOAD_MAX_MB * MiB;
  const maxEntries = options.maxEntries ?? 100_000;
  const maxRatio = options.maxRatio ?? 200;
  if (!options.bytes === !options.file) throw new Error('extractUpload: give exactly one of bytes and file');
  const src = options.bytes ? memorySource(options.bytes) : await fileSource(options.file!);
  try {
    return await extractFrom(src, { ...options, label, maxBytes, maxEntries, maxRatio });
  } finally {
    await src.close();
  }
}

async function extractFrom(
  src: ZipSource,
  o: ExtractUploadOptions & { label: string; maxBytes: number; maxEntries: number; maxRatio: number },
): Promise<ExtractedUpload> {
  const { label, maxRatio } = o;
  assertUploadSize(src.size, o.maxBytes, label);
  const entries = await readCentralDirectory(src, label, o.maxEntries);
  const caps: Caps = { label, maxRatio, maxUncompressed: o.maxUncompressedBytes ?? 4 * o.maxBytes, produced: 0, compressed: 0 };
  const declared = entries.reduce((s, e) => s + e.size, 0);
  if (declared > caps.maxUncompressed)
    bad(
      label,
      `its files add up to ${mib(declared)} uncompressed, over the limit of ${mib(caps.maxUncompressed)} (4 × ISEG_UPLOAD_MAX_MB); split it into several zips.`,
    );
  if (declared > MiB && declared > maxRatio * src.size)
    bad(label, `its files add up to ${mib(declared)} uncompressed from a ${mib(src.size)} zip, more than ${maxRatio}×; refused as a possible zip bomb.`);
  // Validate every name before writing anything.
  const plan = entries.map((e) => {
    if (e.isSymlink) bad(label, `entry "${e.name}" is a symbolic link; links are refused. Zip the files themselves.`);
    if (e.flags & 1) bad(label, `entry "${e.name}" is encrypted; upload an unencrypted zip.`);
    const segments = safeEntrySegments(e.name, label);
    if (!e.isDir && e.method !== 0 && e.method !== 8)
      bad(label, `entry "${e.name}" uses compression method ${e.method}; only stored and deflate are read. Re-zip with standard settings.`);
    return { e, segments };
  });
  // The owner's pid in the name lets the start-up clean-up remove the folders of a process that
  // died before its cleanup() ran (lib/server/storage/remove-upload-leftovers.ts).
  const dir = await mkdtemp(path.join(o.tmpRoot ?? os.tmpdir(), `iseg-upload-${process.pid}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const files: string[] = [];
  const skipped: string[] = [];
  let written = 0;
  try {
    for (const { e, segments } of plan) {
      if (segments.length === 0) continue;
      if (segments[0] === '__MACOSX') {
        skipped.push(e.name);
        continue;
      }
      const target = path.join(dir, ...segments);
      const rel = path.relative(dir, target);
      if (rel.startsWith('..') || path.isAbsolute(rel)) bad(label, `entry "${e.name}" resolves outside the upload folder; refused.`);
      if (e.isDir) {
        await mkdir(target, { recursive: true });
        continue;
      }
      const local = await src.read(e.localOffset, 30);
      const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
      if (local.length < 30 || lv.getUint32(0, true) !== 0x04034b50)
        bad(label, `entry "${e.name}" has no local header where the directory says; the archive is corrupt.`);
      const start = e.localOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
      if (start + e.compressedSize > src.size) bad(label, `entry "${e.name}" runs past the end of the file; the upload is truncated, send it again.`);
      caps.compressed += e.compressedSize;
      await mkdir(path.dirname(target), { recursive: true });
      const guard = entryGuard(e, caps);
      let fh: FileHandle;
      try {
        fh = await open(target, 'wx', 0o640);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') bad(label, `holds "${e.name}" twice (or a file and a folder of that name); refused.`);
        throw err;
      }
      files.push(target);
      // Written straight through the file handle, so bytesWritten is what is on disk.
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          fh.write(chunk).then(() => {
            written += chunk.length;
            o.onWrite?.({ dir, bytesWritten: written });
            cb();
          }, cb);
        },
      });
      try {
        const input = src.stream(start, start + e.compressedSize);
        if (e.method === 8) await pipeline(input, zlib.createInflateRaw({ chunkSize: 16 * 1024 }), guard, sink);
        else await pipeline(input, guard, sink);
      } catch (err) {
        if (isZlibError(err)) bad(label, `entry "${e.name}" does not inflate (${(err as Error).message}); the archive is corrupt, upload it again.`);
        throw err;
      } finally {
        await fh.close();
      }
      if (guard.produced() !== e.size)
        bad(label, `entry "${e.name}" inflates to ${guard.produced()} bytes but declares ${e.size}; the archive is corrupt, upload it again.`);
      if (guard.crc() !== e.crc) bad(label, `entry "${e.name}" fails its CRC-32 check; the archive is corrupt, upload it again.`);
      if (e.size >= 18) {
        const head = await readHead(target);
        if (head[0] === 0x1f && head[1] === 0x8b) await checkNestedGzip(target, e, caps);
      }
    }
    if (caps.produced > MiB && caps.produced > maxRatio * Math.max(1, caps.compressed))
      bad(
        label,
        `its content, gzip files included, inflates ${(caps.produced / Math.max(1, caps.compressed)).toFixed(0)}× its ${mib(caps.compressed)} of compressed data, more than ${maxRatio}×; refused as a possible zip bomb.`,
      );
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { dir, files: files.sort(), bytes: written, skipped, cleanup };
}

async function readHead(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    await fh.read(buf, 0, 2, 0);
    return buf;
  } finally {
    await fh.close();
  }
}
