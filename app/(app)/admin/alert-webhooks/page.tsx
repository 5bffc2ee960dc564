/**
 * /admin/alert-webhooks: an optional webhook per drift-alert type (ITV Dice, FP volume, HD95): the
 * URL (https; http only to localhost) and a secret for the HMAC signature header, and the latest
 * deliveries with every attempt (HTTP status, error, duration). Permission alert-webhooks:manage
 * (admins); every change audited. docs/monitoring.md, "Webhooks".
 */
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { findAlertWebhooks, type AlertWebhookView } from '@/lib/server/monitoring/find-alert-webhooks';
import { saveAlertWebhookAction } from './actions';
import { PendingButton } from '@/components/pending-button';

export const dynamic = 'force-dynamic';

const when = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');

function WebhookForm({ w }: { w: AlertWebhookView }) {
  return (
    <form action={saveAlertWebhookAction} className="inline-form" data-testid={`webhook-form-${w.alertType}`}>
      <input type="hidden" name="alertType" value={w.alertType} />
      <strong>{w.label}</strong>
      <input
        name="url"
        type="url"
        defaultValue={w.url ?? ''}
        placeholder="https://hooks.example.org/iseg"
        aria-label={`Webhook URL for ${w.label}`}
        maxLength={2000}
        size={40}
      />
      <input
        name="secret"
        type="password"
        autoComplete="new-password"
        placeholder={w.hasSecret ? 'Secret set (blank: keep it)' : 'Secret (optional, ≥ 16 characters)'}
        aria-label={`Signing secret for ${w.label}`}
        maxLength={200}
      />
      {w.hasSecret ? (
        <label>
          <input type="checkbox" name="clearSecret" /> remove the secret
        </label>
      ) : null}
      <label>
        <input type="checkbox" name="enabled" defaultChecked={w.url ? w.enabled : true} /> enabled
      </label>
      <PendingButton pendingLabel="Saving…">Save</PendingButton>
      {w.url ? (
        <button type="submit" name="intent" value="remove" className="secondary">
          Remove
        </button>
      ) : null}
      {w.updatedAt ? (
        <span className="muted">
          {' '}
          changed {when(w.updatedAt)} by {w.updatedByEmail ?? '—'}
        </span>
      ) : null}
    </form>
  );
}

export default async function AlertWebhooksPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'alert-webhooks:manage')) {
    return (
      <>
        <h1>Alert webhooks</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not manage alert webhooks.</p>
        </div>
      </>
    );
  }
  const sp = await searchParams;
  const done = typeof sp.done === 'string' ? sp.done : null;
  const error = typeof sp.error === 'string' ? sp.error : null;
  const { webhooks, deliveries } = await findAlertWebhooks(db(), { caller });
  return (
    <>
      <h1>Alert webhooks</h1>
      <p className="muted">
        When a drift alert is raised (the monitoring page), it is POSTed as JSON to the webhook of its type: alert type, chart, direction, value and limit, the
        series, the study&apos;s pseudonym, the time and a link, never a patient identifier. With a secret, the request carries X-ISeg-Timestamp and
        X-ISeg-Signature (sha256=HMAC-SHA256 of &quot;timestamp.body&quot;). A failed try is retried four times with backoff; every try is listed below.
      </p>
      {done ? (
        <p className="notice" role="status" data-testid="webhooks-done">
          {done}
        </p>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="webhooks-error">
          {error}
        </p>
      ) : null}
      <div className="card" data-testid="webhooks">
        {webhooks.map((w) => (
          <WebhookForm key={w.alertType} w={w} />
        ))}
      </div>
      <div className="card" data-testid="webhook-deliveries">
        <h2>Latest deliveries</h2>
        {deliveries.length === 0 ? (
          <p className="muted">No alert has been sent to a webhook yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Queued</th>
                <th>Alert</th>
                <th>Study</th>
                <th>URL</th>
                <th>State</th>
                <th>Attempts (HTTP status, duration, error)</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id} data-testid="webhook-delivery">
                  <td>{when(d.queuedAt)}</td>
                  <td>
                    {d.alertType} · {d.chart}
                  </td>
                  <td>{d.pseudonym}</td>
                  <td style={{ wordBreak: 'break-all' }}>{d.url}</td>
                  <td>
                    {d.state}
                    {d.error ? <div className="muted">{d.error}</div> : null}
                  </td>
                  <td>
                    <ol>
                      {d.tries.map((t) => (
                        <li key={t.attempt}>
                          {t.statusCode ?? 'no answer'}, {t.durationMs} ms{t.error ? ` — ${t.error}` : ''}
                        </li>
                      ))}
                    </ol>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
