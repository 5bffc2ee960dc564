/** GET /api/studies/[id]/export/metrics → every metric row of the study as CSV (no identifiers). */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { exportStudyMetricsCsv } from '@/lib/server/studies/export-study-metrics-csv';

export const dynamic = 'force-dynamic';

export const GET = withCaller<{ id: string }>('studies:view', async (_req, { caller, params }) => {
  const { csv, fileName } = await exportStudyMetricsCsv(db(), { caller, studyId: params.id });
  return new Response(csv, {
    headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${fileName}"`, 'Cache-Control': 'no-store' },
  });
});
