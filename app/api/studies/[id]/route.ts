/**
 * GET /api/studies/[id] → the study viewer's JSON (lib/server/studies/get-study-view.ts): phases,
 * grid, structure ids, latest run with its model, metrics and discordance regions; identifiers
 * only for physicians (audited); `dose`: the plan, the dose grid used and the dose metrics per region
 * (lib/server/dose/get-study-dose.ts; null without dose or plan). Thin: withCaller (caller,
 * permission, errors) → getStudyView and getStudyDose (each authorises again).
 */
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { getStudyView } from '@/lib/server/studies/get-study-view';
import { getStudyDose } from '@/lib/server/dose/get-study-dose';

export const dynamic = 'force-dynamic';

export const GET = withCaller<{ id: string }>('studies:view', async (_req, { caller, params }) => {
  const view = await getStudyView(db(), { caller, studyId: params.id });
  const dose = await getStudyDose(db(), { caller, studyId: params.id });
  return Response.json({ ...view, dose }, { headers: { 'Cache-Control': 'no-store' } });
});
