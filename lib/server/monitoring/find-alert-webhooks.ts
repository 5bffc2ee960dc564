/**
 * The alert webhooks and their latest deliveries with every attempt (docs/monitoring.md,
 * "Webhooks"), for the admin page /admin/alert-webhooks and GET /api/admin/alert-webhooks.
 * Admins only (alert-webhooks:manage). Secrets are never returned: only whether one is set.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { ALERT_TYPES, ALERT_TYPE_LABELS, type AlertType } from '../../core/webhooks/alert-webhook';

export interface AlertWebhookView {
  alertType: AlertType;
  label: string;
  url: string | null;
  hasSecret: boolean;
  enabled: boolean;
  updatedAt: Date | null;
  updatedByEmail: string | null;
}

export interface AlertWebhookDeliveryView {
  id: string;
  alertType: string;
  chart: string;
  pseudonym: string;
  url: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  error: string | null;
  queuedAt: Date;
  finishedAt: Date | null;
  tries: { attempt: number; statusCode: number | null; error: string | null; durationMs: number; startedAt: Date }[];
}

export async function findAlertWebhooks(
  db: Db,
  o: { caller: Caller | null | undefined; deliveries?: number },
): Promise<{ webhooks: AlertWebhookView[]; deliveries: AlertWebhookDeliveryView[] }> {
  authorize(o.caller, 'alert-webhooks:manage');
  const stored = await db.alertWebhook.findMany();
  const webhooks = ALERT_TYPES.map((t): AlertWebhookView => {
    const h = stored.find((s) => s.alertType === t);
    return {
      alertType: t,
      label: ALERT_TYPE_LABELS[t],
      url: h?.url ?? null,
      hasSecret: Boolean(h?.secret),
      enabled: h?.enabled ?? false,
      updatedAt: h?.updatedAt ?? null,
      updatedByEmail: h?.updatedByEmail ?? null,
    };
  });
  const rows = await db.alertWebhookDelivery.findMany({
    orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }],
    take: Math.min(Math.max(o.deliveries ?? 50, 1), 500),
    include: { alert: { select: { metric: true, chart: true, pseudonym: true } }, tries: { orderBy: { attempt: 'asc' } } },
  });
  const deliveries = rows.map((d): AlertWebhookDeliveryView => ({
    id: d.id,
    alertType: d.alert.metric,
    chart: d.alert.chart,
    pseudonym: d.alert.pseudonym,
    url: d.url,
    state: d.state,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    error: d.error,
    queuedAt: d.queuedAt,
    finishedAt: d.finishedAt,
    tries: d.tries.map((t) => ({ attempt: t.attempt, statusCode: t.statusCode, error: t.error, durationMs: t.durationMs, startedAt: t.startedAt })),
  }));
  return { webhooks, deliveries };
}
