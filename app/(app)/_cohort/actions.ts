'use server';
/** Asks a worker to compute the summaries of runs that succeeded before summaries were stored. */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { requestCohortSummary } from '@/lib/server/cohort/request-cohort-summary';
import { webBoss } from '@/lib/server/jobs/web-boss';

export async function requestMissingSummaries(): Promise<void> {
  const caller = await requireCaller();
  await requestCohortSummary(db(), await webBoss(), { caller });
  revalidatePath('/');
}
