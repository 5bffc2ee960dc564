'use client';
/**
 * The presenter view's decision form: four decisions, a comment, the meeting; the reviewer is
 * the signed-in user. Submitted by hand (not `<form action>`) so that a refused submission keeps
 * what the reviewer typed; a recorded one clears the decision and comment and keeps the meeting.
 */
import { useRef, useState, useTransition } from 'react';
import Link from 'next/link';
import { recordDecisionAction, type DecisionFormState } from '../actions';

export interface DecisionFormProps {
  studyId: string;
  meeting: string;
  reviewerName: string;
  decisions: { value: string; label: string }[];
  maxCommentChars: number;
  /** Where "Next case" goes after recording; null at the end of the queue. */
  nextHref: string | null;
}

export function DecisionForm({ studyId, meeting, reviewerName, decisions, maxCommentChars, nextHref }: DecisionFormProps) {
  const [state, setState] = useState<DecisionFormState>({ status: 'idle' });
  const [pending, startTransition] = useTransition();
  const formRef = useRef<HTMLFormElement>(null);
  return (
    <form
      ref={formRef}
      className="review-decision-form"
      data-testid="decision-form"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        startTransition(async () => {
          const next = await recordDecisionAction(state, data);
          setState(next);
          if (next.status === 'recorded') {
            form.querySelectorAll<HTMLInputElement>('input[name="decision"]').forEach((r) => (r.checked = false));
            const comment = form.querySelector<HTMLTextAreaElement>('textarea[name="comment"]');
            if (comment) comment.value = '';
          }
        });
      }}
    >
      <input type="hidden" name="studyId" value={studyId} />
      <fieldset>
        <legend>Decision</legend>
        {decisions.map((d) => (
          <label key={d.value} className="review-inline review-choice">
            <input type="radio" name="decision" value={d.value} required /> {d.label}
          </label>
        ))}
      </fieldset>
      <label>
        Comment
        <textarea name="comment" rows={3} maxLength={maxCommentChars} placeholder="Why; what should change (optional)" />
      </label>
      <label>
        Meeting
        <input name="meeting" defaultValue={meeting} maxLength={60} required />
      </label>
      <p className="muted review-small">Reviewer: {reviewerName} (you)</p>
      <button type="submit" disabled={pending}>
        {pending ? 'Recording…' : 'Record decision'}
      </button>
      <div aria-live="polite" data-testid="decision-status">
        {state.status === 'recorded' && (
          <p className="review-ok">
            {state.message} {nextHref && <Link href={nextHref}>Next case →</Link>}
          </p>
        )}
        {state.status === 'error' && <p className="error">{state.error}</p>}
      </div>
    </form>
  );
}
