/**
 * GET /api/studies/[id]/status → the latest segmentation run's status, progress, stage, error
 * and model (or { run: null }); small, for polling every 2 s while a run is queued or running.
 */
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toHttpError } from '@/lib/server/errors';
import { getStudyRunStatus } from '@/lib/server/studies/get-study-run-status';

export const dynamic = 'force-dynamic';

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const run = await getStudyRunStatus(db(), { caller: await getCaller(), studyId: id });
    return Response.json({ run }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
