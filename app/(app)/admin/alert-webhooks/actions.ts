'use server';
/**
 * Server action of /admin/alert-webhooks: set, change or remove the webhook of one alert type. The
 * data layer authorises (alert-webhooks:manage), checks the URL and secret and audits; Next.js
 * checks the request's Origin for server actions (docs/security.md, "Cross-site requests").
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { saveAlertWebhook } from '@/lib/server/monitoring/save-alert-webhook';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/admin/alert-webhooks?${kind}=${encodeURIComponent(message)}`);
}

export async function saveAlertWebhookAction(form: FormData): Promise<void> {
  let message: string;
  try {
    const alertType = (formText(form, 'alertType') ?? '').slice(0, 40);
    const remove = formText(form, 'intent') === 'remove';
    const saved = await saveAlertWebhook(db(), {
      caller: await getCaller(),
      input: {
        alertType,
        remove,
        url: (formText(form, 'url') ?? '').slice(0, 2100),
        secret: (formText(form, 'secret') ?? '').slice(0, 300),
        clearSecret: formText(form, 'clearSecret') === 'on',
        enabled: formText(form, 'enabled') === 'on',
      },
    });
    message = saved.removed
      ? `Removed the webhook for ${alertType} alerts.`
      : `Saved the webhook for ${alertType} alerts: ${saved.url}${saved.enabled ? '' : ' (disabled)'}${saved.hasSecret ? ', signed' : ', unsigned (no secret)'}.`;
  } catch (e) {
    const failed = toActionError(e);
    back('error', failed.code === 'INTERNAL' ? 'The change failed on the server; the server log has details. Nothing was changed.' : failed.error);
  }
  back('done', message);
}
