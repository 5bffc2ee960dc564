/**
 * One axial slice of a study's CT phase, for the viewer's first image (issue #19: the visible
 * slice first, the volume streamed after).
 *
 * From the series' slice store (lib/server/storage/slice-store.ts) where it is built: one small
 * file read and its sha256 checked against the manifest the database vouches for. Otherwise (a
 * study imported before the store existed, or its first view) from the stored .nii.gz, checked
 * whole and inflated only up to the end of that slice (an axial slice is contiguous in the file),
 * and the store is built in the background for the next view.
 *
 * Same checks as getStudyVolume: the caller needs studies:view, and the series id is looked up
 * under this study; the store key never comes from the request. A slice whose bytes do not match
 * their recorded sha256 is never returned (AppError INTERNAL naming the file).
 */
import { createGunzip } from 'node:zlib';
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import { SliceStoreMissing, ensureSeriesSliceStore, readStoredSlice, sliceGrid } from '../storage/slice-store';
import { parseNifti } from '@/lib/nifti';
import { NIFTI_DATATYPES, parseNiftiHeader } from '@/lib/nifti/header';
import type { StudyVolume } from '@/lib/core/viewer/study-volume';

/** The first `needed` bytes of a gzip stream (fewer only when the stream is shorter). */
function inflatePrefix(gz: Uint8Array, needed: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const inflater = createGunzip({ chunkSize: 1 << 20 });
    const parts: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inflater.destroy();
      resolve(Buffer.concat(parts, total));
    };
    inflater.on('data', (c: Buffer) => {
      parts.push(c);
      total += c.length;
      if (total >= needed) finish();
    });
    inflater.on('end', finish);
    inflater.on('error', (e) => {
      if (done) return;
      done = true;
      reject(e);
    });
    // Fed in pieces, so that it stops once the slice is inflated.
    const PIECE = 1 << 20;
    let at = 0;
    const feed = () => {
      while (!done && at < gz.length) {
        const piece = gz.subarray(at, Math.min(gz.length, at + PIECE));
        at += piece.length;
        if (!inflater.write(piece)) {
          inflater.once('drain', feed);
          return;
        }
      }
      if (!done) inflater.end();
    };
    feed();
  });
}

/**
 * Axial slice `index` (0-based, k) of CT series `seriesId` as Int16 HU: a StudyVolume whose grid
 * is the slice's (dims nx × ny × 1, origin at slice k), its sha256 the stored file's with the slice.
 * @throws AppError FORBIDDEN (role), NOT_FOUND (no such series in this study, or no stored
 *   volume), INVALID_INPUT (index outside the series' slices), INTERNAL (unreadable file).
 */
export async function getStudySlice(
  db: Db,
  store: VolumeStore,
  opts: { caller: Caller | null; studyId: string; seriesId: string; index: number; storeOnly?: false },
): Promise<StudyVolume>;
/**
 * With `storeOnly`, null where the series' slice store is not built (or its folder is gone)
 * rather than reading the whole volume; its build is started for the next view.
 */
export async function getStudySlice(
  db: Db,
  store: VolumeStore,
  opts: { caller: Caller | null; studyId: string; seriesId: string; index: number; storeOnly: boolean },
): Promise<StudyVolume | null>;
export async function getStudySlice(
  db: Db,
  store: VolumeStore,
  { caller, studyId, seriesId, index, storeOnly = false }: { caller: Caller | null; studyId: string; seriesId: string; index: number; storeOnly?: boolean },
): Promise<StudyVolume | null> {
  authorize(caller, 'studies:view');
  const s = await db.imageSeries.findFirst({ where: { id: seriesId, studyId }, select: { volumeKey: true, sliceManifestSha256: true } });
  if (!s) throw new AppError('NOT_FOUND', `Series ${seriesId} is not part of study ${studyId}.`);
  const what = `CT series ${seriesId}`;
  if (!s.volumeKey) throw new AppError('NOT_FOUND', `${what} has no stored volume (its import did not finish).`);
  if (!Number.isInteger(index) || index < 0) throw new AppError('INVALID_INPUT', `Axial slice ${index} is not a slice number: give 0 or more.`);

  let rebuild = false;
  if (s.sliceManifestSha256) {
    try {
      const slice = await readStoredSlice(store, { volumeKey: s.volumeKey, manifestSha256: s.sliceManifestSha256, index, what });
      return { grid: slice.grid, dataType: 'int16', bytes: int16Bytes(slice.hu), sha256: `${s.volumeKey.slice(0, 64)}-axial-${index}` };
    } catch (e) {
      if (!(e instanceof SliceStoreMissing)) throw e;
      rebuild = true; // its folder is gone (or belongs to an older volume): the volume, then build it again
    }
  }
  const build = () =>
    // For the next view; a failure here is the next view's fallback again, not this one's error.
    ensureSeriesSliceStore(db, store, { seriesId, rebuild }).catch((e: Error) => console.warn(`slice store of ${what} not built: ${e.message}`));
  if (storeOnly) {
    void build();
    return null;
  }
  const fromVolume = await sliceFromVolume(store, s.volumeKey, index, what);
  void build();
  return fromVolume;
}

/** Little-endian bytes of Int16 values. */
function int16Bytes(hu: Int16Array): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return new Uint8Array(hu.buffer, hu.byteOffset, hu.byteLength);
  const out = new Uint8Array(hu.length * 2);
  const w = new DataView(out.buffer);
  for (let q = 0; q < hu.length; q++) w.setInt16(q * 2, hu[q]!, true);
  return out;
}

/** Slice `index` from the stored .nii.gz (checked whole by the volume store), inflated only up to that slice. */
async function sliceFromVolume(store: VolumeStore, volumeKey: string, index: number, what: string): Promise<StudyVolume> {
  let mini: Uint8Array;
  try {
    const gz = await store.getVolume(volumeKey);
    const head = await inflatePrefix(gz, 544);
    const h = parseNiftiHeader(head, what);
    const dt = NIFTI_DATATYPES[h.datatype];
    const [nx, ny, nz] = [h.dim[1] ?? 1, h.dim[2] ?? 1, h.dim[0]! >= 3 ? (h.dim[3] ?? 1) : 1];
    if (index >= nz) throw new AppError('INVALID_INPUT', `Axial slice ${index} is outside ${what}'s slices 0–${nz - 1}.`);
    if (!dt) throw new AppError('INTERNAL', `${what} has NIfTI datatype ${h.datatype}, which the viewer cannot read.`);
    const headerBytes = h.version === 1 ? 352 : 544;
    const offset = h.voxOffset >= headerBytes ? Math.floor(h.voxOffset) : headerBytes;
    const sliceBytes = nx * ny * dt.bytes;
    const bytes = await inflatePrefix(gz, offset + (index + 1) * sliceBytes);
    if (bytes.length < offset + (index + 1) * sliceBytes) throw new Error(`the file ends before slice ${index}`);
    // A NIfTI of that one slice: the same header (datatype, scaling, geometry) with nz = 1.
    mini = new Uint8Array(offset + sliceBytes);
    mini.set(bytes.subarray(0, offset), 0);
    mini.set(bytes.subarray(offset + index * sliceBytes, offset + (index + 1) * sliceBytes), offset);
    const dv = new DataView(mini.buffer);
    if (h.version === 1) dv.setInt16(40 + 2 * 3, 1, h.littleEndian);
    else dv.setBigInt64(16 + 8 * 3, 1n, h.littleEndian);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('INTERNAL', `Cannot read ${what} from the volume store: ${(e as Error).message}`);
  }
  const volume = parseNifti(mini, { source: what });
  const src = volume.data;
  let hu: Int16Array;
  if (src instanceof Int16Array) hu = src;
  else {
    hu = new Int16Array(src.length);
    for (let q = 0; q < src.length; q++) {
      const v = Math.round(src[q]!);
      hu[q] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
    }
  }
  return { grid: sliceGrid(volume.grid, index), dataType: 'int16', bytes: int16Bytes(hu), sha256: `${volumeKey.slice(0, 64)}-axial-${index}` };
}
