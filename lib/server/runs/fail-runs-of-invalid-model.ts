/**
 * A worker whose model fails its start-up check (corrupt or replaced file, unreadable file, a
 * manifest that does not validate, tensor names that differ) cannot serve the runs queued for
 * that model. Rather than leave them QUEUED with no reason, it marks them FAILED with
 * errorCode MODEL_INVALID and the check's message, and cancels their jobs, so the jobs page says
 * what happened and a Retry (once the model is fixed) starts a fresh run.
 *
 * Runs are left alone when another live worker serves the same model name with a file that
 * passed its check: that worker will run them (a corrupt copy on one machine must not fail the
 * whole queue).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { findRunJobs } from '../jobs/find-run-jobs';
import { liveWorkerWhere } from '../jobs/live-worker';
import { recordAuditEvent } from '../audit/record-audit-event';

/** The InferenceError codes that mean the model itself is unusable (not the provider). */
export const MODEL_PROBLEM_CODES = ['MODEL_NOT_FOUND', 'INVALID_MANIFEST', 'MODEL_HASH_MISMATCH', 'MODEL_SIGNATURE_MISMATCH'] as const;

export interface FailRunsOfInvalidModelResult {
  failedRunIds: string[];
  /** Set when runs were left queued because a live worker serves the model. */
  servedBy: string | null;
}

export async function failRunsOfInvalidModel(
  db: Db,
  boss: PgBoss | null,
  { modelNames, problemCode, reason, now = new Date() }: { modelNames: string[]; problemCode: string; reason: string; now?: Date },
): Promise<FailRunsOfInvalidModelResult> {
  const healthy = await db.workerInstance.findFirst({
    where: { modelName: { in: modelNames }, ...liveWorkerWhere(now) },
    orderBy: { lastSeenAt: 'desc' },
  });
  if (healthy) return { failedRunIds: [], servedBy: healthy.id };

  const queued = await db.segmentationRun.findMany({
    where: { status: 'QUEUED', modelVersion: { name: { in: modelNames } } },
    select: { id: true, jobId: true },
  });
  const failedRunIds: string[] = [];
  for (const run of queued) {
    // Compare-and-set: a run another worker has just claimed is not touched.
    const r = await db.segmentationRun.updateMany({
      where: { id: run.id, status: 'QUEUED' },
      data: {
        status: 'FAILED',
        errorCode: 'MODEL_INVALID',
        error: `The worker's model failed its start-up check (${problemCode}): ${reason}`,
        finishedAt: now,
      },
    });
    if (r.count === 1) failedRunIds.push(run.id);
  }
  if (failedRunIds.length > 0) {
    await recordAuditEvent(db, {
      action: 'run.failed.model-invalid',
      email: 'system',
      target: `model:${modelNames[0]}`,
      details: { problemCode, runIds: failedRunIds },
    });
  }
  if (boss) {
    const jobIds = queued.filter((r) => failedRunIds.includes(r.id) && r.jobId).map((r) => r.jobId!);
    // A job left behind would be taken by the next worker with a good model and find its run
    // FAILED; cancelling keeps the queue counts true. Each is cancelled in the queue that holds
    // it (its model's, or the legacy one). Failure here changes no run state.
    const jobs = await findRunJobs(db, jobIds).catch(() => new Map());
    const byQueue = new Map<string, string[]>();
    for (const j of jobs.values()) byQueue.set(j.queue, [...(byQueue.get(j.queue) ?? []), j.id]);
    for (const [queue, ids] of byQueue) await boss.cancel(queue, ids).catch(() => undefined);
  }
  return { failedRunIds, servedBy: null };
}
