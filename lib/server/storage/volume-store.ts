/**
 * Content-addressed volume store: CT volumes and masks as gzipped NIfTI files on a local (or
 * shared, mounted) directory, named by the sha256 of their bytes. The database keeps only the
 * key; equal bytes are stored once, and a file, once written, never changes.
 *
 * Keys look like `<64 hex>.nii.gz` and are checked strictly before any path is built, so no
 * user-supplied string ever reaches the file system. Files live at `root/ab/cd/<key>`.
 * Writes are atomic: a temp file in `root/tmp/` is renamed into place (same file system), so a
 * reader never sees half a volume and a crash leaves at most an orphan temp file.
 *
 * Storing bytes that are already there refreshes the file's modification time: the start-up
 * clean-up (remove-orphan-volumes.ts) removes only unreferenced files older than a grace
 * period, so a file that an import in progress is about to reference is never removed.
 *
 * Two hashes per volume: the key (sha256 of the gzipped file; it names the file and checks it on
 * every read, so corruption is detected) and the content hash (sha256 of the uncompressed NIfTI
 * bytes). The content hash is the volume's identity: it does not change when the compressor or
 * its level does, so merges compare it (plan-study-merge.ts), never the key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import type { Volume, VoxelArray } from '@/lib/core/volume';
import { encodeNiftiParts } from '@/lib/nifti';
import { AppError, storageFullCode } from '../errors';
import { env } from '../env';

export interface StoredFile {
  /** `<sha256>.nii.gz`; the file's name in the store. */
  key: string;
  /** sha256 (hex) of the stored (gzipped) bytes. */
  sha256: string;
}

export interface StoredVolume extends StoredFile {
  /** sha256 (hex) of the uncompressed NIfTI bytes: the identity merges compare. */
  contentSha256: string;
}

export interface VolumeStore {
  /** Absolute directory of the store. */
  readonly root: string;
  /**
   * Store gzipped NIfTI bytes; a no-op when the same bytes are already there.
   * @throws AppError STORAGE_FULL when the disk or quota is full (no partial file is left).
   */
  putVolume(bytes: Uint8Array): Promise<StoredFile>;
  /** The bytes of a stored volume; checks the sha256. @throws AppError NOT_FOUND, INTERNAL (corrupt). */
  getVolume(key: string): Promise<Uint8Array>;
  has(key: string): Promise<boolean>;
}

const KEY = /^[0-9a-f]{64}\.nii\.gz$/;

/** @throws AppError INVALID_INPUT unless `key` is exactly `<64 lower-case hex>.nii.gz`. */
function assertVolumeKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new AppError('INVALID_INPUT', `"${String(key).slice(0, 80)}" is not a volume key (expected 64 hex digits + .nii.gz).`);
  }
}

/** A store on `dir` (created on first write). */
export function createVolumeStore({ dir }: { dir: string }): VolumeStore {
  const root = path.resolve(dir);
  const fileOf = (key: string) => {
    assertVolumeKey(key);
    return path.join(root, key.slice(0, 2), key.slice(2, 4), key);
  };
  return {
    root,
    async putVolume(bytes: Uint8Array): Promise<StoredFile> {
      if (!(bytes instanceof Uint8Array) || bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
        throw new AppError('INVALID_INPUT', 'The volume store holds gzipped NIfTI (.nii.gz) only: encode with encodeNifti(volume, { gzip: true }).');
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const key = `${sha256}.nii.gz`;
      const file = fileOf(key);
      if (await touch(file)) return { key, sha256 };
      const tmpDir = path.join(root, 'tmp');
      const tmp = path.join(tmpDir, `${sha256}.${process.pid}.${randomBytes(6).toString('hex')}.part`);
      try {
        await mkdir(tmpDir, { recursive: true });
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(tmp, bytes, { flag: 'wx', mode: 0o640 });
        // Another writer may have stored the same bytes meanwhile: rename over it is harmless,
        // the content is identical by construction.
        await rename(tmp, file);
      } catch (e) {
        // A full disk leaves no partial file: the temp file goes, the key was never renamed into place.
        await rm(tmp, { force: true });
        throw storageFullCode(e) ? volumeStoreFull(root, bytes.length, e) : e;
      }
      return { key, sha256 };
    },
    async getVolume(key: string): Promise<Uint8Array> {
      const file = fileOf(key);
      let buf: Buffer;
      try {
        buf = await readFile(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new AppError('NOT_FOUND', `Volume ${key} is not in the volume store at ${root}: is ISEG_VOLUME_DIR the same directory on every machine?`);
        }
        throw e;
      }
      const sha = createHash('sha256').update(buf).digest('hex');
      if (`${sha}.nii.gz` !== key) {
        throw new AppError('INTERNAL', `Volume file ${file} is corrupt (its sha256 is ${sha}); restore it from a backup.`);
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
    async has(key: string): Promise<boolean> {
      return exists(fileOf(key));
    },
  };
}

/** Sets the file's times to now; false when it does not exist. */
async function touch(file: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(file, now, now);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    // Another user's file on a shared store: it is there, its time cannot be refreshed.
    if (code === 'EPERM' || code === 'EACCES') return exists(file);
    throw e;
  }
}

/** STORAGE_FULL (507): "Volume store full", where, how much did not fit, and what to do; the errno stays as `cause`. */
function volumeStoreFull(root: string, bytes: number, e: unknown): AppError {
  const out = new AppError(
    'STORAGE_FULL',
    `Volume store full: ${root} has no room for a ${(bytes / 1048576).toFixed(1)} MiB volume (${storageFullCode(e)}). Free space on that disk (df -h ${root}) or set ISEG_VOLUME_DIR to a larger one, then try again.`,
  );
  (out as { cause?: unknown }).cause = e;
  return out;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

let cached: VolumeStore | undefined;
/** The store of this process: `env().volumeDir` (ISEG_VOLUME_DIR, default $ISEG_DATA_DIR/volumes). */
export function volumeStore(): VolumeStore {
  cached ??= createVolumeStore({ dir: env().volumeDir });
  return cached;
}

const gunzipAsync = promisify(gunzip);

/**
 * The store's compression: native zlib, level 1, run on libuv's thread pool (so several volumes
 * compress in parallel with decoding on the main thread). CT noise compresses poorly at any
 * level; level 1 is about 3× faster than fflate's level 6 for files a few percent larger
 * (docs/benchmarks.md, "DICOM receive"). Changing it changes keys, never content hashes.
 */
export const VOLUME_GZIP_LEVEL = 1;

/**
 * zlib's output buffer. Each time it fills, the thread pool hands back to this thread before
 * going on: at zlib's default 16 KiB a CT volume makes thousands of such hand-backs, and while
 * this thread decodes the next series (seconds of synchronous work) compression waits. 8 MiB
 * makes it a handful, so compression runs in parallel with decoding.
 */
const ZLIB_CHUNK = 8 * 1024 * 1024;

/**
 * gzip of the concatenated parts on the thread pool, without concatenating them first. The output
 * buffer is ZLIB_CHUNK, or for a smaller volume its size plus deflate's worst-case overhead
 * (zlib's deflateBound: n + n/4096 + n/16384 + 13, plus the gzip header), so that writing a
 * 0.4 MB mask does not allocate 8 MiB (a segmentation run writes one per phase, and those
 * allocations set off full garbage collections). The compressed bytes do not depend on it.
 */
function gzipParts(parts: Uint8Array[], level: number): Promise<Buffer> {
  const raw = parts.reduce((n, p) => n + p.byteLength, 0);
  const chunkSize = Math.max(64 * 1024, Math.min(ZLIB_CHUNK, raw + (raw >> 10) + 1024));
  return new Promise((resolve, reject) => {
    const z = createGzip({ level, chunkSize });
    const out: Buffer[] = [];
    z.on('data', (c: Buffer) => out.push(c));
    z.on('end', () => resolve(Buffer.concat(out)));
    z.on('error', reject);
    for (const p of parts) z.write(p);
    z.end();
  });
}

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Encode a volume (or mask, with intent 'mask') as .nii.gz and store it. The NIfTI bytes (header,
 * then the volume's own voxel bytes, not copied) are hashed (content hash) on this thread while
 * the thread pool compresses them; the volume's data must not change until this settles.
 */
export async function putNiftiVolume(
  store: VolumeStore,
  volume: Volume<VoxelArray>,
  options: { intent: 'image' | 'mask'; description?: string },
): Promise<StoredVolume> {
  const { header, voxels } = encodeNiftiParts(volume, options);
  const compressing = gzipParts([header, voxels], VOLUME_GZIP_LEVEL);
  const contentSha256 = createHash('sha256').update(header).update(voxels).digest('hex');
  const gz = await compressing;
  // zlib writes MTIME 0 and no file name, so equal volumes give equal files; make sure (RFC 1952 §2.3.1).
  gz[4] = gz[5] = gz[6] = gz[7] = 0;
  const stored = await store.putVolume(gz);
  return { ...stored, contentSha256 };
}

/**
 * The content hash of a stored volume (sha256 of its uncompressed NIfTI bytes), whatever
 * compressor wrote it: for rows stored before content hashes were kept.
 * @throws AppError NOT_FOUND, INTERNAL (corrupt) as getVolume; INTERNAL when the file is not gzip.
 */
export async function storedContentSha256(store: VolumeStore, key: string): Promise<string> {
  const gz = await store.getVolume(key);
  let raw: Uint8Array;
  try {
    raw = await gunzipAsync(gz, { chunkSize: ZLIB_CHUNK });
  } catch (e) {
    throw new AppError('INTERNAL', `Volume ${key} in ${store.root} cannot be decompressed (${(e as Error).message}); restore it from a backup.`);
  }
  return sha256Hex(raw);
}
