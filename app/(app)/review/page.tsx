/**
 * /review: the peer-review meeting's queue. Studies with a finished segmentation run, ranked by
 * the chosen discordance criterion (search parameters, so a link reproduces the queue), with
 * their key numbers, flags and latest decision. Reviewers see pseudonyms; a physicist also sees
 * names and MRNs, and that view is audited (lib/server/review/find-review-queue.ts).
 */
import { Suspense } from 'react';
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can, type Caller } from '@/lib/server/auth/roles';
import { findReviewQueue } from '@/lib/server/review/find-review-queue';
import { REVIEW_CRITERIA, REVIEW_CRITERION_LABELS } from '@/lib/core/review/rank-review-cases';
import { parseReviewParams, reviewQuery, type ReviewParams, type SearchParams } from './review-params';
import { DecisionBadge, Flags, fmt, ReviewNotAllowed, utc } from './review-ui';
import { pageLinks } from '@/lib/core/page-links';
import { GetForm, GetSubmitButton } from '@/components/get-form';

export const dynamic = 'force-dynamic';

async function Queue({ caller, params }: { caller: Caller; params: ReviewParams }) {
  const queue = await findReviewQueue(db(), { caller, criterion: params.criterion, undecidedOnly: params.undecidedOnly, page: params.page });
  if (queue.total === 0) {
    return (
      <div className="card" data-testid="review-empty">
        <p>No study has a finished segmentation run yet, so there is nothing to review.</p>
        <p className="muted">
          Import a study (the Import page) or wait for the worker to finish the runs it has queued; each finished case appears here, ranked.
        </p>
      </div>
    );
  }
  const q = reviewQuery(params);
  const sortCol = params.criterion;
  return (
    <div className="card">
      <p className="muted" data-testid="review-counts">
        {queue.total} cases with a finished run · {queue.undecided} without a decision on their current run
        {params.undecidedOnly ? ` · showing the ${queue.listed} undecided` : ''}
        {queue.pageCount > 1
          ? ` · ranks ${queue.cases[0]?.rank ?? '—'}–${queue.cases[queue.cases.length - 1]?.rank ?? '—'} on page ${queue.page} of ${queue.pageCount}`
          : ''}
      </p>
      {queue.cases.length === 0 ? (
        <p data-testid="review-all-decided">Every case has a decision on its current run. Untick “undecided only” to see them all.</p>
      ) : (
        <table className="review-queue" data-testid="review-queue">
          <thead>
            <tr>
              <th>#</th>
              <th>Patient</th>
              <th className={sortCol === 'low-dice' ? 'sorted' : undefined}>ITV Dice</th>
              <th>GTV Dice (median)</th>
              <th>ITV HD95 (mm)</th>
              <th className={sortCol === 'large-fp' ? 'sorted' : undefined}>FP (cc)</th>
              <th className={sortCol === 'distant-fp' ? 'sorted' : undefined}>Largest FP distance (mm)</th>
              <th>Flags</th>
              <th>Latest decision</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {queue.cases.map((c) => {
              const latest = c.decisions.find((d) => !d.supersededById);
              return (
                <tr key={c.studyId} data-testid="review-row" data-study-id={c.studyId}>
                  <td>{c.rank}</td>
                  <td>
                    <strong className="review-pseudonym">{c.pseudonym}</strong>
                    {c.identity && (
                      <div className="muted review-small" data-testid="review-identity">
                        {c.identity.name ?? '—'} · MRN {c.identity.mrn ?? '—'}
                      </div>
                    )}
                  </td>
                  <td className="num">{fmt(c.numbers?.itvDice)}</td>
                  <td className="num">{fmt(c.numbers?.gtvMedianDice)}</td>
                  <td className="num">{fmt(c.numbers?.itvHd95Mm, 1)}</td>
                  <td className="num">{fmt(c.numbers?.itvFpCc)}</td>
                  <td className="num">{fmt(c.numbers?.maxFpDistanceMm, 1)}</td>
                  <td>{c.numbers ? <Flags flags={c.numbers.flags} details={c.numbers.flagDetails} /> : <span className="muted">no metrics stored</span>}</td>
                  <td data-testid="review-latest-decision">
                    {latest ? (
                      <>
                        <DecisionBadge decision={latest.decision} />
                        <div className="muted review-small">
                          {latest.meeting ?? 'no meeting'} · {latest.reviewerName} · {utc(latest.createdAt)}
                          {!latest.forCurrentRun && ' · on an earlier run'}
                          {latest.supersedesId && ' · corrected'}
                        </div>
                      </>
                    ) : (
                      <span className="muted">undecided</span>
                    )}
                  </td>
                  <td>
                    <Link href={`/review/${c.studyId}${q}`}>Present</Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {queue.pageCount > 1 && (
        <nav className="cohort-pages" aria-label="Review queue pages" data-testid="review-pages">
          {queue.page > 1 && <Link href={`/review${q}&page=${queue.page - 1}`}>← Previous</Link>}
          {pageLinks(queue.page, queue.pageCount).map((n, i) =>
            n === null ? (
              <span key={`gap-${i}`} className="muted">
                …
              </span>
            ) : n === queue.page ? (
              <strong key={n} aria-current="page">
                {n}
              </strong>
            ) : (
              <Link key={n} href={`/review${q}&page=${n}`}>
                {n}
              </Link>
            ),
          )}
          {queue.page < queue.pageCount && <Link href={`/review${q}&page=${queue.page + 1}`}>Next →</Link>}
        </nav>
      )}
      <p className="muted review-small">
        Dice and FP volume: voxel overlap on the native CT grid; HD95: voxel surfaces; FP distance: the farthest machine-ITV voxel outside the physician ITV. A
        case without the ranking number (for example no physician ITV) is listed last.
      </p>
    </div>
  );
}

export default async function ReviewPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'review:view')) return <ReviewNotAllowed role={caller.role} title="Review meeting" />;
  const params = parseReviewParams(await searchParams);
  return (
    <>
      <h1>Review meeting</h1>
      <GetForm className="card review-controls" action="/review">
        <label>
          Meeting
          <input name="meeting" defaultValue={params.meeting} maxLength={60} required />
        </label>
        <label>
          Rank by
          <select name="sort" defaultValue={params.criterion}>
            {REVIEW_CRITERIA.map((c) => (
              <option key={c} value={c}>
                {REVIEW_CRITERION_LABELS[c]}
              </option>
            ))}
          </select>
        </label>
        <label className="review-inline">
          <input type="checkbox" name="undecided" value="1" defaultChecked={params.undecidedOnly} /> Undecided only
        </label>
        <GetSubmitButton pendingLabel="Loading…">Show queue</GetSubmitButton>
        <Link href={`/review/minutes?meeting=${encodeURIComponent(params.meeting)}`}>Minutes of {params.meeting}</Link>
      </GetForm>
      <Suspense fallback={<p className="muted">Ranking the cases…</p>}>
        <Queue caller={caller} params={params} />
      </Suspense>
    </>
  );
}
