/**
 * GET /api/studies/[id]/export/deid → the study as a de-identified DICOM zip (CT series and
 * physician RTSTRUCTs; PS3.15 basic profile, pseudonym, shifted dates, remapped UIDs), for
 * researchers and physicists (permission studies:export-deid). Authorised, checked and audited
 * before the first byte; then streamed one series at a time.
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { openDeidStudyExport } from '@/lib/server/deid/export-deid-study';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = withCaller<{ id: string }>('studies:export-deid', async (_req, { caller, params }) => {
  const out = await openDeidStudyExport(db(), { caller, studyId: params.id });
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await out.chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (e) {
        // Headers are sent: the client sees a truncated download; the log says why.
        console.error(e);
        controller.error(e);
      }
    },
    async cancel() {
      await out.chunks.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${out.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'no-store',
    },
  });
});
