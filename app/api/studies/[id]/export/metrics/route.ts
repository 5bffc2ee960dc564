/** GET /api/studies/[id]/export/metrics → every metric row of the study as CSV (no identifiers). */
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toHttpError } from '@/lib/server/errors';
import { exportStudyMetricsCsv } from '@/lib/server/studies/export-study-metrics-csv';

export const dynamic = 'force-dynamic';

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const { csv, fileName } = await exportStudyMetricsCsv(db(), { caller: await getCaller(), studyId: id });
    return new Response(csv, {
      headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${fileName}"`, 'Cache-Control': 'no-store' },
    });
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
