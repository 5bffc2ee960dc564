/**
 * GET /api/outcomes/dataset.csv → the patient-level analysis dataset (docs/analysis-dataset.md).
 * Thin: withCaller → exportAnalysisDataset (authorises again, audits the download).
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { exportAnalysisDataset } from '@/lib/server/outcomes/export-analysis-dataset';

export const dynamic = 'force-dynamic';

export const GET = withCaller('outcomes:view', async (_req, { caller }) => {
  const file = await exportAnalysisDataset(db(), { caller, format: 'csv' });
  return new Response(file.body, {
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'Cache-Control': 'no-store',
    },
  });
});
