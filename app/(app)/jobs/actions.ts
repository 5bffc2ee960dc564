'use server';
/** Server actions of the jobs page: cancel or retry a segmentation run (the data layer authorises and audits). */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { webBoss } from '@/lib/server/jobs/web-boss';
import { cancelSegmentationRun } from '@/lib/server/runs/cancel-segmentation-run';
import { retrySegmentationRun } from '@/lib/server/runs/retry-segmentation-run';

export type RunActionResult = { ok: true; message: string } | { ok: false; error: string };

async function guarded(fn: () => Promise<string>): Promise<RunActionResult> {
  try {
    const message = await fn();
    revalidatePath('/jobs');
    return { ok: true, message };
  } catch (e) {
    return toActionError(e);
  }
}

export async function cancelRun(runId: string): Promise<RunActionResult> {
  const caller = await requireCaller();
  return guarded(async () => {
    const r = await cancelSegmentationRun(db(), await webBoss(), { caller, runId: String(runId).slice(0, 64) });
    if (r.previousStatus !== 'RUNNING') return 'Cancelled before it started.';
    return r.runningOn
      ? `Cancelled: worker ${r.runningOn.host} (pid ${r.runningOn.pid}) stops at its next patch.`
      : 'Cancelled. No live worker was running it, so nothing needed stopping.';
  });
}

export async function retryRun(runId: string): Promise<RunActionResult> {
  const caller = await requireCaller();
  return guarded(async () => {
    const r = await retrySegmentationRun(db(), await webBoss(), { caller, runId: String(runId).slice(0, 64) });
    return r.reused ? 'A run of this study and model is already queued or running; no second one was started.' : 'Queued a fresh run.';
  });
}
