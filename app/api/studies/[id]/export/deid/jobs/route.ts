/**
 * POST /api/studies/[id]/export/deid/jobs → prepare the study's de-identified export as a job
 * (lib/server/exports/request-deid-export.ts): 202 with the export (state, progress); while the
 * caller's export of this study is queued or running, a repeat returns that one (200).
 * GET → the caller's own prepared exports of the study, newest first (polled by the study page).
 * Permission studies:export-deid, as the streamed export (GET /api/studies/[id]/export/deid).
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { webBoss } from '@/lib/server/jobs/web-boss';
import { requestDeidExport } from '@/lib/server/exports/request-deid-export';
import { findDeidExports } from '@/lib/server/exports/find-deid-exports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = withCaller<{ id: string }>('studies:export-deid', async (_req, { caller, params }) => {
  const r = await requestDeidExport(db(), await webBoss(), { caller, studyId: params.id });
  return Response.json(r, { status: r.created ? 202 : 200, headers: { 'cache-control': 'no-store' } });
});

export const GET = withCaller<{ id: string }>('studies:export-deid', async (_req, { caller, params }) => {
  const exports = await findDeidExports(db(), { caller, studyId: params.id });
  return Response.json({ exports }, { headers: { 'cache-control': 'no-store' } });
});
