/**
 * GET /api/studies/[id]/export/deid/jobs/[exportId] → the zip of a READY prepared export, for the
 * user who requested it (lib/server/exports/open-deid-export-download.ts; audited). Headers carry
 * its size and sha256 (x-content-sha256) so a client can check what it saved.
 */
import { Readable } from 'node:stream';
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { openDeidExportDownload } from '@/lib/server/exports/open-deid-export-download';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = withCaller<{ id: string; exportId: string }>('studies:export-deid', async (_req, { caller, params }) => {
  const d = await openDeidExportDownload(db(), volumeStore(), { caller, studyId: params.id, exportId: params.exportId });
  return new Response(Readable.toWeb(d.stream) as ReadableStream<Uint8Array>, {
    headers: {
      'content-type': 'application/zip',
      'content-length': String(d.sizeBytes),
      'content-disposition': `attachment; filename="${d.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'x-content-sha256': d.sha256,
      'cache-control': 'no-store',
    },
  });
});
