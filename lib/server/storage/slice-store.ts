/**
 * The viewer's slice store (issue #19: the first CT slice on screen in half a second): each axial
 * slice of a stored CT volume as its own small gzip file, so the first image reads and checks
 * about 0.3 MB rather than reading, hashing and inflating the whole 43 MiB .nii.gz.
 *
 * Layout, beside the volume files of the volume store (the orphan clean-up,
 * find-orphan-volumes.ts, removes the folder of a volume that no row references any more: a
 * deleted study's):
 *
 *   <store root>/slices/<64 hex of the volume key>/
 *     manifest.json   {"format":"iseg-slices/1","volumeKey",…,"grid","dataType":"int16","slices":[{"sha256","bytes"},…]}
 *     <k>.i16.gz      gzip of axial slice k: Int16 HU, little-endian, lib/core/volume order (i fastest)
 *
 * Integrity, as for the volumes: the manifest's sha256 is kept in the database
 * (ImageSeries.sliceManifestSha256) and checked on every read; each slice file's sha256 is in the
 * manifest and checked before one byte of it is decoded. A file that does not match is never
 * shown: the read fails with an error naming the file and what to do. A missing store (not built
 * yet, or its folder removed) is reported as such (SliceStoreMissing) so the caller can fall back
 * to the volume itself, which is checked whole.
 *
 * Built from the stored (checked) volume by buildSliceStore: once per CT series, on its first
 * view (getStudySlice starts it) or ahead of it (ensureSeriesSliceStore). The folder is written
 * under a temporary name and renamed into place, so a reader never sees half a store.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Grid, Vec3 } from '@/lib/core/volume';
import { parseNifti } from '@/lib/nifti';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { VolumeStore } from './volume-store';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export const SLICE_STORE_FORMAT = 'iseg-slices/1';
const KEY = /^([0-9a-f]{64})\.nii\.gz$/;
const SHA = /^[0-9a-f]{64}$/;

export interface SliceManifest {
  format: typeof SLICE_STORE_FORMAT;
  /** The volume the slices were cut from. */
  volumeKey: string;
  /** The whole volume's grid (slice k's origin follows from it). */
  grid: Grid;
  dataType: 'int16';
  /** One entry per axial slice k = 0…nz−1: the sha256 and length of its .i16.gz file. */
  slices: { sha256: string; bytes: number }[];
}

/** The store's folder is missing (never built, or removed): fall back to the volume. */
export class SliceStoreMissing extends Error {}

/** The folder of a volume's slices. @throws AppError INVALID_INPUT for anything but a volume key. */
export function sliceStoreDir(store: Pick<VolumeStore, 'root'>, volumeKey: string): string {
  const m = KEY.exec(volumeKey);
  if (!m) throw new AppError('INVALID_INPUT', `"${String(volumeKey).slice(0, 80)}" is not a volume key (expected 64 hex digits + .nii.gz).`);
  return path.join(store.root, 'slices', m[1]!);
}

/** The volume's voxels as Int16 HU (rounded and clamped when stored as another type). */
function toInt16(src: ArrayLike<number>): Int16Array {
  if (src instanceof Int16Array) return src;
  const hu = new Int16Array(src.length);
  for (let q = 0; q < src.length; q++) {
    const v = Math.round(src[q]!);
    hu[q] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
  }
  return hu;
}

/** Little-endian bytes of Int16 values (a view where the machine is little-endian). */
function int16Bytes(a: Int16Array): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 2);
  const w = new DataView(out.buffer);
  for (let q = 0; q < a.length; q++) w.setInt16(q * 2, a[q]!, true);
  return out;
}

/**
 * Cut a stored CT volume into its axial slices and write them with their manifest (replacing a
 * folder whose manifest differs). Returns the manifest's sha256, to be kept in the database.
 * @throws AppError NOT_FOUND / INTERNAL from the volume store (missing or corrupt volume), or
 *   the file system's error.
 */
export async function buildSliceStore(store: VolumeStore, volumeKey: string, what: string): Promise<{ manifestSha256: string; slices: number }> {
  const dir = sliceStoreDir(store, volumeKey);
  const volume = parseNifti(await store.getVolume(volumeKey), { source: what });
  const g = volume.grid;
  const [nx, ny, nz] = g.dims;
  const hu = toInt16(volume.data);
  const sliceVoxels = nx * ny;
  const files: Buffer[] = [];
  // One slice after another on the thread pool, a few at a time.
  const PARALLEL = 4;
  for (let k0 = 0; k0 < nz; k0 += PARALLEL) {
    const batch: Promise<Buffer>[] = [];
    for (let k = k0; k < Math.min(nz, k0 + PARALLEL); k++) batch.push(gzipAsync(int16Bytes(hu.subarray(k * sliceVoxels, (k + 1) * sliceVoxels)), { level: 1 }));
    files.push(...(await Promise.all(batch)));
  }
  const manifest: SliceManifest = {
    format: SLICE_STORE_FORMAT,
    volumeKey,
    grid: { dims: [...g.dims] as Vec3, spacingMm: [...g.spacingMm] as Vec3, originMm: [...g.originMm] as Vec3, direction: [...g.direction] },
    dataType: 'int16',
    slices: files.map((f) => ({ sha256: sha256Hex(f), bytes: f.length })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestSha256 = sha256Hex(manifestBytes);
  const existing = await readFile(path.join(dir, 'manifest.json')).catch(() => null);
  if (existing && sha256Hex(existing) === manifestSha256) {
    // Built before (or by another process): its slices are checked against this manifest on read.
    return { manifestSha256, slices: nz };
  }
  const tmp = path.join(store.root, 'slices', `.tmp-${path.basename(dir)}-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(tmp, { recursive: true });
    for (let k = 0; k < nz; k++) await writeFile(path.join(tmp, `${k}.i16.gz`), files[k]!, { mode: 0o640 });
    await writeFile(path.join(tmp, 'manifest.json'), manifestBytes, { mode: 0o640 });
    if (existing) await rm(dir, { recursive: true, force: true });
    try {
      await rename(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      // Another process put its folder there meanwhile: keep it when it is the same manifest.
      const theirs = await readFile(path.join(dir, 'manifest.json')).catch(() => null);
      if (!theirs || sha256Hex(theirs) !== manifestSha256) throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { manifestSha256, slices: nz };
}

export interface StoredSlice {
  /** The slice's own grid: nx × ny × 1, its origin at slice k. */
  grid: Grid;
  hu: Int16Array;
  /** sha256 of the slice's file (checked). */
  sha256: string;
}

/**
 * Axial slice `index` of a volume from its slice store, checked against the manifest whose
 * sha256 the database holds.
 * @throws SliceStoreMissing when the folder or the slice's file is not there; AppError
 *   INVALID_INPUT (index outside the slices), INTERNAL (a manifest or slice that does not match
 *   its sha256, or cannot be decoded: nothing of it is returned).
 */
export async function readStoredSlice(
  store: Pick<VolumeStore, 'root'>,
  { volumeKey, manifestSha256, index, what }: { volumeKey: string; manifestSha256: string; index: number; what: string },
): Promise<StoredSlice> {
  const dir = sliceStoreDir(store, volumeKey);
  const read = async (file: string) => {
    try {
      return await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SliceStoreMissing(`${file} is missing`);
      throw e;
    }
  };
  const rebuild = `remove the folder ${dir}; the viewer builds it again from the volume on the next view`;
  const manifestFile = path.join(dir, 'manifest.json');
  const mBytes = await read(manifestFile);
  const mSha = sha256Hex(mBytes);
  if (mSha !== manifestSha256) {
    throw new AppError(
      'INTERNAL',
      `The slice store of ${what} is corrupt: ${manifestFile} has sha256 ${mSha}, the database expects ${manifestSha256}. Nothing of it is shown; ${rebuild}.`,
    );
  }
  let m: SliceManifest;
  try {
    m = JSON.parse(mBytes.toString('utf8')) as SliceManifest;
  } catch {
    throw new AppError('INTERNAL', `The slice store manifest ${manifestFile} of ${what} is not JSON; ${rebuild}.`);
  }
  if (m.format !== SLICE_STORE_FORMAT || m.volumeKey !== volumeKey || m.dataType !== 'int16' || !Array.isArray(m.slices) || m.grid?.dims?.length !== 3) {
    throw new AppError(
      'INTERNAL',
      `The slice store manifest ${manifestFile} of ${what} is not an ${SLICE_STORE_FORMAT} manifest of volume ${volumeKey}; ${rebuild}.`,
    );
  }
  const [nx, ny, nz] = m.grid.dims;
  if (m.slices.length !== nz)
    throw new AppError('INTERNAL', `The slice store manifest ${manifestFile} of ${what} lists ${m.slices.length} slices for ${nz}; ${rebuild}.`);
  if (!Number.isInteger(index) || index < 0 || index >= nz)
    throw new AppError('INVALID_INPUT', `Axial slice ${index} is outside ${what}'s slices 0–${nz - 1}.`);
  const entry = m.slices[index]!;
  if (!SHA.test(entry.sha256))
    throw new AppError('INTERNAL', `The slice store manifest ${manifestFile} of ${what} has no valid sha256 for slice ${index}; ${rebuild}.`);
  const file = path.join(dir, `${index}.i16.gz`);
  const gz = await read(file);
  const sha = sha256Hex(gz);
  if (sha !== entry.sha256) {
    throw new AppError(
      'INTERNAL',
      `Slice ${index} of ${what} is corrupt in the slice store: ${file} has sha256 ${sha}, its manifest says ${entry.sha256}. Nothing of it is shown; ${rebuild}.`,
    );
  }
  const raw = await gunzipAsync(gz);
  if (raw.length !== nx * ny * 2)
    throw new AppError('INTERNAL', `Slice ${index} of ${what} (${file}) holds ${raw.length} bytes, not ${nx}×${ny} Int16 values; ${rebuild}.`);
  const hu = new Int16Array(nx * ny);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let q = 0; q < hu.length; q++) hu[q] = dv.getInt16(q * 2, true);
  return { grid: sliceGrid(m.grid, index), hu, sha256: sha };
}

/** The grid of axial slice k of `g`: nx × ny × 1, its origin moved k steps along the third column of the direction matrix (lib/core/volume.ts). */
export function sliceGrid(g: Grid, k: number): Grid {
  const d = [...g.direction];
  const dz = k * g.spacingMm[2];
  return {
    dims: [g.dims[0], g.dims[1], 1],
    spacingMm: [...g.spacingMm] as Vec3,
    originMm: [g.originMm[0] + d[2]! * dz, g.originMm[1] + d[5]! * dz, g.originMm[2] + d[8]! * dz],
    direction: d,
  };
}

const building = new Map<string, Promise<string | null>>();

/**
 * Build the slice store of CT series `seriesId` unless the database says it is built (or
 * `rebuild`: its folder was found missing), and keep its manifest's sha256 on the series. One build per series at a time in this process (a second
 * caller gets the first one's promise). Resolves to the manifest's sha256, or null when the series
 * has no stored volume. No authorisation: a system operation (the viewer's routes authorise first).
 */
export function ensureSeriesSliceStore(
  db: Db,
  store: VolumeStore,
  { seriesId, rebuild = false }: { seriesId: string; rebuild?: boolean },
): Promise<string | null> {
  const running = building.get(seriesId);
  if (running) return running;
  const job = (async () => {
    const s = await db.imageSeries.findUnique({ where: { id: seriesId }, select: { volumeKey: true, sliceManifestSha256: true } });
    if (!s?.volumeKey) return null;
    if (s.sliceManifestSha256 && !rebuild) return s.sliceManifestSha256;
    const { manifestSha256 } = await buildSliceStore(store, s.volumeKey, `CT series ${seriesId}`);
    // Only where the volume is still the one cut (a re-import may have replaced it meanwhile).
    await db.imageSeries.updateMany({ where: { id: seriesId, volumeKey: s.volumeKey }, data: { sliceManifestSha256: manifestSha256 } });
    return manifestSha256;
  })().finally(() => building.delete(seriesId));
  building.set(seriesId, job);
  return job;
}
