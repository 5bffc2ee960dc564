/**
 * GET /api/studies/[id]/status → the latest segmentation run's status, progress, stage, error
 * and model (or { run: null }); small, for polling every 2 s while a run is queued or running.
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { getStudyRunStatus } from '@/lib/server/studies/get-study-run-status';

export const dynamic = 'force-dynamic';

export const GET = withCaller<{ id: string }>('studies:view', async (_req, { caller, params }) => {
  const run = await getStudyRunStatus(db(), { caller, studyId: params.id });
  return Response.json({ run }, { headers: { 'Cache-Control': 'no-store' } });
});
