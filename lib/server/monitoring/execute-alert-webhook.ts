/**
 * One try of an alert webhook delivery (the worker's `monitoring.alert.webhook` job,
 * workers/tasks/alert-webhook.ts; docs/monitoring.md, "Webhooks"): POST the alert's JSON body
 * (lib/core/webhooks/alert-webhook.ts: no patient identifiers) to the URL recorded when it was
 * queued, signed with the webhook's secret when one is set, without following redirects, within
 * `timeoutMs`. Every try is an AlertWebhookAttempt row (HTTP status or null, error, duration).
 *
 * A 2xx answer: SENT. No answer (connection refused, DNS, timeout), a 5xx, 408 or 429: the try
 * throws so pg-boss retries it with backoff (ALERT_WEBHOOK_JOB), and the delivery stays QUEUED
 * with "attempt n of m failed, will retry: …" until the last try, which leaves it FAILED. Any other
 * answer (a 3xx redirect, a 4xx: the receiver refuses it; the webhook removed or disabled) fails it
 * at once, without retries, since a retry would meet the same.
 */
import type { Db } from '../db/client';
import { alertWebhookBody, signWebhookBody } from '../../core/webhooks/alert-webhook';

export interface ExecuteAlertWebhookOptions {
  db: Db;
  deliveryId: string;
  /** The try pg-boss reports (1 = first), and how many there will be in all. */
  attempt: number;
  maxAttempts: number;
  /** The app's public address for the link in the body (NEXTAUTH_URL); null: the path alone. */
  baseUrl: string | null;
  timeoutMs?: number;
}

export type AlertWebhookOutcome = 'sent' | 'already-sent' | 'gone' | 'failed';

export class AlertWebhookRetryError extends Error {}

const RETRY_STATUS = (s: number) => s >= 500 || s === 408 || s === 429;

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s (timeout)`;
  const code = err.cause?.code;
  const detail = err.cause?.message ?? err.message;
  return code ? `${code}: ${detail}` : detail;
}

/** The first `max` bytes of a response body as text (the rest is not read: a receiver cannot make the worker hold a large answer). */
async function readStart(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.byteLength;
    }
  } catch {
    // A body cut off: what arrived is enough for the message.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts).subarray(0, max).toString('utf8');
}

export async function executeAlertWebhook(o: ExecuteAlertWebhookOptions): Promise<AlertWebhookOutcome> {
  const { db, deliveryId, attempt, maxAttempts } = o;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const delivery = await db.alertWebhookDelivery.findUnique({ where: { id: deliveryId }, include: { alert: true, webhook: true } });
  if (!delivery) return 'gone';
  if (delivery.state === 'SENT') return 'already-sent';
  const lastTry = attempt >= maxAttempts;
  const record = async (r: {
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    state: 'SENT' | 'QUEUED' | 'FAILED';
    deliveryError: string | null;
  }) => {
    await db.$transaction([
      db.alertWebhookAttempt.upsert({
        where: { deliveryId_attempt: { deliveryId, attempt } },
        create: { deliveryId, attempt, statusCode: r.statusCode, error: r.error, durationMs: r.durationMs },
        update: { statusCode: r.statusCode, error: r.error, durationMs: r.durationMs, startedAt: new Date() },
      }),
      db.alertWebhookDelivery.update({
        where: { id: deliveryId },
        data: {
          state: r.state,
          attempts: attempt,
          lastStatus: r.statusCode,
          error: r.deliveryError,
          finishedAt: r.state === 'QUEUED' ? null : new Date(),
        },
      }),
    ]);
  };
  const hook = delivery.webhook;
  if (!hook.enabled) {
    const error = `The webhook for ${hook.alertType} alerts was disabled after this alert was queued: nothing was sent.`;
    await record({ statusCode: null, error, durationMs: 0, state: 'FAILED', deliveryError: error });
    return 'failed';
  }
  const body = JSON.stringify(alertWebhookBody(delivery.alert, o.baseUrl));
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'iSeg-QA-webhook/1',
    'x-iseg-event': 'monitoring.alert',
    'x-iseg-delivery': delivery.id,
    'x-iseg-timestamp': String(timestamp),
  };
  if (hook.secret) headers['x-iseg-signature'] = signWebhookBody(hook.secret, timestamp, body);
  const started = performance.now();
  let status: number | null = null;
  let failure: string | null = null;
  let retry = false;
  try {
    const res = await fetch(delivery.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    const text = (await readStart(res, 4096)).replace(/\s+/g, ' ').trim().slice(0, 200);
    if (status < 200 || status >= 300) {
      retry = RETRY_STATUS(status);
      failure =
        status >= 300 && status < 400
          ? `${delivery.url} answered ${status} (a redirect${res.headers.get('location') ? ` to ${res.headers.get('location')!.slice(0, 200)}` : ''}), which is not followed: set the final URL.`
          : `${delivery.url} answered HTTP ${status}${text ? `: ${text}` : ''}${retry ? '' : ' (the receiver refuses it: check the URL and, if it checks signatures, the secret)'}.`;
    }
  } catch (e) {
    retry = true;
    failure = `${delivery.url} could not be reached: ${describeFetchError(e, timeoutMs)}. Check that the receiver is running and reachable from the worker.`;
  }
  const durationMs = Math.round(performance.now() - started);
  if (failure === null) {
    await record({ statusCode: status, error: null, durationMs, state: 'SENT', deliveryError: null });
    return 'sent';
  }
  if (retry && !lastTry) {
    await record({
      statusCode: status,
      error: failure,
      durationMs,
      state: 'QUEUED',
      deliveryError: `Attempt ${attempt} of ${maxAttempts} failed, will retry: ${failure}`,
    });
    throw new AlertWebhookRetryError(failure);
  }
  const final = retry ? `All ${maxAttempts} attempts failed; the last: ${failure}` : failure;
  await record({ statusCode: status, error: failure, durationMs, state: 'FAILED', deliveryError: final });
  return 'failed';
}
