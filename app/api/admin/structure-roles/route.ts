/**
 * GET  /api/admin/structure-roles[?try=NAME][&version=N] → the site's structure rules, the
 *      built-in rules, the saved versions (and, with try, the role NAME would get; with version,
 *      that version's rules).
 * POST /api/admin/structure-roles, JSON { change: 'add', match, pattern, role, phasePercent?, note?,
 *      basedOnVersion? } or { change: 'disable' | 'enable', ruleId, basedOnVersion? } → the new
 *      version (audited).
 * Permission structure-roles:manage (docs/structure-roles.md). Thin: withCaller (Origin check,
 * caller, permission) → parse → lib/server/structure-roles.
 */
import { db } from '@/lib/server/db/client';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { changeStructureRules, type StructureRulesChange } from '@/lib/server/structure-roles/change-structure-rules';
import { findStructureRules } from '@/lib/server/structure-roles/find-structure-rules';
import { tryStructureName } from '@/lib/server/structure-roles/try-structure-name';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const NO_STORE = { 'cache-control': 'no-store' };

export const GET = withCaller('structure-roles:manage', async (req, { caller }) => {
  const sp = new URL(req.url).searchParams;
  const v = sp.get('version');
  let version: number | undefined;
  if (v !== null) {
    version = Number(v);
    if (!Number.isInteger(version) || version < 1)
      throw new AppError('INVALID_INPUT', `Query parameter "version" must be a version number (1, 2, …), not ${JSON.stringify(v)}.`);
  }
  const view = await findStructureRules(db(), { caller, version });
  const name = sp.get('try');
  const tried = name !== null ? await tryStructureName(db(), { caller, name }) : null;
  return Response.json({ ...view, tried }, { headers: NO_STORE });
});

export const POST = withCaller('structure-roles:manage', async (req, { caller }) => {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      'The request body is not JSON: send { "change": "add", "match", "pattern", "role", … } or { "change": "disable", "ruleId" }.',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AppError('INVALID_INPUT', 'The request body must be a JSON object with a "change" field (add, disable or enable).');
  const result = await changeStructureRules(db(), { caller, input: body as StructureRulesChange });
  return Response.json(result, { headers: NO_STORE });
});
