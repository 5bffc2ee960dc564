'use server';
/** Server action of /admin/outcomes: restore an earlier outcomes version (as a new version, audited). */
import { redirect } from 'next/navigation';
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { AppError } from '@/lib/server/errors';
import { restoreOutcomeVersion } from '@/lib/server/outcomes/restore-outcome-version';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/admin/outcomes?${kind}=${encodeURIComponent(message)}`);
}

export async function restoreOutcomeVersionAction(form: FormData): Promise<void> {
  let message: string;
  try {
    const raw = form instanceof FormData ? String(form.get('versionId') ?? '') : '';
    const versionId = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    const r = await restoreOutcomeVersion(db(), { caller: await getCaller(), versionId });
    revalidatePath('/outcomes');
    const what = r.restoredFromId === 0 ? 'the outcomes as they were before the first version' : `the outcomes as version ${r.restoredFromId} left them`;
    message = `Restored ${what} as version ${r.id}: ${r.rowsAdded} added, ${r.rowsChanged} changed, ${r.rowsRemoved} removed, ${r.rowsUnchanged} unchanged${r.skippedPatients ? `; ${r.skippedPatients} patient(s) no longer exist and were skipped` : ''}.`;
  } catch (e) {
    if (e instanceof AppError) back('error', e.message);
    console.error(e);
    back('error', 'The restore failed on the server; the server log has details. Nothing was changed.');
  }
  back('done', message);
}
