/**
 * One case for the presenter view: its key numbers, every decision so far, the run's model,
 * its phase count, and the previous / next study in the queue's order (same criterion and
 * filter as the queue the presenter came from).
 */
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { loadReviewCases, type ReviewCase } from './load-review-cases';
import { rankReviewQueueNeighbours } from './rank-review-queue';
import type { ReviewCriterion } from '@/lib/core/review/rank-review-cases';

export interface ReviewCaseDetail {
  case: ReviewCase;
  phases: number;
  previousStudyId: string | null;
  nextStudyId: string | null;
  /** 1-based position in the (filtered) queue, and its length. */
  position: number;
  queueLength: number;
  identified: boolean;
}

/** @throws AppError FORBIDDEN; NOT_FOUND when the study does not exist or has no succeeded run */
export async function getReviewCase(
  db: Db,
  { caller, studyId, criterion, undecidedOnly = false }: { caller: Caller; studyId: string; criterion: ReviewCriterion; undecidedOnly?: boolean },
): Promise<ReviewCaseDetail> {
  authorize(caller, 'review:view');
  const identified = can(caller.role, 'identifiers:view');
  // Where the study stands in the ranked queue (in SQL, rankReviewQueueNeighbours), then the case
  // itself. The current case stays in the list even when it was just decided, so next/previous work.
  const place = await rankReviewQueueNeighbours(db, { criterion, undecidedOnly, studyId });
  const current = place ? (await loadReviewCases(db, { criterion, identified, studyIds: [studyId] }))[0] : undefined;
  if (!place || !current) {
    const exists = await db.study.findUnique({ where: { id: studyId }, select: { id: true } });
    throw new AppError(
      'NOT_FOUND',
      exists
        ? `Study ${studyId} has no finished segmentation run yet, so there is nothing to review: wait for its run (or start one) and reload.`
        : `Study ${studyId} does not exist: check the link, or pick the case from the review queue.`,
    );
  }
  const phases = await db.imageSeries.count({ where: { studyId, phaseIndex: { not: null } } });
  if (identified) {
    await recordAuditEvent(db, {
      action: 'review.case.viewed_identified',
      caller,
      patientId: current.patientId,
      target: `study:${studyId}`,
      details: { fields: ['name', 'mrn', 'studyDescription'] },
    });
  }
  return {
    case: { ...current, rank: place.rank },
    phases,
    previousStudyId: place.previousStudyId,
    nextStudyId: place.nextStudyId,
    position: place.position,
    queueLength: place.queueLength,
    identified,
  };
}
