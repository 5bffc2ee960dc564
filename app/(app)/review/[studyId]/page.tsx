/**
 * /review/[studyId]: the presenter view for one case. A large viewer, the key numbers, every
 * decision so far and the decision form; previous / next follow the queue's order (the same
 * search parameters as the queue). A physicist sees the name and MRN, and that view is audited.
 */
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { AppError } from '@/lib/server/errors';
import { getReviewCase, type ReviewCaseDetail } from '@/lib/server/review/get-review-case';
import { MAX_COMMENT_CHARS, REVIEW_DECISIONS, REVIEW_DECISION_LABELS } from '@/lib/server/review/review.types';
import { REVIEW_CRITERION_LABELS } from '@/lib/core/review/rank-review-cases';
import { StudyViewer } from '@/components/viewer/study-viewer';
import { FlagList } from '@/components/flags/flag-chips';
import { parseReviewParams, reviewQuery, type SearchParams } from '../review-params';
import { DecisionBadge, Flags, KeyNumbersTable, ReviewNotAllowed, utc } from '../review-ui';
import { DecisionForm } from './decision-form';
import { CorrectDecisionForm } from './correct-decision-form';

export const dynamic = 'force-dynamic';

export default async function PresenterPage({ params, searchParams }: { params: Promise<{ studyId: string }>; searchParams: Promise<SearchParams> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'review:view')) return <ReviewNotAllowed role={caller.role} title="Review case" />;
  const { studyId } = await params;
  const rp = parseReviewParams(await searchParams);
  const q = reviewQuery(rp);
  let detail: ReviewCaseDetail;
  try {
    detail = await getReviewCase(db(), { caller, studyId, criterion: rp.criterion, undecidedOnly: rp.undecidedOnly });
  } catch (e) {
    if (e instanceof AppError && e.code === 'NOT_FOUND') {
      return (
        <>
          <h1>Review case</h1>
          <div className="card" data-testid="review-case-missing">
            <p>{e.message}</p>
            <Link href={`/review${q}`}>Back to the queue</Link>
          </div>
        </>
      );
    }
    throw e;
  }
  const c = detail.case;
  const prevHref = detail.previousStudyId ? `/review/${detail.previousStudyId}${q}` : null;
  const nextHref = detail.nextStudyId ? `/review/${detail.nextStudyId}${q}` : null;
  return (
    <>
      <nav className="review-nav" aria-label="Queue navigation">
        <Link href={`/review${q}`}>← Queue</Link>
        <span className="muted" data-testid="review-position">
          Case {detail.position} of {detail.queueLength} · {REVIEW_CRITERION_LABELS[rp.criterion].toLowerCase()}
          {rp.undecidedOnly ? ' · undecided only' : ''} · meeting {rp.meeting}
        </span>
        <span className="spacer" />
        {prevHref ? <Link href={prevHref}>← Previous case</Link> : <span className="muted">← Previous case</span>}
        {nextHref ? <Link href={nextHref}>Next case →</Link> : <span className="muted">Next case →</span>}
      </nav>
      <h1 data-testid="review-case-title">
        {c.pseudonym}
        {c.identity && (
          <span className="muted review-small" data-testid="review-identity">
            {' '}
            {c.identity.name ?? '—'} · MRN {c.identity.mrn ?? '—'}
          </span>
        )}
      </h1>
      <p className="muted">
        {c.studyDescription ?? 'Study'} · {detail.phases} phases · model {c.model.name} {c.model.version} (sha256 {c.model.sha256.slice(0, 12)}…) · run finished{' '}
        {utc(c.runFinishedAt)} · <Link href={`/studies/${c.studyId}`}>open in the study viewer</Link>
      </p>
      <div className="review-presenter">
        <section className="review-viewer-pane">
          <StudyViewer studyId={c.studyId} size="large" showHeading={false} />
        </section>
        <section className="review-side">
          <div className="card">
            <h2>Key numbers</h2>
            <KeyNumbersTable n={c.numbers} testId="review-key-numbers" compact />
            {c.numbers && (
              <>
                <h3>QA flags</h3>
                {c.numbers.flagDetails ? (
                  <FlagList flags={c.numbers.flagDetails} rulesVersion={null} testId="review-flag-list" />
                ) : (
                  <Flags flags={c.numbers.flags} />
                )}
              </>
            )}
          </div>
          <div className="card">
            <h2>Decision</h2>
            {can(caller.role, 'review:decide') ? (
              <DecisionForm
                studyId={c.studyId}
                meeting={rp.meeting}
                reviewerName={caller.name}
                decisions={REVIEW_DECISIONS.map((d) => ({ value: d, label: REVIEW_DECISION_LABELS[d] }))}
                maxCommentChars={MAX_COMMENT_CHARS}
                nextHref={nextHref}
              />
            ) : (
              <p className="muted">The {caller.role.toLowerCase()} role may follow the meeting but not record decisions.</p>
            )}
          </div>
          <div className="card">
            <h2>Previous decisions</h2>
            {c.decisions.length === 0 ? (
              <p className="muted">None yet.</p>
            ) : (
              <ul className="review-history" data-testid="review-history">
                {c.decisions.map((d) => (
                  <li
                    key={d.id}
                    data-testid="review-history-item"
                    data-superseded={d.supersededById ? 'true' : 'false'}
                    className={d.supersededById ? 'review-superseded' : undefined}
                  >
                    <DecisionBadge decision={d.decision} />{' '}
                    <span className="muted review-small">
                      {d.meeting ?? 'no meeting'} · {d.reviewerName} · {utc(d.createdAt)}
                      {!d.forCurrentRun && ' · on an earlier run'}
                    </span>
                    {d.supersededById ? <span className="review-small"> · superseded by a correction</span> : <span className="review-small"> · current</span>}
                    {d.supersedesId && (
                      <div className="review-small">
                        Correction; reason: <span className="review-comment">{d.correctionReason}</span>
                      </div>
                    )}
                    {d.comment && <div className="review-comment">{d.comment}</div>}
                    {!d.supersededById && can(caller.role, 'review:decide') && (
                      <CorrectDecisionForm
                        decisionId={d.id}
                        decisions={REVIEW_DECISIONS.map((x) => ({ value: x, label: REVIEW_DECISION_LABELS[x] }))}
                        maxChars={MAX_COMMENT_CHARS}
                      />
                    )}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </section>
      </div>
    </>
  );
}
