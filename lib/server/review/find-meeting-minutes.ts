/**
 * The minutes of one review meeting: every decision recorded under that meeting name, grouped
 * by case in the order the cases were first decided, each with the key numbers of the run the
 * decision was about. Identifiers only for roles with identifiers:view, and then audited (a
 * view and an export are separate events).
 */
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { recordAuditEvent } from '../audit/record-audit-event';
import { readRunKeyNumbers } from './read-run-key-numbers';
import { MeetingName, REVIEW_DECISION_LABELS, type ReviewDecisionKind } from './review.types';
import { AppError } from '../errors';
import type { CaseKeyNumbers } from '@/lib/core/review/case-key-numbers';
import type { MinutesCsvRow } from '@/lib/core/review/format-minutes-csv';

export interface MinutesDecision {
  id: string;
  decision: ReviewDecisionKind;
  comment: string | null;
  reviewerName: string;
  createdAt: Date;
  runId: string | null;
  numbers: CaseKeyNumbers | null;
  /** A correction: the decision it replaces, and why. */
  supersedesId: string | null;
  correctionReason: string | null;
  /** The correction that replaced this decision (kept in the minutes' history, no longer current). */
  supersededById: string | null;
}

export interface MinutesCase {
  studyId: string;
  pseudonym: string;
  identity?: { name: string | null; mrn: string | null };
  /** Every decision in the order recorded, corrections and the decisions they replaced included. */
  decisions: MinutesDecision[];
  /** The decisions in force: those not superseded by a correction, in the order recorded. */
  current: MinutesDecision[];
}

export interface MeetingMinutes {
  meeting: string;
  cases: MinutesCase[];
  /** Every meeting with at least one decision, newest name first (for the picker). */
  meetings: string[];
  identified: boolean;
}

/** @throws AppError FORBIDDEN; INVALID_INPUT for a malformed meeting name */
export async function findMeetingMinutes(
  db: Db,
  { caller, meeting, purpose }: { caller: Caller; meeting: string; purpose: 'view' | 'export' },
): Promise<MeetingMinutes> {
  authorize(caller, 'review:view');
  const parsed = MeetingName.safeParse(meeting);
  if (!parsed.success) throw new AppError('INVALID_INPUT', parsed.error.issues.map((i) => i.message).join('; '));
  const identified = can(caller.role, 'identifiers:view');
  const [rows, meetingRows] = await Promise.all([
    db.reviewDecision.findMany({
      where: { meeting: parsed.data },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: {
        id: true,
        decision: true,
        comment: true,
        createdAt: true,
        runId: true,
        supersedesId: true,
        correctionReason: true,
        supersededBy: { select: { id: true } },
        reviewer: { select: { name: true } },
        study: {
          select: {
            id: true,
            patient: { select: { id: true, pseudonym: true, ...(identified ? { identity: { select: { name: true, mrn: true } } } : {}) } },
          },
        },
      },
    }),
    db.reviewDecision.findMany({ where: { meeting: { not: null } }, distinct: ['meeting'], select: { meeting: true }, orderBy: { meeting: 'desc' } }),
  ]);
  const numbers = await readRunKeyNumbers(db, [...new Set(rows.map((r) => r.runId).filter((x): x is string => x !== null))]);
  const cases = new Map<string, MinutesCase>();
  for (const r of rows) {
    let c = cases.get(r.study.id);
    if (!c) {
      const identity = (r.study.patient as { identity?: { name: string | null; mrn: string | null } | null }).identity;
      c = {
        studyId: r.study.id,
        pseudonym: r.study.patient.pseudonym,
        ...(identified ? { identity: { name: identity?.name ?? null, mrn: identity?.mrn ?? null } } : {}),
        decisions: [],
        current: [],
      };
      cases.set(r.study.id, c);
    }
    c.decisions.push({
      id: r.id,
      decision: r.decision,
      comment: r.comment,
      reviewerName: r.reviewer.name,
      createdAt: r.createdAt,
      runId: r.runId,
      numbers: r.runId ? (numbers.get(r.runId) ?? null) : null,
      supersedesId: r.supersedesId,
      correctionReason: r.correctionReason,
      supersededById: r.supersededBy?.id ?? null,
    });
  }
  for (const c of cases.values()) c.current = c.decisions.filter((d) => !d.supersededById);
  if (identified && rows.length > 0) {
    await recordAuditEvent(db, {
      action: purpose === 'export' ? 'review.minutes.exported_identified' : 'review.minutes.viewed_identified',
      caller,
      target: `review:meeting:${parsed.data}`,
      details: { meeting: parsed.data, patientIds: [...new Set(rows.map((r) => r.study.patient.id))] },
    });
  }
  return { meeting: parsed.data, cases: [...cases.values()], meetings: meetingRows.map((m) => m.meeting!), identified };
}

/** The minutes as CSV rows (one per decision), for formatMinutesCsv. */
export function minutesCsvRows(m: MeetingMinutes): MinutesCsvRow[] {
  return m.cases.flatMap((c) =>
    c.decisions.map((d) => ({
      meeting: m.meeting,
      pseudonym: c.pseudonym,
      ...(m.identified ? { patientName: c.identity?.name ?? null, mrn: c.identity?.mrn ?? null } : {}),
      decision: d.decision,
      decisionLabel: REVIEW_DECISION_LABELS[d.decision],
      comment: d.comment,
      reviewer: d.reviewerName,
      decidedAt: d.createdAt,
      itvDice: d.numbers?.itvDice ?? null,
      gtvMedianDice: d.numbers?.gtvMedianDice ?? null,
      itvHd95Mm: d.numbers?.itvHd95Mm ?? null,
      itvFpCc: d.numbers?.itvFpCc ?? null,
      maxFpDistanceMm: d.numbers?.maxFpDistanceMm ?? null,
      machineMotionMm: d.numbers?.machineMotionMm ?? null,
      studyId: c.studyId,
      runId: d.runId,
      decisionId: d.id,
      status: d.supersededById ? 'superseded' : 'current',
      supersedesDecisionId: d.supersedesId,
      correctionReason: d.correctionReason,
    })),
  );
}
