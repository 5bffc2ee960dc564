/**
 * GET /api/outcomes/snapshots/[id]/zip → the snapshot as a zip: dataset.csv, dictionary.json,
 * results.json, reproduce.R and snapshot.json (docs/outcomes-snapshots.md). Audited.
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { exportAnalysisSnapshotZip } from '@/lib/server/snapshots/export-analysis-snapshot-zip';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = withCaller<{ id: string }>('outcomes:view', async (_req, { caller, params }) => {
  const zip = await exportAnalysisSnapshotZip(db(), { caller, id: params.id });
  return new Response(Buffer.from(zip.bytes), {
    headers: {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${zip.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'no-store',
    },
  });
});
