'use client';
/**
 * Corrects one decision of the presenter view's history: a new decision and the reason (required).
 * The mistaken decision stays in the history and the minutes, marked as superseded.
 */
import { useActionState } from 'react';
import { correctDecisionAction, type DecisionFormState } from '../actions';

export function CorrectDecisionForm({
  decisionId,
  decisions,
  maxChars,
}: {
  decisionId: string;
  decisions: { value: string; label: string }[];
  maxChars: number;
}) {
  const [state, action, pending] = useActionState<DecisionFormState, FormData>(correctDecisionAction, { status: 'idle' });
  if (state.status === 'recorded')
    return (
      <p className="review-ok" aria-live="polite">
        {state.message}
      </p>
    );
  return (
    <details className="review-correct" data-testid="correct-decision">
      <summary>Correct this decision</summary>
      <form action={action} className="review-decision-form">
        <input type="hidden" name="decisionId" value={decisionId} />
        <fieldset>
          <legend>Corrected decision</legend>
          {decisions.map((d) => (
            <label key={d.value} className="review-inline review-choice">
              <input type="radio" name="decision" value={d.value} required /> {d.label}
            </label>
          ))}
        </fieldset>
        <label>
          Reason for the correction (required)
          <textarea name="reason" rows={2} maxLength={maxChars} required placeholder="What was wrong with the recorded decision" />
        </label>
        <label>
          Comment
          <textarea name="comment" rows={2} maxLength={maxChars} placeholder="Optional" />
        </label>
        <button type="submit" disabled={pending}>
          {pending ? 'Recording…' : 'Record correction'}
        </button>
        <div aria-live="polite">{state.status === 'error' && <p className="error">{state.error}</p>}</div>
      </form>
    </details>
  );
}
