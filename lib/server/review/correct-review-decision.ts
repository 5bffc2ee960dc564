/**
 * Corrects a review decision: a new decision row that supersedes the mistaken one, with the
 * reason, by the signed-in reviewer, with an audit event in the same transaction. Both rows are
 * kept (the app role may only insert into and read `ReviewDecision`); the correction keeps the
 * original's study, run and meeting. A decision is corrected at most once (a unique index on
 * `supersedesId`): to change it again, correct the correction.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { CorrectReviewDecisionInput, REVIEW_DECISION_LABELS, type ReviewDecisionKind } from './review.types';

export interface CorrectedReviewDecision {
  id: string;
  supersedesId: string;
  studyId: string;
  runId: string | null;
  decision: ReviewDecisionKind;
  previousDecision: ReviewDecisionKind;
  comment: string | null;
  correctionReason: string;
  meeting: string | null;
  createdAt: Date;
}

/**
 * @throws AppError FORBIDDEN (roles without review:decide), INVALID_INPUT (unknown decision,
 *   missing reason, comment or reason over 2000 characters; the message names each field),
 *   NOT_FOUND (no such decision), CONFLICT (the decision was already corrected)
 */
export async function correctReviewDecision(db: Db, { caller, input }: { caller: Caller; input: unknown }): Promise<CorrectedReviewDecision> {
  authorize(caller, 'review:decide');
  const parsed = CorrectReviewDecisionInput.safeParse(input);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', `The correction was not recorded: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const { decisionId, decision, comment, reason } = parsed.data;
  const original = await db.reviewDecision.findUnique({
    where: { id: decisionId },
    select: {
      id: true,
      studyId: true,
      runId: true,
      decision: true,
      meeting: true,
      study: { select: { patientId: true } },
      supersededBy: { select: { id: true, decision: true } },
    },
  });
  if (!original)
    throw new AppError(
      'NOT_FOUND',
      `Decision ${decisionId} does not exist: the correction was not recorded. Open the case from the review queue and correct its current decision.`,
    );
  const alreadyCorrected = (by: { decision: ReviewDecisionKind }) =>
    new AppError(
      'CONFLICT',
      `This decision was already corrected (to “${REVIEW_DECISION_LABELS[by.decision]}”): the correction was not recorded. Reload the case and correct the current decision instead.`,
    );
  if (original.supersededBy) throw alreadyCorrected(original.supersededBy);
  try {
    return await db.$transaction(async (tx) => {
      const row = await tx.reviewDecision.create({
        data: {
          studyId: original.studyId,
          runId: original.runId,
          reviewerId: caller.userId,
          decision,
          comment,
          meeting: original.meeting,
          supersedesId: original.id,
          correctionReason: reason,
        },
      });
      await tx.auditEvent.create({
        data: {
          action: 'review.decision.corrected',
          userId: caller.userId,
          userEmail: caller.email,
          role: caller.role,
          patientId: original.study.patientId,
          target: `study:${original.studyId}`,
          ip: caller.ip ?? null,
          userAgent: caller.userAgent ?? null,
          details: { decisionId: row.id, supersedesId: original.id, runId: original.runId, from: original.decision, to: decision, meeting: original.meeting },
        },
      });
      return {
        id: row.id,
        supersedesId: original.id,
        studyId: original.studyId,
        runId: original.runId,
        decision,
        previousDecision: original.decision,
        comment,
        correctionReason: reason,
        meeting: original.meeting,
        createdAt: row.createdAt,
      };
    });
  } catch (e) {
    // Two corrections of one decision at once: the unique index lets one through.
    if ((e as { code?: string }).code === 'P2002') {
      const by = await db.reviewDecision.findUnique({ where: { supersedesId: original.id }, select: { decision: true } });
      throw alreadyCorrected(by ?? { decision });
    }
    throw e;
  }
}
