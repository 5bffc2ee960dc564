/**
 * Which slice the study page shows first (issue #19): the middle axial slice of the CT phase the
 * viewer opens on (the first phase, else the study's CT: as get-study-view.ts chooses), named in
 * the page's HTML as a PNG (GET /api/studies/[id]/volume/image) so it is fetched at once. Reads
 * the series rows only; the pixels are checked when the image is requested.
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';

export interface StudyFirstImage {
  seriesId: string;
  /** Axial slice k (0-based) and the number of slices. */
  index: number;
  nz: number;
  /** The slice's size in pixels and its width over height in millimetres. */
  width: number;
  height: number;
  aspect: number;
}

/** @returns null when the study has no stored CT volume (or does not exist). @throws AppError FORBIDDEN. */
export async function getStudyFirstImage(db: Db, { caller, studyId }: { caller: Caller | null; studyId: string }): Promise<StudyFirstImage | null> {
  authorize(caller, 'studies:view');
  const series = await db.imageSeries.findMany({
    where: { studyId, volumeKey: { not: null } },
    select: { id: true, phaseIndex: true, dims: true, spacingMm: true },
  });
  const s = firstViewSeries(series);
  if (!s || s.dims.length !== 3 || s.spacingMm.length !== 3) return null;
  const [nx, ny, nz] = s.dims as [number, number, number];
  const [sx, sy] = s.spacingMm as [number, number, number];
  return { seriesId: s.id, index: Math.floor(nz / 2), nz, width: nx, height: ny, aspect: (nx * sx) / (ny * sy) };
}

/** The series the viewer opens on: the first phase by phase index, else the first CT with a volume (get-study-view.ts). */
export function firstViewSeries<T extends { phaseIndex: number | null }>(series: T[]): T | undefined {
  const phased = series.filter((s) => s.phaseIndex !== null).sort((a, b) => a.phaseIndex! - b.phaseIndex!);
  return phased[0] ?? series[0];
}
