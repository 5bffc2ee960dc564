/**
 * Queue the webhook deliveries of new drift alerts (docs/monitoring.md, "Webhooks"): for each
 * alert, the enabled webhook of its type (its metric), one AlertWebhookDelivery and one
 * `monitoring.alert.webhook` job, in one transaction each (the job exists if and only if the
 * delivery does). Idempotent: a delivery is unique per (alert, webhook), so a retried run job or
 * a second call queues nothing new. The worker calls it after evaluating the alerts of a run
 * (workers/tasks/segmentation-run.ts) with that run's id: the alerts it raised.
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { ALERT_WEBHOOK_JOB } from '../jobs/job-definitions';
import { sendJobInTransaction } from '../jobs/send-job';

export async function queueAlertWebhooks(
  db: Db,
  boss: PgBoss,
  which: { triggeredByRunId: string } | { alertIds: readonly string[] },
): Promise<{ queued: number }> {
  const hooks = await db.alertWebhook.findMany({ where: { enabled: true } });
  if (hooks.length === 0) return { queued: 0 };
  const alerts = await db.monitoringAlert.findMany({
    where: {
      ...('triggeredByRunId' in which ? { triggeredByRunId: which.triggeredByRunId } : { id: { in: [...which.alertIds] } }),
      metric: { in: hooks.map((h) => h.alertType) },
    },
    select: { id: true, metric: true },
    orderBy: { createdAt: 'asc' },
  });
  let queued = 0;
  for (const a of alerts) {
    const hook = hooks.find((h) => h.alertType === a.metric)!;
    const made = await db.$transaction(async (tx) => {
      const rows = await tx.alertWebhookDelivery.createManyAndReturn({
        data: [{ alertId: a.id, webhookId: hook.id, url: hook.url }],
        skipDuplicates: true,
        select: { id: true },
      });
      if (rows.length === 0) return false;
      await sendJobInTransaction(boss, tx, ALERT_WEBHOOK_JOB, { deliveryId: rows[0]!.id });
      return true;
    });
    if (made) queued++;
  }
  return { queued };
}
