'use server';
/**
 * Server action of the study page's "Dose" section: a physicist enters the prescription of a
 * plan that states none (lib/server/dose/enter-prescription.ts authorises, audits and recomputes
 * the dose metrics). The form argument is untrusted (formText); Next.js checks the Origin.
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { codeVersion } from '@/lib/server/code-version';
import { volumeStore } from '@/lib/server/storage/volume-store';
import { enterPrescription } from '@/lib/server/dose/enter-prescription';

function back(studyId: string, kind: 'doseDone' | 'doseError', message: string): never {
  redirect(`/studies/${encodeURIComponent(studyId)}?${kind}=${encodeURIComponent(message)}#dose`);
}

/** A number field: '' → null (not given); anything else Number() of it (NaN for junk, which the operation refuses with its message). */
function numberField(form: unknown, name: string): number | null {
  const v = formText(form, name)?.trim().slice(0, 32) ?? '';
  return v === '' ? null : Number(v.replace(',', '.'));
}

export async function enterPrescriptionAction(form: FormData): Promise<void> {
  const studyId = (formText(form, 'studyId') ?? '').slice(0, 64);
  let message: string;
  try {
    const gy = numberField(form, 'prescriptionGy');
    const r = await enterPrescription({
      db: db(),
      store: volumeStore(),
      caller: await getCaller(),
      studyId,
      prescriptionGy: gy ?? Number.NaN,
      fractions: numberField(form, 'fractions'),
      codeVersion: codeVersion(),
    });
    message = `Prescription ${r.prescriptionGy} Gy${r.fractions ? ` in ${r.fractions} fractions` : ''} saved; ${r.recomputedRows} dose metric row(s) recomputed.`;
  } catch (e) {
    const failed = toActionError(e);
    back(studyId, 'doseError', failed.code === 'INTERNAL' ? 'The request failed on the server; the server log has details.' : failed.error);
  }
  back(studyId, 'doseDone', message);
}
