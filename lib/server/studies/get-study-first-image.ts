/**
 * The study page's first image (issue #19: a real CT on screen in under 0.5 s): the middle axial
 * slice of the CT phase the viewer opens on (the first phase, else the study's CT: as
 * get-study-view.ts chooses), in the lung window, as an 8-bit greyscale PNG inlined in the page's
 * HTML (a data: URI), so no second request waits in a busy web server's queue. The pixels come
 * from getStudySliceImage (the slice store, each byte checked against its recorded sha256), the
 * same PNG GET /api/studies/[id]/volume/image serves for the other window and slices.
 *
 * The caller may be a promise (the page's session lookup still running): the series lookup starts
 * at once, beside it; the slice's pixels are read only once the caller is authorised, and nothing
 * leaves this function for a caller without studies:view.
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import { getStudySliceImage } from './get-study-slice-image';

export interface StudyFirstImage {
  seriesId: string;
  /** Axial slice k (0-based) and the number of slices. */
  index: number;
  nz: number;
  /** The slice's size in pixels and its width over height in millimetres. */
  width: number;
  height: number;
  aspect: number;
  /**
   * The slice in the lung window as a `data:image/png;base64,…` URI; null where the series' slice
   * store is not built yet (the page then names GET …/volume/image instead).
   */
  lungSrc: string | null;
}

export interface GetStudyFirstImageOptions {
  caller: Caller | null | Promise<Caller | null>;
  studyId: string;
}

/**
 * @returns null when the study has no stored CT volume (or does not exist).
 * @throws AppError UNAUTHORIZED (no caller), FORBIDDEN (role), INTERNAL (a slice whose bytes do
 *   not match their recorded sha256: as getStudySlice).
 */
export async function getStudyFirstImage(db: Db, store: VolumeStore, { caller, studyId }: GetStudyFirstImageOptions): Promise<StudyFirstImage | null> {
  const seriesLookup = db.imageSeries.findMany({
    where: { studyId, volumeKey: { not: null } },
    select: { id: true, phaseIndex: true, dims: true, spacingMm: true },
  });
  let who: Caller;
  try {
    who = authorize(await caller, 'studies:view');
  } catch (e) {
    seriesLookup.catch(() => undefined); // not awaited: its own failure is not this one's
    throw e;
  }
  const s = firstViewSeries(await seriesLookup);
  if (!s || s.dims.length !== 3 || s.spacingMm.length !== 3) return null;
  const [nx, ny, nz] = s.dims as [number, number, number];
  const [sx, sy] = s.spacingMm as [number, number, number];
  const index = Math.floor(nz / 2);
  // Only from the slice store: where it is not built yet, the page must not wait for the whole
  // volume (seconds): the <img> asks the image route for it instead, and its build starts.
  let lungSrc: string | null = null;
  try {
    const img = await getStudySliceImage(db, store, { caller: who, studyId, seriesId: s.id, index, window: 'lung', storeOnly: true });
    if (img) lungSrc = `data:image/png;base64,${Buffer.from(img.png.buffer, img.png.byteOffset, img.png.byteLength).toString('base64')}`;
  } catch (e) {
    // A slice whose bytes do not match: the page still opens; the image route answers the
    // <img> with the error that names the file, and the viewer reads the (checked) volume.
    if (!(e instanceof AppError) || e.code !== 'INTERNAL') throw e;
    console.warn(`first image of study ${studyId} not inlined: ${e.message}`);
  }
  return { seriesId: s.id, index, nz, width: nx, height: ny, aspect: (nx * sx) / (ny * sy), lungSrc };
}

/** The series the viewer opens on: the first phase by phase index, else the first CT with a volume (get-study-view.ts). */
export function firstViewSeries<T extends { phaseIndex: number | null }>(series: T[]): T | undefined {
  const phased = series.filter((s) => s.phaseIndex !== null).sort((a, b) => a.phaseIndex! - b.phaseIndex!);
  return phased[0] ?? series[0];
}
