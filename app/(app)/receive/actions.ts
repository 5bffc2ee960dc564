'use server';
/**
 * Server actions of /receive: "import now" for a received study, and the admin's allow-list of
 * calling AE titles. The data layer authorises (studies:import, dicom-receive:manage-aes) and
 * audits; the page shows the outcome from the URL.
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { requestDicomStudyImport } from '@/lib/server/dicom-receive/request-dicom-study-import';
import { setDicomAllowedAe } from '@/lib/server/dicom-receive/set-dicom-allowed-ae';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/receive?${kind}=${encodeURIComponent(message)}`);
}

async function attempt(run: () => Promise<string>): Promise<never> {
  let message: string;
  try {
    message = await run();
  } catch (e) {
    const failed = toActionError(e);
    back('error', failed.code === 'INTERNAL' ? 'The change failed on the server; the server log has details. Nothing was changed.' : failed.error);
  }
  back('done', message);
}

export async function importNowAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const id = formText(form, 'receivedStudyId') ?? '';
    await requestDicomStudyImport(db(), { caller: await getCaller(), receivedStudyId: id });
    return `Import of received study ${id} requested: the DICOM node imports it within a few seconds.`;
  });
}

export async function allowAeAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const aeTitle = formText(form, 'aeTitle') ?? '';
    await setDicomAllowedAe(db(), { caller: await getCaller(), aeTitle, allowed: true, note: formText(form, 'note') ?? undefined });
    return `Calling AE title ${aeTitle.trim()} is allowed from the next association.`;
  });
}

export async function removeAeAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const aeTitle = formText(form, 'aeTitle') ?? '';
    await setDicomAllowedAe(db(), { caller: await getCaller(), aeTitle, allowed: false });
    return `Calling AE title ${aeTitle.trim()} removed from the allow-list; its next association is rejected.`;
  });
}
