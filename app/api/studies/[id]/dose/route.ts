/**
 * GET /api/studies/[id]/dose → the study's dose grid (the one its dose metrics use) as float32
 * dose values, for the viewer's dose wash and isodose lines: binary, gzipped as the volume route
 * (X-Volume-Encoding: gzip, X-Volume-Type: float32, the grid in X-Volume-* headers, ETag). The
 * viewer fetches it once and samples each displayed plane itself. Thin: withCaller → parse →
 * getStudyDoseVolume (authorises) → response.
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { getStudyDoseVolume } from '@/lib/server/dose/get-study-dose-volume';
import { getStudyVolumeResponse } from '@/lib/server/studies/get-study-volume-response';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = withCaller<{ id: string }>('studies:view', async (req, { caller, params }) => {
  const v = await getStudyDoseVolume(db(), volumeStore(), { caller, studyId: params.id });
  return await getStudyVolumeResponse(v, req.headers.get('if-none-match'));
});
