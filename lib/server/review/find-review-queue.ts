/**
 * The review meeting's queue: studies with a succeeded run, ranked by discordance.
 * Identifiers only for roles with identifiers:view, and then the view is audited.
 */
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { recordAuditEvent } from '../audit/record-audit-event';
import { loadReviewCases, type ReviewCase } from './load-review-cases';
import { rankReviewQueuePage } from './rank-review-queue';
import type { ReviewCriterion } from '@/lib/core/review/rank-review-cases';

/** Cases per page of the queue when a page is asked for. */
export const REVIEW_QUEUE_PER_PAGE = 100;

export interface ReviewQueue {
  criterion: ReviewCriterion;
  /** The requested page of the ranked (and filtered) queue, or all of it when no page was asked for. */
  cases: ReviewCase[];
  /** The page shown (1 without paging) and how many there are. */
  page: number;
  pageCount: number;
  /** Cases after the "undecided only" filter (all pages). */
  listed: number;
  /** Cases before the "undecided only" filter. */
  total: number;
  undecided: number;
  identified: boolean;
}

/** @throws AppError UNAUTHORIZED / FORBIDDEN (researchers have no review:view) */
export async function findReviewQueue(
  db: Db,
  {
    caller,
    criterion,
    undecidedOnly = false,
    page,
  }: {
    caller: Caller;
    criterion: ReviewCriterion;
    undecidedOnly?: boolean;
    /** 1-based page of REVIEW_QUEUE_PER_PAGE cases (past the end: the last); absent: the whole queue. */
    page?: number;
  },
): Promise<ReviewQueue> {
  authorize(caller, 'review:view');
  const identified = can(caller.role, 'identifiers:view');
  let total: number;
  let undecided: number;
  let listedCount: number;
  let cases: ReviewCase[];
  let pageNumber = 1;
  let pageCount = 1;
  if (page === undefined) {
    const everything = await loadReviewCases(db, { criterion, identified });
    total = everything.length;
    undecided = everything.filter((c) => c.undecided).length;
    cases = undecidedOnly ? everything.filter((c) => c.undecided) : everything;
    listedCount = cases.length;
  } else {
    // One page: PostgreSQL ranks every study on its kept latest-run numbers and returns this
    // page's studies and the counts (rankReviewQueuePage); the shown cases are then read in full
    // (decisions, phases for the flags' wording).
    const ranked = await rankReviewQueuePage(db, { criterion, undecidedOnly, page, perPage: REVIEW_QUEUE_PER_PAGE });
    const full = new Map((await loadReviewCases(db, { criterion, identified, studyIds: ranked.studies.map((c) => c.studyId) })).map((c) => [c.studyId, c]));
    // A study whose latest succeeded run changed in between is shown as loadReviewCases read it.
    cases = ranked.studies.flatMap((r) => {
      const c = full.get(r.studyId);
      return c ? [{ ...c, rank: r.rank }] : [];
    });
    pageNumber = ranked.page;
    pageCount = ranked.pageCount;
    listedCount = ranked.listed;
    total = ranked.total;
    undecided = ranked.undecided;
  }
  // Identifiers are shown (and audited) for the cases on the page only.
  if (identified && cases.length > 0) {
    await recordAuditEvent(db, {
      action: 'review.queue.viewed_identified',
      caller,
      target: 'review:queue',
      details: { criterion, undecidedOnly, ...(page === undefined ? {} : { page: pageNumber }), patientIds: [...new Set(cases.map((c) => c.patientId))] },
    });
  }
  return {
    criterion,
    cases,
    page: pageNumber,
    pageCount,
    listed: listedCount,
    total,
    undecided,
    identified,
  };
}
