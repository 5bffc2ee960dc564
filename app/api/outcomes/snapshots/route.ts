/**
 * GET /api/outcomes/snapshots → the stored analysis snapshots (newest first, no content).
 * POST /api/outcomes/snapshots { title, request } → freeze the analysis the request describes
 * (the outcomes explorer's request: event, covariates, grouping, riskTimesDays, ties); 201 with
 * { id, contentHash, title, created } (200 when identical content was frozen before).
 * Snapshots are immutable: there is no PUT, PATCH or DELETE (docs/outcomes-snapshots.md).
 */
import { z } from 'zod';
import { db } from '@/lib/server/db/client';
import { withCaller } from '@/lib/server/http/with-caller';
import { AppError } from '@/lib/server/errors';
import { createAnalysisSnapshot } from '@/lib/server/snapshots/create-analysis-snapshot';
import { listAnalysisSnapshots } from '@/lib/server/snapshots/list-analysis-snapshots';

export const dynamic = 'force-dynamic';

const Body = z.object({
  title: z.string({ error: 'title: give the snapshot a title (text).' }),
  request: z.record(z.string(), z.unknown()).default({}),
});

export const GET = withCaller('outcomes:view', async (_req, { caller }) => {
  const snapshots = await listAnalysisSnapshots(db(), { caller });
  return Response.json({ snapshots }, { headers: { 'Cache-Control': 'no-store' } });
});

export const POST = withCaller('outcomes:view', async (req, { caller }) => {
  let json: unknown;
  try {
    json = await req.json();
  } catch {
    throw new AppError('INVALID_INPUT', 'Send JSON: { "title": "…", "request": { "event": "localFailure", "covariates": ["metric:dice"] } }.');
  }
  const parsed = Body.safeParse(json);
  if (!parsed.success) throw new AppError('INVALID_INPUT', parsed.error.issues.map((i) => i.message).join('; '));
  const out = await createAnalysisSnapshot(db(), { caller, title: parsed.data.title, request: parsed.data.request });
  return Response.json(out, { status: out.created ? 201 : 200 });
});
