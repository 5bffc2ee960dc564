/**
 * The cohort filter's study-date range given backwards ("from" after "to") matches no study; the
 * page says so, with a link to the range swapped, instead of silently showing an empty cohort.
 */
import Link from 'next/link';
import { cohortHref, type CohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';

/** Whether from and to (YYYY-MM-DD) are both set and from is after to. */
export function isInvertedDateRange(q: Pick<CohortQuery, 'from' | 'to'>): boolean {
  return Boolean(q.from && q.to && q.from > q.to);
}

export function InvertedDateRange({ query }: { query: CohortQuery }) {
  if (!isInvertedDateRange(query)) return null;
  return (
    <p className="error" role="alert" data-testid="cohort-inverted-dates">
      The study date range is backwards: “from” {query.from} is after “to” {query.to}, so no study can match. Swap the dates:{' '}
      <Link href={cohortHref(query, { from: query.to, to: query.from, page: 1 })}>
        {query.to} to {query.from}
      </Link>
      .
    </p>
  );
}
