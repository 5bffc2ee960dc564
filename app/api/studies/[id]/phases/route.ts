/**
 * GET /api/studies/[id]/phases → per-phase machine and physician GTV volume (cc) and centroid
 * (patient mm) for the viewer's charts (from the run summary, or computed from the masks).
 */
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toHttpError } from '@/lib/server/errors';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { getStudyPhaseSeries } from '@/lib/server/studies/get-study-phase-series';

export const dynamic = 'force-dynamic';

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const series = await getStudyPhaseSeries(db(), volumeStore(), { caller: await getCaller(), studyId: id });
    return Response.json(series, { headers: { 'Cache-Control': 'no-store' } });
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
