'use server';
/** Server actions of the outcomes page: preview and import an outcomes CSV (sent as text). */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { AppError } from '@/lib/server/errors';
import { importOutcomes, type OutcomesImportReport } from '@/lib/server/outcomes/import-outcomes';

export type UploadResult = { ok: true; report: OutcomesImportReport } | { ok: false; error: string };

async function run(csvText: string, fileName: string, mode: 'preview' | 'import'): Promise<UploadResult> {
  const caller = await requireCaller();
  try {
    const report = await importOutcomes(db(), { caller, csvText: String(csvText), fileName: String(fileName).slice(0, 200), mode });
    if (report.imported !== null) revalidatePath('/outcomes');
    return { ok: true, report };
  } catch (e) {
    if (e instanceof AppError) return { ok: false, error: e.message };
    console.error(e);
    return { ok: false, error: 'The import failed on the server; the server log has details. Nothing was written.' };
  }
}

export async function previewOutcomesCsv(csvText: string, fileName: string): Promise<UploadResult> {
  return run(csvText, fileName, 'preview');
}

export async function importOutcomesCsv(csvText: string, fileName: string): Promise<UploadResult> {
  return run(csvText, fileName, 'import');
}
