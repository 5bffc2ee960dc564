/**
 * The first stage of executing a run: check it may run here, then claim it with a
 * compare-and-set on its row (only a queued, running — its worker crashed — or failed-but-
 * retrying run is claimed). A run that is finished, cancelled or claimed by another worker
 * meanwhile is not executed; its outcome says why.
 */
import type { Db } from '../db/client';
import type { SegmentationRun } from '../db/generated/client';
import { RunError } from './run-error';

export type ClaimSegmentationRunResult = { claimed: SegmentationRun } | { outcome: 'already-finished' | 'cancelled' };

export async function claimSegmentationRun(o: {
  db: Db;
  runId: string;
  attempt: number;
  workerId?: string;
  /** Refuse (RunError MODEL_MISMATCH) a run of any other model version. */
  expectedModel?: { name: string; sha256: string };
}): Promise<ClaimSegmentationRunResult> {
  const { db, runId } = o;
  const run = await db.segmentationRun.findUnique({ where: { id: runId } });
  if (!run) throw new RunError('RUN_NOT_FOUND', `Segmentation run ${runId} does not exist (deleted?).`);
  if (run.status === 'SUCCEEDED') return { outcome: 'already-finished' };
  if (run.status === 'CANCELLED') return { outcome: 'cancelled' };
  if (o.expectedModel) {
    const mv = await db.modelVersion.findUniqueOrThrow({ where: { id: run.modelVersionId } });
    if (mv.sha256 !== o.expectedModel.sha256 || mv.name !== o.expectedModel.name) {
      throw new RunError(
        'MODEL_MISMATCH',
        `Run ${runId} is for model ${mv.name} ${mv.version} (sha256 ${mv.sha256}) but this worker serves ${o.expectedModel.name} (sha256 ${o.expectedModel.sha256}): refused, not executed.`,
      );
    }
  }
  const claimed = await db.segmentationRun.updateMany({
    where: { id: runId, status: { in: ['QUEUED', 'RUNNING', 'FAILED'] } },
    data: {
      status: 'RUNNING',
      startedAt: run.startedAt ?? new Date(),
      heartbeatAt: new Date(),
      attempts: o.attempt,
      error: null,
      errorCode: null,
      workerId: o.workerId ?? null,
    },
  });
  if (claimed.count === 0) return { outcome: 'already-finished' };
  return { claimed: run };
}
