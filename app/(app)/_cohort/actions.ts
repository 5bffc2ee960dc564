'use server';
/**
 * Asks a worker to compute the summaries of runs that succeeded before summaries were stored.
 * The cohort page is open to every role that views the cohort; this action needs jobs:enqueue,
 * checked in the data layer against the role as it is now. A refusal (or the database or queue
 * being down) comes back as a result the button shows, never as a thrown error (which Next turns
 * into a 500 and an error page).
 */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { toActionError, type ActionError } from '@/lib/server/errors';
import { requestCohortSummary } from '@/lib/server/cohort/request-cohort-summary';
import { webBoss } from '@/lib/server/jobs/web-boss';

export type SummaryRequestState = { ok: true; message: string } | ActionError | null;

export async function requestMissingSummaries(_prev: SummaryRequestState, _form?: FormData): Promise<SummaryRequestState> {
  const caller = await requireCaller();
  let jobId: string | null;
  try {
    ({ jobId } = await requestCohortSummary(db(), await webBoss(), { caller }));
  } catch (e) {
    return toActionError(e);
  }
  revalidatePath('/');
  return { ok: true, message: jobId ? 'Requested: a worker computes the missing summaries; reload the page in a minute.' : 'Already requested: a worker is computing them.' };
}
