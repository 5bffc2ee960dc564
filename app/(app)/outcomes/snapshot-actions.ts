'use server';
/**
 * Server action of the outcomes page: freeze the analysis on screen as a snapshot
 * (lib/server/snapshots/create-analysis-snapshot.ts). The analysis travels as the page's own
 * search parameters, so the snapshot is exactly what the page showed.
 */
import { z } from 'zod';
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { AppError, toActionError } from '@/lib/server/errors';
import { analysisInputFromParams } from '@/lib/server/outcomes/run-outcome-analysis.types';
import { createAnalysisSnapshot } from '@/lib/server/snapshots/create-analysis-snapshot';

export type FreezeResult = { ok: true; id: string; created: boolean } | { ok: false; error: string };

const Input = z.object({ title: z.string().max(1000), params: z.string().max(10_000) });

export async function freezeAnalysisSnapshot(input: { title: string; params: string }): Promise<FreezeResult> {
  const caller = await requireCaller();
  try {
    const parsed = Input.safeParse(input);
    if (!parsed.success) throw new AppError('INVALID_INPUT', 'Freezing needs { title, params }: the title and the analysis’s search parameters.');
    const request = analysisInputFromParams(new URLSearchParams(parsed.data.params));
    const out = await createAnalysisSnapshot(db(), { caller, request, title: parsed.data.title });
    revalidatePath('/outcomes/snapshots');
    return { ok: true, id: out.id, created: out.created };
  } catch (e) {
    const failed = toActionError(e);
    return failed.code === 'INTERNAL' ? { ...failed, error: 'Freezing failed on the server; the server log has details. Nothing was stored.' } : failed;
  }
}
