/**
 * The `monitoring.alert.webhook` job: one try of an alert webhook delivery
 * (lib/server/monitoring/execute-alert-webhook.ts). A try that may pass later throws, so pg-boss
 * retries it with backoff (ALERT_WEBHOOK_JOB's policy); the last failure leaves the delivery FAILED.
 */
import type { JobWithMetadata } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import type { AlertWebhookJobData } from '../../lib/server/jobs/job-definitions';
import { executeAlertWebhook } from '../../lib/server/monitoring/execute-alert-webhook';

function log(msg: string): void {
  console.log(`[worker ${process.pid}] ${msg}`);
}

export async function runAlertWebhookJob(job: JobWithMetadata<AlertWebhookJobData>, { db, baseUrl }: { db: Db; baseUrl: string | null }): Promise<void> {
  const attempt = job.retryCount + 1;
  const maxAttempts = job.retryLimit + 1;
  try {
    const r = await executeAlertWebhook({ db, deliveryId: job.data.deliveryId, attempt, maxAttempts, baseUrl });
    log(`alert webhook ${job.data.deliveryId}: ${r}`);
  } catch (e) {
    log(`alert webhook ${job.data.deliveryId}: attempt ${attempt} of ${maxAttempts} failed: ${(e as Error).message}`);
    throw e;
  }
}
