/**
 * The latest segmentation run of a study, small enough to poll every two seconds: status,
 * progress, stage, failure reason and attempts, and exactly which model produced it.
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';

export interface StudyRunStatus {
  runId: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** 0–100. */
  progress: number;
  stage: string | null;
  error: string | null;
  errorCode: string | null;
  attempts: number;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  model: { name: string; version: string; sha256: string };
}

/**
 * @returns null when the study has no run yet.
 * @throws AppError FORBIDDEN (role), NOT_FOUND (no such study).
 */
export async function getStudyRunStatus(db: Db, { caller, studyId }: { caller: Caller | null; studyId: string }): Promise<StudyRunStatus | null> {
  authorize(caller, 'studies:view');
  const run = await db.segmentationRun.findFirst({
    where: { studyId },
    orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }],
    select: {
      id: true,
      status: true,
      progress: true,
      stage: true,
      error: true,
      errorCode: true,
      attempts: true,
      queuedAt: true,
      startedAt: true,
      finishedAt: true,
      modelVersion: { select: { name: true, version: true, sha256: true } },
    },
  });
  if (!run) {
    const exists = await db.study.count({ where: { id: studyId } });
    if (!exists) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
    return null;
  }
  return {
    runId: run.id,
    status: run.status,
    progress: run.progress,
    stage: run.stage,
    error: run.error,
    errorCode: run.errorCode,
    attempts: run.attempts,
    queuedAt: run.queuedAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    model: run.modelVersion,
  };
}
