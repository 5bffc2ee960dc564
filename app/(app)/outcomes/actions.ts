'use server';
/**
 * Server actions of the outcomes page: preview and import an outcomes CSV, sent as the file in
 * multipart form data (field `file`), so the action's body is the file plus a fixed envelope and
 * the one limit of lib/server/outcomes/outcomes-csv-limit.ts holds for form, body and server.
 */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { AppError, toActionError } from '@/lib/server/errors';
import { checkOutcomesCsvSize, importOutcomes, type OutcomesImportReport } from '@/lib/server/outcomes/import-outcomes';

export type UploadResult = { ok: true; report: OutcomesImportReport } | { ok: false; error: string };

async function run(form: FormData, mode: 'preview' | 'import'): Promise<UploadResult> {
  const caller = await requireCaller();
  try {
    const file = form instanceof FormData ? form.get('file') : null;
    if (!(file instanceof File)) throw new AppError('INVALID_INPUT', 'No outcomes CSV was sent: choose a file (form field "file").');
    const fileName = (file.name || 'outcomes.csv').slice(0, 200);
    // The size first, before reading the file.
    checkOutcomesCsvSize(fileName, file.size);
    const report = await importOutcomes(db(), { caller, csvBytes: new Uint8Array(await file.arrayBuffer()), fileName, mode });
    if (report.imported !== null) revalidatePath('/outcomes');
    return { ok: true, report };
  } catch (e) {
    const failed = toActionError(e);
    return failed.code === 'INTERNAL' ? { ...failed, error: 'The import failed on the server; the server log has details. Nothing was written.' } : failed;
  }
}

export async function previewOutcomesCsv(form: FormData): Promise<UploadResult> {
  return run(form, 'preview');
}

export async function importOutcomesCsv(form: FormData): Promise<UploadResult> {
  return run(form, 'import');
}
