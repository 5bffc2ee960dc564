/**
 * /review/minutes?meeting=…: the minutes of one review meeting, printable (print CSS in
 * app/globals.css: no navigation, one case per page, black-and-white tables) and downloadable as
 * CSV (/api/review/minutes). Each decided case with its decisions, comments, reviewers, times
 * and the key numbers of the run the decision was about; a corrected decision stays, struck through
 * and marked superseded, above the correction and its reason.
 */
import { Suspense } from 'react';
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can, type Caller } from '@/lib/server/auth/roles';
import { findMeetingMinutes } from '@/lib/server/review/find-meeting-minutes';
import { REVIEW_DECISION_LABELS } from '@/lib/server/review/review.types';
import { parseReviewParams, type SearchParams } from '../review-params';
import { KeyNumbersTable, ReviewNotAllowed, utc } from '../review-ui';
import { PrintButton } from './print-button';
import { GetForm, GetSubmitButton } from '@/components/get-form';

export const dynamic = 'force-dynamic';

async function Minutes({ caller, meeting }: { caller: Caller; meeting: string }) {
  const m = await findMeetingMinutes(db(), { caller, meeting, purpose: 'view' });
  const decisions = m.cases.reduce((n, c) => n + c.decisions.length, 0);
  return (
    <>
      {m.meetings.length > 0 && (
        <datalist id="review-meetings">
          {m.meetings.map((x) => (
            <option key={x} value={x} />
          ))}
        </datalist>
      )}
      <p className="muted" data-testid="minutes-summary">
        {m.cases.length} {m.cases.length === 1 ? 'case' : 'cases'}, {decisions} {decisions === 1 ? 'decision' : 'decisions'} recorded under meeting “{m.meeting}
        ”.
        {m.meetings.length > 0 && ` Meetings with decisions: ${m.meetings.slice(0, 8).join(', ')}${m.meetings.length > 8 ? ', …' : ''}.`}
      </p>
      {m.cases.length === 0 && (
        <div className="card" data-testid="minutes-empty">
          <p>No decision has been recorded under meeting “{m.meeting}”.</p>
          <p className="muted">
            Decisions are recorded from the presenter view of each case in the review queue; pick another meeting above if this is not the one.
          </p>
        </div>
      )}
      {m.cases.map((c, i) => (
        <section key={c.studyId} className="minutes-case card" data-testid="minutes-case">
          <h2>
            {i + 1}. {c.pseudonym}
            {c.identity && (
              <span className="review-small">
                {' '}
                — {c.identity.name ?? '—'}, MRN {c.identity.mrn ?? '—'}
              </span>
            )}
          </h2>
          <table className="minutes-decisions">
            <thead>
              <tr>
                <th>Decision</th>
                <th>Comment</th>
                <th>Reviewer</th>
                <th>Time</th>
              </tr>
            </thead>
            <tbody>
              {c.decisions.map((d) => (
                <tr
                  key={d.id}
                  data-testid="minutes-decision"
                  data-superseded={d.supersededById ? 'true' : 'false'}
                  className={d.supersededById ? 'review-superseded' : undefined}
                >
                  <td>
                    {d.supersededById ? <s>{REVIEW_DECISION_LABELS[d.decision]}</s> : <strong>{REVIEW_DECISION_LABELS[d.decision]}</strong>}
                    <div className="review-small">{d.supersededById ? 'superseded by a correction' : d.supersedesId ? 'correction (current)' : 'current'}</div>
                  </td>
                  <td className="review-comment">
                    {d.supersedesId && <div>Reason for the correction: {d.correctionReason}</div>}
                    {d.comment ?? (d.supersedesId ? '' : '—')}
                  </td>
                  <td>{d.reviewerName}</td>
                  <td>{utc(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p data-testid="minutes-current">
            Current decision{c.current.length === 1 ? '' : 's'}: {c.current.map((d) => REVIEW_DECISION_LABELS[d.decision]).join('; ')}
            {c.decisions.length > c.current.length && ` (${c.decisions.length - c.current.length} corrected, kept above)`}
          </p>
          <h3>Key numbers (run of the {c.current.length > 1 ? 'latest ' : ''}current decision)</h3>
          <KeyNumbersTable n={(c.current[c.current.length - 1] ?? c.decisions[c.decisions.length - 1]).numbers} />
        </section>
      ))}
    </>
  );
}

export default async function MinutesPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'review:view')) return <ReviewNotAllowed role={caller.role} title="Review minutes" />;
  const { meeting } = parseReviewParams(await searchParams);
  return (
    <>
      <div className="no-print review-nav">
        <Link href={`/review?meeting=${encodeURIComponent(meeting)}`}>← Queue</Link>
      </div>
      <h1>Minutes of the review meeting {meeting}</h1>
      <GetForm className="card review-controls no-print" action="/review/minutes">
        <label>
          Meeting
          <input name="meeting" defaultValue={meeting} maxLength={60} required list="review-meetings" />
        </label>
        <GetSubmitButton pendingLabel="Loading…">Show minutes</GetSubmitButton>
        <PrintButton />
        <a href={`/api/review/minutes?meeting=${encodeURIComponent(meeting)}`} download data-testid="minutes-csv">
          Download CSV
        </a>
      </GetForm>
      <p className="print-only">
        Printed {utc(new Date())} by {caller.name}. Not a medical device: decisions remain the clinicians’.
      </p>
      <Suspense fallback={<p className="muted">Loading the minutes…</p>}>
        <Minutes caller={caller} meeting={meeting} />
      </Suspense>
    </>
  );
}
