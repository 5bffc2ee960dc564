/**
 * Records one review decision for a study's current (latest succeeded) run, by the signed-in
 * reviewer, with an audit event in the same transaction: both rows or neither.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { RecordReviewDecisionInput, type ReviewDecisionKind } from './review.types';

export interface RecordedReviewDecision {
  id: string;
  studyId: string;
  runId: string;
  decision: ReviewDecisionKind;
  comment: string | null;
  meeting: string;
  createdAt: Date;
}

/**
 * @throws AppError FORBIDDEN (roles without review:decide), INVALID_INPUT (unknown decision,
 *   comment over 2000 characters, bad meeting name; the message names each field),
 *   NOT_FOUND (no such study), CONFLICT (the study has no finished run to decide on)
 */
export async function recordReviewDecision(db: Db, { caller, input }: { caller: Caller; input: unknown }): Promise<RecordedReviewDecision> {
  authorize(caller, 'review:decide');
  const parsed = RecordReviewDecisionInput.safeParse(input);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', `The decision was not recorded: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const { studyId, decision, comment, meeting } = parsed.data;
  const study = await db.study.findUnique({ where: { id: studyId }, select: { id: true, patientId: true } });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist: the decision was not recorded. Pick the case from the review queue.`);
  const run = await db.segmentationRun.findFirst({
    where: { studyId, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: { sort: 'desc', nulls: 'last' } }, { queuedAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  });
  if (!run) {
    throw new AppError(
      'CONFLICT',
      `Study ${studyId} has no finished segmentation run, so there is no machine contour to decide on: the decision was not recorded.`,
    );
  }
  return db.$transaction(async (tx) => {
    const row = await tx.reviewDecision.create({
      data: { studyId, runId: run.id, reviewerId: caller.userId, decision, comment, meeting },
    });
    await tx.auditEvent.create({
      data: {
        action: 'review.decision.recorded',
        userId: caller.userId,
        userEmail: caller.email,
        role: caller.role,
        patientId: study.patientId,
        target: `study:${studyId}`,
        ip: caller.ip ?? null,
        userAgent: caller.userAgent ?? null,
        details: { decisionId: row.id, runId: run.id, decision, meeting },
      },
    });
    return { id: row.id, studyId, runId: run.id, decision, comment, meeting, createdAt: row.createdAt };
  });
}
