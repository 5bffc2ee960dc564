/** The review pages' search parameters: ranking criterion, "undecided only", meeting. */
import { parseReviewCriterion, type ReviewCriterion } from '@/lib/core/review/rank-review-cases';
import { meetingFromParam } from '@/lib/server/review/review.types';

export type SearchParams = Record<string, string | string[] | undefined>;

export interface ReviewParams {
  criterion: ReviewCriterion;
  undecidedOnly: boolean;
  meeting: string;
  /** 1-based page of the queue. */
  page: number;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function parseReviewParams(sp: SearchParams): ReviewParams {
  return {
    criterion: parseReviewCriterion(first(sp.sort)),
    undecidedOnly: first(sp.undecided) === '1',
    meeting: meetingFromParam(first(sp.meeting)),
    page: /^\d{1,6}$/.test(first(sp.page) ?? '') && Number(first(sp.page)) >= 1 ? Number(first(sp.page)) : 1,
  };
}

/** "?sort=…&undecided=1&meeting=…" for links that keep the queue's settings (not its page). */
export function reviewQuery(p: ReviewParams): string {
  const q = new URLSearchParams({ sort: p.criterion });
  if (p.undecidedOnly) q.set('undecided', '1');
  q.set('meeting', p.meeting);
  return `?${q.toString()}`;
}
