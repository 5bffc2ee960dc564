'use server';
/**
 * Server actions of /monitoring: acknowledge a drift alert with a comment, save the monitoring
 * configuration. The data layer authorises (monitoring:manage), writes and audits; Next.js
 * checks the Origin of a server action (docs/security.md). The form argument is untrusted (formText).
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { acknowledgeMonitoringAlert } from '@/lib/server/monitoring/acknowledge-monitoring-alert';
import { saveMonitoringConfig } from '@/lib/server/monitoring/save-monitoring-config';

function back(kind: 'alertDone' | 'alertError', message: string): never {
  redirect(`/monitoring?${kind}=${encodeURIComponent(message)}#alerts`);
}

function failed(e: unknown, what: string): string {
  const f = toActionError(e);
  return f.code === 'INTERNAL' ? `${what} failed on the server; the server log has details. Nothing was changed.` : f.error;
}

export async function acknowledgeAlertAction(form: unknown): Promise<void> {
  let message: string;
  try {
    await acknowledgeMonitoringAlert(db(), { caller: await getCaller(), alertId: formText(form, 'alertId'), comment: formText(form, 'comment') });
    message = 'Alert acknowledged.';
  } catch (e) {
    back('alertError', failed(e, 'Acknowledging'));
  }
  back('alertDone', message);
}

export async function saveMonitoringConfigAction(form: unknown): Promise<void> {
  let message: string;
  const t = (k: string) => formText(form, k);
  const list = (k: string) => (form instanceof FormData ? form.getAll(k).filter((v): v is string => typeof v === 'string') : []);
  try {
    const r = await saveMonitoringConfig(db(), {
      caller: await getCaller(),
      input: {
        metrics: list('metrics'),
        splits: list('splits'),
        baselineN: t('baselineN'),
        shewhart: { enabled: t('shewhartEnabled') === 'on', L: t('shewhartL') },
        ewma: { enabled: t('ewmaEnabled') === 'on', lambda: t('ewmaLambda'), L: t('ewmaL') },
        cusum: { enabled: t('cusumEnabled') === 'on', k: t('cusumK'), h: t('cusumH') },
      },
      note: t('note'),
      basedOnVersion: t('basedOnVersion'),
    });
    message = `Monitoring configuration version ${r.version} saved and evaluated: ${r.newAlerts} new alert${r.newAlerts === 1 ? '' : 's'}.`;
  } catch (e) {
    back('alertError', failed(e, 'Saving the configuration'));
  }
  back('alertDone', message);
}
