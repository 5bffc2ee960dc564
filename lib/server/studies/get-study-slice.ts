/**
 * One axial slice of a study's CT phase, for the viewer's first image (issue #19: the visible
 * slice first, the volume streamed after). The stored .nii.gz is inflated only up to the end of
 * that slice (an axial slice is contiguous in the file), so the first image does not wait for
 * the whole volume to be inflated, converted and gzipped again as GET …/volume does.
 *
 * Same checks as getStudyVolume: the caller needs studies:view, and the series id is looked up
 * under this study; the store key never comes from the request.
 */
import { createGunzip } from 'node:zlib';
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import { parseNifti } from '@/lib/nifti';
import { NIFTI_DATATYPES, parseNiftiHeader } from '@/lib/nifti/header';
import type { Grid, Vec3 } from '@/lib/core/volume';
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
  { caller, studyId, seriesId, index }: { caller: Caller | null; studyId: string; seriesId: string; index: number },
): Promise<StudyVolume> {
  authorize(caller, 'studies:view');
  const s = await db.imageSeries.findFirst({ where: { id: seriesId, studyId }, select: { volumeKey: true } });
  if (!s) throw new AppError('NOT_FOUND', `Series ${seriesId} is not part of study ${studyId}.`);
  const what = `CT series ${seriesId}`;
  if (!s.volumeKey) throw new AppError('NOT_FOUND', `${what} has no stored volume (its import did not finish).`);
  if (!Number.isInteger(index) || index < 0) throw new AppError('INVALID_INPUT', `Axial slice ${index} is not a slice number: give 0 or more.`);

  let mini: Uint8Array;
  try {
    const gz = await store.getVolume(s.volumeKey);
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
  const g = volume.grid;
  const d = [...g.direction];
  const dz = index * g.spacingMm[2];
  // Slice k's origin: along the third column of the direction matrix (lib/core/volume.ts).
  const grid: Grid = {
    dims: [...g.dims] as Vec3,
    spacingMm: [...g.spacingMm] as Vec3,
    originMm: [g.originMm[0] + d[2]! * dz, g.originMm[1] + d[5]! * dz, g.originMm[2] + d[8]! * dz],
    direction: d,
  };
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
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  let out: Uint8Array;
  if (le) out = new Uint8Array(hu.buffer, hu.byteOffset, hu.byteLength);
  else {
    out = new Uint8Array(hu.length * 2);
    const w = new DataView(out.buffer);
    for (let q = 0; q < hu.length; q++) w.setInt16(q * 2, hu[q]!, true);
  }
  return { grid, dataType: 'int16', bytes: out, sha256: `${s.volumeKey.slice(0, 64)}-axial-${index}` };
}
