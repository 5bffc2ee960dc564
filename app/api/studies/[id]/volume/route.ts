/**
 * GET /api/studies/[id]/volume?series=<seriesId>      → a CT phase, Int16 HU
 * GET /api/studies/[id]/volume?structure=<structureId> → a physician or machine mask, 1 byte/voxel
 * GET /api/studies/[id]/volume?series=<seriesId>&axial=<k> → axial slice k (0-based) of a CT phase,
 *   Int16 HU, its grid nx × ny × 1 (the viewer's first image, before the whole volume; getStudySlice)
 * Binary (application/octet-stream, the voxel bytes gzipped: X-Volume-Encoding: gzip), voxels in
 * lib/core/volume index order; the grid is in the X-Volume-* headers. Ids only: the store key is
 * looked up under this study. Thin: withCaller → parse → getStudyVolume (authorises) → response.
 */
import { db } from '@/lib/server/db/client';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { getStudyVolume, type StudyVolumeRequest } from '@/lib/server/studies/get-study-volume';
import { getStudyVolumeResponse } from '@/lib/server/studies/get-study-volume-response';
import { getStudySlice } from '@/lib/server/studies/get-study-slice';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const GET = withCaller<{ id: string }>('studies:view', async (req, { caller, params }) => {
  const q = new URL(req.url).searchParams;
  const series = q.get('series');
  const structure = q.get('structure');
  const axial = q.get('axial');
  if (axial !== null) {
    if (!series || structure || !ID.test(series))
      throw new AppError('INVALID_INPUT', 'An axial slice is of a CT series: ?series=<CT series id>&axial=<slice number from 0>.');
    if (!/^\d{1,6}$/.test(axial)) throw new AppError('INVALID_INPUT', `axial=${JSON.stringify(axial.slice(0, 20))} is not a slice number: give 0 or more.`);
    const slice = await getStudySlice(db(), volumeStore(), { caller, studyId: params.id, seriesId: series, index: Number(axial) });
    return await getStudyVolumeResponse(slice, req.headers.get('if-none-match'));
  }
  let request: StudyVolumeRequest;
  if (series && !structure && ID.test(series)) request = { kind: 'ct', seriesId: series };
  else if (structure && !series && ID.test(structure)) request = { kind: 'mask', structureId: structure };
  else throw new AppError('INVALID_INPUT', 'Name exactly one volume: ?series=<CT series id> or ?structure=<structure id> (ids from GET /api/studies/[id]).');
  const v = await getStudyVolume(db(), volumeStore(), { caller, studyId: params.id, request });
  return await getStudyVolumeResponse(v, req.headers.get('if-none-match'));
});
