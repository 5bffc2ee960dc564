/**
 * GET /api/studies/[id] → the study viewer's JSON (lib/server/studies/get-study-view.ts): phases,
 * grid, structure ids, latest run with its model, metrics and discordance regions; identifiers
 * only for physicians (audited). Thin: caller → getStudyView (authorises) → map errors.
 */
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toHttpError } from '@/lib/server/errors';
import { getStudyView } from '@/lib/server/studies/get-study-view';

export const dynamic = 'force-dynamic';

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const view = await getStudyView(db(), { caller: await getCaller(), studyId: id });
    return Response.json(view, { headers: { 'Cache-Control': 'no-store' } });
  } catch (e) {
    const { status, body } = toHttpError(e);
    return Response.json(body, { status });
  }
}
