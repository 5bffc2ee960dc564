/**
 * Unpack an uploaded zip into a fresh temporary directory that the server chooses, refusing
 * anything that could escape it or exhaust the machine:
 * - the upload itself over ISEG_UPLOAD_MAX_MB, or its content over 4× that;
 * - more than `maxEntries` entries;
 * - an entry that inflates more than `maxRatio`× its compressed size (zip bomb), checked on the
 *   bytes actually produced, not on the sizes the archive claims;
 * - entry names with `..` segments, absolute paths (`/x`, `C:\x`, `\\host`), NUL bytes;
 * - symbolic links, encrypted entries, ZIP64 and compression methods other than stored/deflate;
 * - two entries with the same path.
 * The central directory is read directly (APPNOTE.TXT 4.3.12, 4.3.16) because it is the only
 * place that says whether an entry is a symlink; fflate inflates each entry as a stream.
 * Reference: PKWARE APPNOTE.TXT 6.3.10.
 */
import { Inflate } from 'fflate';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../errors';
import { env } from '../env';

export interface ExtractUploadOptions {
  /** The uploaded zip. */
  bytes: Uint8Array;
  /** Name of the upload, for messages. */
  name?: string;
  /** Upload size limit in bytes; default ISEG_UPLOAD_MAX_MB MiB. */
  maxBytes?: number;
  /** Total uncompressed limit in bytes; default 4 × maxBytes. */
  maxUncompressedBytes?: number;
  /** Default 100 000. */
  maxEntries?: number;
  /** Largest inflated/compressed ratio of an entry over 1 MiB; default 200. */
  maxRatio?: number;
  /** Parent of the temp directory; default os.tmpdir(). */
  tmpRoot?: string;
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
  compressedSize: number;
  size: number;
  localOffset: number;
  isDir: boolean;
  isSymlink: boolean;
}

const MiB = 1024 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(n < 10 * MiB ? 1 : 0)} MiB`;

function bad(label: string, message: string): never {
  throw new AppError('INVALID_INPUT', `${label}: ${message}`);
}

/** Size check on its own, for a route that knows the size before reading the body. */
export function assertUploadSize(bytes: number, maxBytes = env().ISEG_UPLOAD_MAX_MB * MiB, label = 'The upload'): void {
  if (bytes > maxBytes) bad(label, `${mib(bytes)} is over the upload limit of ${mib(maxBytes)} (ISEG_UPLOAD_MAX_MB); split the export into one zip per patient, or raise the limit.`);
}

function readCentralDirectory(b: Uint8Array, label: string, maxEntries: number): Entry[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = -1;
  for (let p = b.length - 22; p >= Math.max(0, b.length - 22 - 65535); p--) {
    if (dv.getUint32(p, true) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) bad(label, 'is not a zip file (no end-of-central-directory record); upload a .zip of the DICOM folder.');
  const total = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    bad(label, 'is a ZIP64 archive, which is not accepted; zip fewer or smaller files (one patient per zip).');
  if (total > maxEntries) bad(label, `holds ${total} entries, over the limit of ${maxEntries}; split it into several zips.`);
  if (cdOffset + cdSize > eocd) bad(label, 'is truncated or corrupt (the central directory lies outside the file); upload it again.');
  const entries: Entry[] = [];
  let p = cdOffset;
  const dec = new TextDecoder('utf-8');
  for (let n = 0; n < total; n++) {
    if (p + 46 > b.length || dv.getUint32(p, true) !== 0x02014b50) bad(label, `is corrupt (central directory entry ${n + 1} is damaged); upload it again.`);
    const madeBy = dv.getUint16(p + 4, true);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const compressedSize = dv.getUint32(p + 20, true);
    const size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const external = dv.getUint32(p + 38, true);
    const localOffset = dv.getUint32(p + 42, true);
    const name = dec.decode(b.subarray(p + 46, p + 46 + nameLen));
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff)
      bad(label, `entry "${name}" uses ZIP64 sizes, which are not accepted; zip smaller files.`);
    const unixMode = madeBy >> 8 === 3 ? external >>> 16 : 0;
    entries.push({
      name,
      flags,
      method,
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
export function safeEntrySegments(name: string, label: string): string[] {
  if (name.includes('\0')) bad(label, `entry "${name.replace(/\0/g, '\\0')}" has a NUL byte in its name; refused.`);
  const unified = name.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[a-zA-Z]:/.test(unified))
    bad(label, `entry "${name}" has an absolute path; refused. Zip the folder with relative paths.`);
  const segments = unified.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..'))
    bad(label, `entry "${name}" climbs out of the upload folder with "..", which is refused; zip the folder itself, with relative paths.`);
  return segments;
}

function inflateEntry(data: Uint8Array, e: Entry, label: string, budget: { left: number }, maxRatio: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let produced = 0;
  const limit = Math.min(e.size, budget.left);
  const check = (n: number) => {
    produced += n;
    if (produced > e.size) bad(label, `entry "${e.name}" inflates to more than the ${e.size} bytes it declares; the archive is corrupt or malicious.`);
    if (produced > limit) bad(label, `its content inflates past the uncompressed limit (4 × ISEG_UPLOAD_MAX_MB) at entry "${e.name}"; split the upload.`);
    if (produced > MiB && produced > maxRatio * Math.max(1, e.compressedSize))
      bad(label, `entry "${e.name}" inflates more than ${maxRatio}× (${e.compressedSize} bytes to over ${produced}); refused as a possible zip bomb.`);
  };
  if (e.method === 0) {
    check(data.length);
    chunks.push(data);
  } else {
    const inf = new Inflate((chunk) => {
      check(chunk.length);
      chunks.push(chunk);
    });
    // Push in slices so a bomb is caught after a bounded amount of output.
    const step = 64 * 1024;
    for (let o = 0; o < data.length; o += step) inf.push(data.subarray(o, Math.min(data.length, o + step)), o + step >= data.length);
    if (data.length === 0) inf.push(new Uint8Array(0), true);
  }
  if (produced !== e.size) bad(label, `entry "${e.name}" inflates to ${produced} bytes but declares ${e.size}; the archive is corrupt, upload it again.`);
  budget.left -= produced;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(produced);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Extract an uploaded zip; see the module comment for what is refused.
 * @throws AppError INVALID_INPUT naming the entry and what to do; the temp directory is removed.
 */
export async function extractUpload(options: ExtractUploadOptions): Promise<ExtractedUpload> {
  const b = options.bytes;
  const label = `Upload ${options.name ? `"${options.name}"` : ''}`.trim();
  const maxBytes = options.maxBytes ?? env().ISEG_UPLOAD_MAX_MB * MiB;
  const maxEntries = options.maxEntries ?? 100_000;
  const maxRatio = options.maxRatio ?? 200;
  assertUploadSize(b.length, maxBytes, label);
  const entries = readCentralDirectory(b, label, maxEntries);
  const budget = { left: options.maxUncompressedBytes ?? 4 * maxBytes };
  const declared = entries.reduce((s, e) => s + e.size, 0);
  if (declared > budget.left)
    bad(label, `its files add up to ${mib(declared)} uncompressed, over the limit of ${mib(budget.left)} (4 × ISEG_UPLOAD_MAX_MB); split it into several zips.`);
  // Validate every name before writing anything.
  const plan = entries.map((e) => {
    if (e.isSymlink) bad(label, `entry "${e.name}" is a symbolic link; links are refused. Zip the files themselves.`);
    if (e.flags & 1) bad(label, `entry "${e.name}" is encrypted; upload an unencrypted zip.`);
    const segments = safeEntrySegments(e.name, label);
    if (!e.isDir && e.method !== 0 && e.method !== 8) bad(label, `entry "${e.name}" uses compression method ${e.method}; only stored and deflate are read. Re-zip with standard settings.`);
    return { e, segments };
  });
  // The owner's pid in the name lets the start-up clean-up remove the folders of a process that
  // died before its cleanup() ran (lib/server/storage/remove-upload-leftovers.ts).
  const dir = await mkdtemp(path.join(options.tmpRoot ?? os.tmpdir(), `iseg-upload-${process.pid}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const files: string[] = [];
  const skipped: string[] = [];
  let written = 0;
  try {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
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
      const p = e.localOffset;
      if (p + 30 > b.length || dv.getUint32(p, true) !== 0x04034b50) bad(label, `entry "${e.name}" has no local header where the directory says; the archive is corrupt.`);
      const start = p + 30 + dv.getUint16(p + 26, true) + dv.getUint16(p + 28, true);
      if (start + e.compressedSize > b.length) bad(label, `entry "${e.name}" runs past the end of the file; the upload is truncated, send it again.`);
      const data = inflateEntry(b.subarray(start, start + e.compressedSize), e, label, budget, maxRatio);
      await mkdir(path.dirname(target), { recursive: true });
      try {
        await writeFile(target, data, { flag: 'wx', mode: 0o640 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') bad(label, `holds "${e.name}" twice (or a file and a folder of that name); refused.`);
        throw err;
      }
      files.push(target);
      written += data.length;
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { dir, files: files.sort(), bytes: written, skipped, cleanup };
}
