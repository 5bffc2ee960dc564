/**
 * One volume of a study as raw voxels for the viewer: a CT phase as Int16 HU, or a physician or
 * machine mask as one byte per voxel (0/1). The caller names a series or structure id; the
 * volume-store key is looked up in the database under this study, never taken from the request.
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import { parseNifti } from '@/lib/nifti';
import type { Grid, Vec3 } from '@/lib/core/volume';
import { maskBox } from '@/lib/core/viewer/render-slice';
import type { StudyVolume } from '@/lib/core/viewer/study-volume';

export type { StudyVolume };

export type StudyVolumeRequest = { kind: 'ct'; seriesId: string } | { kind: 'mask'; structureId: string };

/**
 * @throws AppError FORBIDDEN (role), NOT_FOUND (no such series/structure in this study, or no
 *   stored volume), INTERNAL (the stored file is unreadable).
 */
export async function getStudyVolume(
  db: Db,
  store: VolumeStore,
  { caller, studyId, request }: { caller: Caller | null; studyId: string; request: StudyVolumeRequest },
): Promise<StudyVolume> {
  authorize(caller, 'studies:view');
  let key: string | null | undefined;
  let what: string;
  if (request.kind === 'ct') {
    const s = await db.imageSeries.findFirst({ where: { id: request.seriesId, studyId }, select: { volumeKey: true } });
    if (!s) throw new AppError('NOT_FOUND', `Series ${request.seriesId} is not part of study ${studyId}.`);
    key = s.volumeKey;
    what = `CT series ${request.seriesId}`;
  } else {
    const p = await db.physicianStructure.findFirst({ where: { id: request.structureId, studyId }, select: { maskKey: true, kind: true } });
    const m = p ? null : await db.machineStructure.findFirst({ where: { id: request.structureId, run: { studyId } }, select: { maskKey: true, label: true } });
    if (!p && !m) throw new AppError('NOT_FOUND', `Structure ${request.structureId} is not part of study ${studyId}.`);
    key = p ? p.maskKey : m!.maskKey;
    what = p ? `physician ${p.kind} structure ${request.structureId}` : `machine structure ${m!.label}`;
  }
  if (!key) throw new AppError('NOT_FOUND', `${what} has no stored volume (its import or run did not finish).`);

  let volume;
  try {
    volume = parseNifti(await store.getVolume(key), { source: what });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('INTERNAL', `Cannot read ${what} from the volume store: ${(e as Error).message}`);
  }
  const grid: Grid = {
    dims: [...volume.grid.dims] as Vec3,
    spacingMm: [...volume.grid.spacingMm] as Vec3,
    originMm: [...volume.grid.originMm] as Vec3,
    direction: [...volume.grid.direction],
  };
  const src = volume.data;
  if (request.kind === 'ct') {
    let hu: Int16Array;
    if (src instanceof Int16Array) hu = src;
    else {
      hu = new Int16Array(src.length);
      for (let q = 0; q < src.length; q++) {
        const v = Math.round(src[q]);
        hu[q] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
      }
    }
    return { grid, dataType: 'int16', bytes: littleEndianBytes(hu), sha256: key.slice(0, 64) };
  }
  const mask = new Uint8Array(src.length);
  for (let q = 0; q < src.length; q++) mask[q] = src[q] ? 1 : 0;
  return { grid, dataType: 'uint8', bytes: mask, sha256: key.slice(0, 64), box: maskBox(mask, grid.dims) };
}

function littleEndianBytes(a: Int16Array): Uint8Array {
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (le) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 2);
  const dv = new DataView(out.buffer);
  for (let q = 0; q < a.length; q++) dv.setInt16(q * 2, a[q], true);
  return out;
}
