/**
 * Queues a segmentation run for a study: the run row and its job are written in one
 * transaction, so a run exists if and only if a worker will pick it up. The job goes to the
 * queue of the run's model version (`segmentation.run/<name>/<sha256>`, created on first use),
 * which only workers serving exactly that model take. The job's singleton key (study + model
 * version) keeps two workers from running the same pair at once.
 *
 * With `tx`, the run and its job are written in the caller's transaction instead (the importer's,
 * import-study-and-queue.ts, so a study and its run commit together or not at all).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import type { Prisma } from '../db/generated/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { segmentationQueueFor } from '../jobs/queues';
import { SEGMENTATION_RUN_JOB } from '../jobs/job-definitions';
import { sendJobInTransaction } from '../jobs/send-job';
import { registerModelVersion } from './register-model-version';

export type { SegmentationJobData } from '../jobs/job-definitions';

/**
 * Job priorities (pg-boss takes higher first): a study a user just uploaded, or a retry, goes
 * ahead of bulk work (the demo seed, a directory import, "segment all"), so it does not wait
 * behind a backfill of thousands.
 */
export const RUN_PRIORITY = { bulk: 0, interactive: 10 } as const;

export async function createSegmentationRun(
  db: Db,
  boss: PgBoss,
  {
    caller,
    studyId,
    modelDir,
    priority = RUN_PRIORITY.bulk,
    tx: outer,
  }: {
    caller: Caller | 'system';
    studyId: string;
    modelDir: string;
    priority?: number;
    /** Write inside this transaction (the caller commits it) rather than in one of its own. */
    tx?: Prisma.TransactionClient;
  },
): Promise<{ runId: string; jobId: string | null; modelVersionId: string; created: boolean }> {
  if (caller !== 'system') authorize(caller, 'jobs:enqueue');
  // Inside the caller's transaction: the study may be one it has just written, not yet committed.
  const study = await (outer ?? db).study.findUnique({ where: { id: studyId }, select: { id: true, patientId: true } });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist.`);
  const model = await registerModelVersion(db, { modelDir });
  const queue = segmentationQueueFor(model);
  const write = async (tx: Prisma.TransactionClient) => {
    // Serialise concurrent requests for one study + model (two clicks, two importers): the
    // second waits here, then finds the first one's run.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`segmentation:${studyId}:${model.id}`}, 0))`;
    const active = await tx.segmentationRun.findFirst({
      where: { studyId, modelVersionId: model.id, status: { in: ['QUEUED', 'RUNNING'] } },
    });
    if (active) return { runId: active.id, jobId: active.jobId, modelVersionId: model.id, created: false };
    const run = await tx.segmentationRun.create({ data: { studyId, modelVersionId: model.id, status: 'QUEUED' } });
    const jobId = await sendJobInTransaction(
      boss,
      tx,
      SEGMENTATION_RUN_JOB,
      { runId: run.id },
      { queue, options: { singletonKey: `${studyId}:${model.id}`, priority } },
    );
    await tx.segmentationRun.update({ where: { id: run.id }, data: { jobId } });
    await tx.auditEvent.create({
      data: {
        action: 'run.created',
        userId: caller === 'system' ? null : caller.userId,
        userEmail: caller === 'system' ? 'system' : caller.email,
        role: caller === 'system' ? null : caller.role,
        patientId: study.patientId,
        target: `run:${run.id}`,
        details: { studyId, model: `${model.name} ${model.version}`, sha256: model.sha256, jobId, queue },
      },
    });
    return { runId: run.id, jobId, modelVersionId: model.id, created: true };
  };
  return outer ? write(outer) : db.$transaction(write);
}
