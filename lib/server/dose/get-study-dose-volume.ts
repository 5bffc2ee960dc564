/**
 * The study's dose grid as raw voxels for the viewer's dose wash and isodose lines
 * (GET /api/studies/[id]/dose): the grid getStudyDose reports as used (chooseDoseGrid), as float32
 * dose values in the grid's units (DoseUnits; Gy for a physical dose) in lib/core/volume index
 * order, with its geometry. The viewer fetches it once (ETag; stored volumes never change) and
 * samples it on each displayed plane itself (lib/core/viewer/dose-slice.ts), so scrolling never
 * refetches. No identifiers: dose values and geometry only (no UIDs).
 *
 * @throws AppError UNAUTHORIZED / FORBIDDEN (studies:view), NOT_FOUND (no dose grid), INTERNAL
 *   (the stored dose volume cannot be read).
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import { parseNifti } from '@/lib/nifti';
import { chooseDoseGrid } from '@/lib/core/dose';
import type { Grid, Vec3 } from '@/lib/core/volume';
import type { StudyVolume } from '@/lib/core/viewer/study-volume';

export async function getStudyDoseVolume(db: Db, store: VolumeStore, { caller, studyId }: { caller: Caller | null; studyId: string }): Promise<StudyVolume> {
  authorize(caller, 'studies:view');
  const grids = await db.doseGrid.findMany({ where: { studyId }, orderBy: { createdAt: 'asc' } });
  const chosen = chooseDoseGrid(grids)?.chosen;
  if (!chosen) throw new AppError('NOT_FOUND', `Study ${studyId} has no dose grid: import its RTDOSE with the CT to see the dose.`);
  let volume;
  try {
    volume = parseNifti(await store.getVolume(chosen.volumeKey), { source: `dose grid ${chosen.id}` });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('INTERNAL', `Cannot read dose grid ${chosen.id} from the volume store: ${(e as Error).message}`);
  }
  // The stored row's geometry (float64 from DICOM) when it matches the volume, else the volume's own
  // (NIfTI float32), as the dose metrics use it (compute-study-dose-metrics.ts).
  const same = chosen.dims.length === 3 && chosen.dims.every((d, a) => d === volume.grid.dims[a]);
  const grid: Grid =
    same && chosen.spacingMm.length === 3 && chosen.originMm.length === 3 && chosen.direction.length === 9
      ? { dims: [...chosen.dims] as Vec3, spacingMm: [...chosen.spacingMm] as Vec3, originMm: [...chosen.originMm] as Vec3, direction: [...chosen.direction] }
      : {
          dims: [...volume.grid.dims] as Vec3,
          spacingMm: [...volume.grid.spacingMm] as Vec3,
          originMm: [...volume.grid.originMm] as Vec3,
          direction: [...volume.grid.direction],
        };
  const values = volume.data instanceof Float32Array ? volume.data : Float32Array.from(volume.data as ArrayLike<number>);
  return { grid, dataType: 'float32', bytes: littleEndianBytes(values), sha256: chosen.volumeSha256 };
}

function littleEndianBytes(a: Float32Array): Uint8Array {
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (le) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let q = 0; q < a.length; q++) dv.setFloat32(q * 4, a[q]!, true);
  return out;
}
