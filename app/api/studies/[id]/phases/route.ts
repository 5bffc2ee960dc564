/**
 * GET /api/studies/[id]/phases → per-phase machine and physician GTV volume (cc) and centroid
 * (patient mm) for the viewer's charts (from the run summary, or computed from the masks).
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { getStudyPhaseSeries } from '@/lib/server/studies/get-study-phase-series';

export const dynamic = 'force-dynamic';

export const GET = withCaller<{ id: string }>('studies:view', async (_req, { caller, params }) => {
  const series = await getStudyPhaseSeries(db(), volumeStore(), { caller, studyId: params.id });
  return Response.json(series, { headers: { 'Cache-Control': 'no-store' } });
});
