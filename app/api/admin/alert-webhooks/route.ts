/**
 * GET  /api/admin/alert-webhooks → the webhook of each alert type (no secrets) and the latest
 *      deliveries with every attempt.
 * POST /api/admin/alert-webhooks, JSON { alertType, url, secret?, clearSecret?, enabled? } or
 *      { alertType, remove: true } → the saved webhook (audited).
 * Permission alert-webhooks:manage (admins; docs/monitoring.md, "Webhooks"). Thin: withCaller
 * (Origin check, caller, permission) → parse → lib/server/monitoring.
 */
import { db } from '@/lib/server/db/client';
import { AppError } from '@/lib/server/errors';
import { withCaller } from '@/lib/server/http/with-caller';
import { findAlertWebhooks } from '@/lib/server/monitoring/find-alert-webhooks';
import { saveAlertWebhook, type SaveAlertWebhookInput } from '@/lib/server/monitoring/save-alert-webhook';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const NO_STORE = { 'cache-control': 'no-store' };

export const GET = withCaller('alert-webhooks:manage', async (_req, { caller }) => {
  return Response.json(await findAlertWebhooks(db(), { caller }), { headers: NO_STORE });
});

export const POST = withCaller('alert-webhooks:manage', async (req, { caller }) => {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new AppError('INVALID_INPUT', 'The request body is not JSON: send { "alertType": "dice", "url": "https://…", "secret": "…" }.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AppError('INVALID_INPUT', 'The request body must be a JSON object with "alertType" and "url" (or "remove": true).');
  const b = body as Record<string, unknown>;
  const str = (k: string) => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new AppError('INVALID_INPUT', `Field "${k}" must be a string.`);
    return v;
  };
  const bool = (k: string) => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new AppError('INVALID_INPUT', `Field "${k}" must be true or false.`);
    return v;
  };
  const input: SaveAlertWebhookInput = {
    alertType: str('alertType') ?? '',
    url: str('url'),
    secret: str('secret'),
    clearSecret: bool('clearSecret'),
    enabled: bool('enabled'),
    remove: bool('remove'),
  };
  return Response.json(await saveAlertWebhook(db(), { caller, input }), { headers: NO_STORE });
});
