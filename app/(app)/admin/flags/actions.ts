'use server';
/**
 * Server action of /admin/flags: save new QA flag thresholds. The data layer authorises
 * (flags:manage), writes the new version, recomputes every run's flags and audits; Next.js checks
 * the Origin of a server action (docs/security.md). The form argument is untrusted (formText).
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { saveFlagRules } from '@/lib/server/flags/save-flag-rules';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/admin/flags?${kind}=${encodeURIComponent(message)}`);
}

export async function saveFlagRulesAction(form: unknown): Promise<void> {
  let message: string;
  try {
    const r = await saveFlagRules(db(), {
      caller: await getCaller(),
      input: {
        itvDice: formText(form, 'itvDice'),
        phaseGtvDice: formText(form, 'phaseGtvDice'),
        largeFpCc: formText(form, 'largeFpCc'),
        distantFpMm: formText(form, 'distantFpMm'),
        note: formText(form, 'note'),
        basedOnVersion: formText(form, 'basedOnVersion'),
      },
    });
    message = `Version ${r.version} saved; the flags of ${r.changedRuns} run${r.changedRuns === 1 ? '' : 's'} changed.`;
  } catch (e) {
    const failed = toActionError(e);
    back('error', failed.code === 'INTERNAL' ? 'The save failed on the server; the server log has details. Nothing was changed.' : failed.error);
  }
  back('done', message);
}
