/** Request shapes of the review meeting (zod), shared by the server action, route and tests. */
import { z } from 'zod';

export const REVIEW_DECISIONS = ['MACHINE_ACCEPTABLE', 'PHYSICIAN_NEEDS_REVISION', 'MACHINE_WRONG', 'DISCUSS'] as const;
export type ReviewDecisionKind = (typeof REVIEW_DECISIONS)[number];

export const REVIEW_DECISION_LABELS: Record<ReviewDecisionKind, string> = {
  MACHINE_ACCEPTABLE: 'Machine acceptable',
  PHYSICIAN_NEEDS_REVISION: 'Physician contour needs revision',
  MACHINE_WRONG: 'Machine wrong',
  DISCUSS: 'Discuss',
};

export const MAX_COMMENT_CHARS = 2000;

/** A meeting is named by a short label, by default its date ("2026-11-28"). */
export const MeetingName = z
  .string()
  .trim()
  .min(1, 'Meeting: give the meeting a name, for example its date (2026-11-28).')
  .max(60, 'Meeting: at most 60 characters.')
  .regex(/^[\p{L}\p{N} ._:/-]+$/u, 'Meeting: use letters, digits, spaces and . _ : / - only (for example 2026-11-28).');

export const RecordReviewDecisionInput = z.object({
  studyId: z.string().trim().min(1, 'Study: missing study id.').max(64, 'Study: the id is too long.'),
  decision: z.enum(REVIEW_DECISIONS, {
    error: (issue) => `Decision: "${String(issue.input ?? '')}" is not one of ${REVIEW_DECISIONS.join(', ')}.`,
  }),
  comment: z
    .string()
    .trim()
    .max(MAX_COMMENT_CHARS, `Comment: at most ${MAX_COMMENT_CHARS} characters; shorten it or split the discussion.`)
    .optional()
    .transform((s) => (s ? s : null)),
  meeting: MeetingName,
});
export type RecordReviewDecisionInput = z.input<typeof RecordReviewDecisionInput>;

/** Today's date in UTC as YYYY-MM-DD: the default meeting name. */
export function todaysMeeting(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** A meeting from a search parameter; an invalid or missing one falls back to today's date. */
export function meetingFromParam(v: string | string[] | undefined | null, now = new Date()): string {
  const parsed = MeetingName.safeParse(Array.isArray(v) ? v[0] : (v ?? ''));
  return parsed.success ? parsed.data : todaysMeeting(now);
}

export const CorrectReviewDecisionInput = z.object({
  decisionId: z.string().trim().min(1, 'Decision: missing the id of the decision to correct.').max(64, 'Decision: the id is too long.'),
  decision: z.enum(REVIEW_DECISIONS, {
    error: (issue) => `Corrected decision: "${String(issue.input ?? '')}" is not one of ${REVIEW_DECISIONS.join(', ')}.`,
  }),
  comment: z
    .string()
    .trim()
    .max(MAX_COMMENT_CHARS, `Comment: at most ${MAX_COMMENT_CHARS} characters; shorten it or split the discussion.`)
    .optional()
    .transform((s) => (s ? s : null)),
  reason: z
    .string({ error: 'Reason: say why the decision is corrected (required).' })
    .trim()
    .min(1, 'Reason: say why the decision is corrected (required).')
    .max(MAX_COMMENT_CHARS, `Reason: at most ${MAX_COMMENT_CHARS} characters.`),
});
export type CorrectReviewDecisionInput = z.input<typeof CorrectReviewDecisionInput>;
