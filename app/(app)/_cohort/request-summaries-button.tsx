'use client';
/** The "Compute missing run summaries" button of the cohort page, with the action's outcome next to it. */
import { useActionState } from 'react';
import { requestMissingSummaries, type SummaryRequestState } from './actions';

export function RequestSummariesButton() {
  const [state, action, pending] = useActionState<SummaryRequestState, FormData>(requestMissingSummaries, null);
  return (
    <form action={action} style={{ display: 'inline', marginLeft: '0.5rem' }}>
      <button type="submit" disabled={pending}>
        Compute missing run summaries
      </button>
      {state ? (
        <span role={state.ok ? 'status' : 'alert'} className={state.ok ? 'muted' : 'error'} data-testid="cohort-missing-result" style={{ marginLeft: '0.5rem' }}>
          {state.ok ? state.message : state.error}
        </span>
      ) : null}
    </form>
  );
}
