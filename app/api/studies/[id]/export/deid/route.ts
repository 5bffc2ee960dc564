/**
 * GET /api/studies/[id]/export/deid → the study as a de-identified DICOM zip (CT series and
 * physician RTSTRUCTs; PS3.15 basic profile, pseudonym, shifted dates, remapped UIDs), for
 * researchers and physicists (permission studies:export-deid). Audited in the data layer.
 */
import { getCaller } from '@/lib/server/auth/get-caller';
import { db } from '@/lib/server/db/client';
import { toHttpError } from '@/lib/server/errors';
import { exportDeidStudy } from '@/lib/server/deid/export-deid-study';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const out = await exportDeidStudy(db(), { caller: await getCaller(), studyId: id });
    return new Response(new Uint8Array(out.bytes), {
      headers: {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${out.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        'cache-control': 'no-store',
      },
    });
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
