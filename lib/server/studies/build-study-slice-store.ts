/**
 * Build the slice store (lib/server/storage/slice-store.ts) of the CT series a study's viewer
 * opens on, ahead of its first view: the worker calls it when it starts a study's segmentation
 * run, so the first image of a new study is read from the store, not the whole volume. Only that
 * series: the first image is its middle slice, and the other phases are shown from their volumes.
 * A system operation (no caller); a no-op when built already or without a stored CT.
 */
import type { Db } from '../db/client';
import { ensureSeriesSliceStore } from '../storage/slice-store';
import type { VolumeStore } from '../storage/volume-store';
import { firstViewSeries } from './get-study-first-image';

export async function buildStudySliceStore(
  db: Db,
  store: VolumeStore,
  { studyId }: { studyId: string },
): Promise<{ seriesId: string; manifestSha256: string } | null> {
  const series = await db.imageSeries.findMany({ where: { studyId, volumeKey: { not: null } }, select: { id: true, phaseIndex: true } });
  const s = firstViewSeries(series);
  if (!s) return null;
  const manifestSha256 = await ensureSeriesSliceStore(db, store, { seriesId: s.id });
  return manifestSha256 ? { seriesId: s.id, manifestSha256 } : null;
}
