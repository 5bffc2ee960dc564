/**
 * Set, change or remove the webhook of one alert type (docs/monitoring.md, "Webhooks"). Admins
 * only (alert-webhooks:manage). The URL must be https (http only to the loopback host); the
 * secret, when given, replaces the stored one (a blank secret keeps it; `clearSecret` removes it)
 * and is never returned or written to the audit log. Every change is audited
 * (`monitoring.webhook.save` / `monitoring.webhook.remove`) with the URL before and after.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { ALERT_TYPES, checkWebhookSecret, checkWebhookUrl, isAlertType, type AlertType } from '../../core/webhooks/alert-webhook';

export interface SaveAlertWebhookInput {
  alertType: string;
  /** Blank with `remove`: the webhook is removed. */
  url?: string;
  /** Blank: keep the stored secret. */
  secret?: string;
  clearSecret?: boolean;
  enabled?: boolean;
  remove?: boolean;
}

export interface SavedAlertWebhook {
  alertType: AlertType;
  url: string | null;
  hasSecret: boolean;
  enabled: boolean;
  removed: boolean;
}

export async function saveAlertWebhook(db: Db, o: { caller: Caller | null | undefined; input: SaveAlertWebhookInput }): Promise<SavedAlertWebhook> {
  const caller = authorize(o.caller, 'alert-webhooks:manage');
  const { input } = o;
  if (!isAlertType(input.alertType))
    throw new AppError('INVALID_INPUT', `Unknown alert type ${JSON.stringify(String(input.alertType).slice(0, 40))}: use one of ${ALERT_TYPES.join(', ')}.`);
  const alertType = input.alertType;
  return db.$transaction(async (tx) => {
    const before = await tx.alertWebhook.findUnique({ where: { alertType } });
    if (input.remove) {
      if (before) {
        await tx.alertWebhook.delete({ where: { alertType } });
        await recordAuditEvent(tx, {
          action: 'monitoring.webhook.remove',
          caller,
          target: `alert-webhook:${alertType}`,
          details: { alertType, url: before.url },
        });
      }
      return { alertType, url: null, hasSecret: false, enabled: false, removed: true };
    }
    const checked = checkWebhookUrl(input.url ?? '');
    if ('error' in checked) throw new AppError('INVALID_INPUT', `Webhook for ${alertType} alerts: ${checked.error}`);
    let secret = before?.secret ?? null;
    const secretChanged = Boolean(input.secret?.trim()) || Boolean(input.clearSecret && secret);
    if (input.secret?.trim()) {
      const s = checkWebhookSecret(input.secret);
      if ('error' in s) throw new AppError('INVALID_INPUT', `Webhook for ${alertType} alerts: ${s.error}`);
      secret = s.secret;
    } else if (input.clearSecret) secret = null;
    const enabled = input.enabled ?? true;
    const data = { url: checked.url, secret, enabled, updatedByEmail: caller.email };
    await tx.alertWebhook.upsert({ where: { alertType }, create: { alertType, ...data }, update: data });
    await recordAuditEvent(tx, {
      action: 'monitoring.webhook.save',
      caller,
      target: `alert-webhook:${alertType}`,
      details: {
        alertType,
        url: checked.url,
        previousUrl: before?.url ?? null,
        enabled,
        previousEnabled: before?.enabled ?? null,
        hasSecret: secret !== null,
        secretChanged,
      },
    });
    return { alertType, url: checked.url, hasSecret: secret !== null, enabled, removed: false };
  });
}
