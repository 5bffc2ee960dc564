/**
 * The review meeting's queue: studies with a succeeded run, ranked by discordance.
 * Identifiers only for roles with identifiers:view, and then the view is audited.
 */
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { recordAuditEvent } from '../audit/record-audit-event';
import { loadReviewCases, type ReviewCase } from './load-review-cases';
import type { ReviewCriterion } from '@/lib/core/review/rank-review-cases';

export interface ReviewQueue {
  criterion: ReviewCriterion;
  cases: ReviewCase[];
  /** Cases before the "undecided only" filter. */
  total: number;
  undecided: number;
  identified: boolean;
}

/** @throws AppError UNAUTHORIZED / FORBIDDEN (researchers have no review:view) */
export async function findReviewQueue(
  db: Db,
  { caller, criterion, undecidedOnly = false }: { caller: Caller; criterion: ReviewCriterion; undecidedOnly?: boolean },
): Promise<ReviewQueue> {
  authorize(caller, 'review:view');
  const identified = can(caller.role, 'identifiers:view');
  const all = await loadReviewCases(db, { criterion, identified });
  const cases = undecidedOnly ? all.filter((c) => c.undecided) : all;
  if (identified && cases.length > 0) {
    await recordAuditEvent(db, {
      action: 'review.queue.viewed_identified',
      caller,
      target: 'review:queue',
      details: { criterion, undecidedOnly, patientIds: [...new Set(cases.map((c) => c.patientId))] },
    });
  }
  return { criterion, cases, total: all.length, undecided: all.filter((c) => c.undecided).length, identified };
}
