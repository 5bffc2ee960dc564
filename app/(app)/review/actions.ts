'use server';
/** Server actions of the presenter view: record or correct a decision (validated and authorised in lib/server/review). */
import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { recordReviewDecision } from '@/lib/server/review/record-review-decision';
import { correctReviewDecision } from '@/lib/server/review/correct-review-decision';
import { REVIEW_DECISION_LABELS } from '@/lib/server/review/review.types';

export type DecisionFormState = { status: 'idle' } | { status: 'recorded'; message: string; at: string } | { status: 'error'; error: string };

export async function recordDecisionAction(_prev: DecisionFormState, form: FormData): Promise<DecisionFormState> {
  const caller = await requireCaller();
  const text = (k: string) => formText(form, k);
  try {
    const d = await recordReviewDecision(db(), {
      caller,
      input: { studyId: text('studyId'), decision: text('decision') ?? '', comment: text('comment'), meeting: text('meeting') ?? '' },
    });
    revalidatePath('/review', 'layout');
    return { status: 'recorded', message: `Recorded “${REVIEW_DECISION_LABELS[d.decision]}” for meeting ${d.meeting}.`, at: d.createdAt.toISOString() };
  } catch (e) {
    const failed = toActionError(e);
    return {
      status: 'error',
      error:
        failed.code === 'INTERNAL'
          ? 'The decision could not be recorded because of a server error (the server log has details). Nothing was written.'
          : failed.error,
    };
  }
}

export async function correctDecisionAction(_prev: DecisionFormState, form: FormData): Promise<DecisionFormState> {
  const caller = await requireCaller();
  const text = (k: string) => formText(form, k);
  try {
    const d = await correctReviewDecision(db(), {
      caller,
      input: { decisionId: text('decisionId') ?? '', decision: text('decision') ?? '', comment: text('comment'), reason: text('reason') ?? '' },
    });
    revalidatePath('/review', 'layout');
    return {
      status: 'recorded',
      message: `Corrected “${REVIEW_DECISION_LABELS[d.previousDecision]}” to “${REVIEW_DECISION_LABELS[d.decision]}”; both stay in the minutes.`,
      at: d.createdAt.toISOString(),
    };
  } catch (e) {
    const failed = toActionError(e);
    return {
      status: 'error',
      error:
        failed.code === 'INTERNAL'
          ? 'The correction could not be recorded because of a server error (the server log has details). Nothing was written.'
          : failed.error,
    };
  }
}
