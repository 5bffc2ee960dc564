/**
 * Alert webhooks (docs/monitoring.md, "Webhooks"): which URLs an admin may set, the JSON body an
 * alert is sent as, and its HMAC signature. Pure: no I/O.
 *
 * - An alert's type is the metric of its series: `dice` (ITV Dice), `fp` (ITV false-positive
 *   volume) or `hd95` (ITV HD95). One optional webhook per type.
 * - URLs: https only, except http to the loopback host (localhost, 127.0.0.1, [::1]) for tests and
 *   a relay on the same machine; no user name or password in the URL (use the secret).
 * - Body: the alert type, chart, direction, value, the limit it crossed, the series (split and its
 *   label: an institution, scanner or model name), the study's pseudonym, the alert's time and a
 *   link to the monitoring page. No patient identifier (name, ID, birth date, study date, UIDs).
 * - Signature: `X-ISeg-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with
 *   `X-ISeg-Timestamp: <unix seconds>`, so a receiver can check both the sender and the age.
 */
import { createHmac } from 'node:crypto';

export const ALERT_TYPES = ['dice', 'fp', 'hd95'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const ALERT_TYPE_LABELS: Record<AlertType, string> = {
  dice: 'ITV Dice',
  fp: 'ITV false-positive volume (cc)',
  hd95: 'ITV HD95 (mm)',
};

export function isAlertType(v: unknown): v is AlertType {
  return typeof v === 'string' && (ALERT_TYPES as readonly string[]).includes(v);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
export const MAX_WEBHOOK_URL_LENGTH = 2000;

/**
 * The URL as it will be used (parsed and re-serialised), or an Error whose message says what is
 * wrong with it and what to check.
 */
export function checkWebhookUrl(input: string): { url: string } | { error: string } {
  const raw = input.trim();
  if (!raw) return { error: 'The webhook URL is empty: enter an https:// URL, or remove the webhook.' };
  if (raw.length > MAX_WEBHOOK_URL_LENGTH)
    return { error: `The webhook URL is ${raw.length} characters long; at most ${MAX_WEBHOOK_URL_LENGTH} are accepted.` };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { error: `The webhook URL ${JSON.stringify(raw.slice(0, 200))} is not a URL: enter a full address such as https://hooks.example.org/iseg.` };
  }
  const loopback = LOOPBACK.has(u.hostname.toLowerCase());
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    return {
      error: `The webhook URL must use https:// (plain http:// only to localhost, 127.0.0.1 or [::1]); ${JSON.stringify(raw.slice(0, 200))} uses ${u.protocol.replace(/:$/, '')}.`,
    };
  if (u.username || u.password)
    return { error: 'The webhook URL must not contain a user name or password: set a secret instead, and check the signature header at the receiver.' };
  if (u.hash) return { error: 'The webhook URL must not have a #fragment (it is never sent to the server): remove it.' };
  return { url: u.toString() };
}

/** What the admin may store as a secret: 16 to 200 printable ASCII characters, or none. */
export function checkWebhookSecret(input: string): { secret: string } | { error: string } {
  const s = input.trim();
  if (s.length < 16 || s.length > 200 || !/^[\x21-\x7e]+$/.test(s))
    return { error: `The webhook secret must be 16 to 200 printable characters without spaces (it was ${s.length} long); a random one: openssl rand -hex 32.` };
  return { secret: s };
}

/** The stored alert fields the body is built from (MonitoringAlert). */
export interface AlertForWebhook {
  id: string;
  metric: string;
  chart: string;
  direction: string;
  split: string;
  splitLabel: string;
  pseudonym: string;
  position: number;
  value: number;
  statistic: number;
  limit: number;
  baselineMean: number;
  baselineSigma: number;
  configVersion: number;
  createdAt: Date;
}

export interface AlertWebhookBody {
  event: 'monitoring.alert';
  alertId: string;
  alertType: string;
  alertTypeLabel: string;
  chart: string;
  direction: string;
  series: { split: string; label: string };
  studyPseudonym: string;
  position: number;
  value: number;
  statistic: number;
  limit: number;
  baseline: { mean: number; sigma: number };
  configVersion: number;
  time: string;
  link: string;
}

/** The JSON body of an alert (see the file comment); `baseUrl` null: the link is the path alone. */
export function alertWebhookBody(a: AlertForWebhook, baseUrl: string | null): AlertWebhookBody {
  const path = `/monitoring#alert-${encodeURIComponent(a.id)}`;
  return {
    event: 'monitoring.alert',
    alertId: a.id,
    alertType: a.metric,
    alertTypeLabel: isAlertType(a.metric) ? ALERT_TYPE_LABELS[a.metric] : a.metric,
    chart: a.chart,
    direction: a.direction,
    series: { split: a.split, label: a.splitLabel },
    studyPseudonym: a.pseudonym,
    position: a.position,
    value: a.value,
    statistic: a.statistic,
    limit: a.limit,
    baseline: { mean: a.baselineMean, sigma: a.baselineSigma },
    configVersion: a.configVersion,
    time: a.createdAt.toISOString(),
    link: baseUrl ? `${baseUrl.replace(/\/+$/, '')}${path}` : path,
  };
}

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"). */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
