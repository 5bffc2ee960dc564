/**
 * Acknowledge a drift alert with a comment (permission monitoring:manage): who, when and the
 * comment are stored on the alert, which stays listed as acknowledged, and an audit event
 * ('monitoring.alert.acknowledge') records them. An alert is acknowledged once: a second
 * acknowledgement (another tab, a double submit) is refused with who acknowledged it first.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, INVALID_INPUT (no comment, too long), NOT_FOUND, CONFLICT.
 */
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export const ACK_COMMENT_MAX = 1000;

export async function acknowledgeMonitoringAlert(
  db: Db,
  { caller, alertId, comment }: { caller: Caller | null | undefined; alertId: unknown; comment: unknown },
): Promise<{ id: string; acknowledgedAt: Date }> {
  const who = authorize(caller, 'monitoring:manage');
  if (typeof alertId !== 'string' || !alertId.trim()) throw new AppError('INVALID_INPUT', 'Which alert? The form sent no alert id; reload the page.');
  const text = typeof comment === 'string' ? comment.trim() : '';
  if (!text) throw new AppError('INVALID_INPUT', 'Write a comment: what was checked and what was found (e.g. "new scanner, protocol reviewed").');
  if (text.length > ACK_COMMENT_MAX) throw new AppError('INVALID_INPUT', `The comment is ${text.length} characters; keep it to ${ACK_COMMENT_MAX}.`);
  return db.$transaction(async (tx) => {
    const at = new Date();
    const { count } = await tx.monitoringAlert.updateMany({
      where: { id: alertId, acknowledgedAt: null },
      data: { acknowledgedAt: at, acknowledgedById: who.userId, acknowledgedByEmail: who.email, acknowledgeComment: text },
    });
    if (count === 0) {
      const a = await tx.monitoringAlert.findUnique({ where: { id: alertId }, select: { acknowledgedAt: true, acknowledgedByEmail: true } });
      if (!a) throw new AppError('NOT_FOUND', `Alert ${alertId} does not exist; reload the page.`);
      throw new AppError('CONFLICT', `This alert was already acknowledged by ${a.acknowledgedByEmail ?? 'someone'} at ${a.acknowledgedAt!.toISOString()}.`);
    }
    const a = await tx.monitoringAlert.findUniqueOrThrow({ where: { id: alertId } });
    await recordAuditEvent(tx, {
      action: 'monitoring.alert.acknowledge',
      caller: who,
      target: `monitoring-alert:${alertId}`,
      details: {
        alertId,
        comment: text,
        metric: a.metric,
        split: a.split,
        splitLabel: a.splitLabel,
        chart: a.chart,
        pseudonym: a.pseudonym,
        configVersion: a.configVersion,
      },
    });
    return { id: alertId, acknowledgedAt: at };
  });
}
