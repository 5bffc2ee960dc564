/**
 * Review-meeting minutes as CSV, through the one CSV writer of every export
 * (lib/core/csv/format-csv.ts: RFC 4180, CRLF, formula cells neutralised with an apostrophe, so a
 * comment such as "=HYPERLINK(…)" stays text; a negative number stays a number).
 */
import { formatCsv, type CsvValue } from '../csv/format-csv';

export { csvCell, formatCsv } from '../csv/format-csv';
export type CsvCell = CsvValue;

/** One decision as the minutes list it (plain values; the caller decides about identifiers). */
export interface MinutesCsvRow {
  meeting: string;
  pseudonym: string;
  /** Present only for callers who may see identifiers. */
  patientName?: string | null;
  mrn?: string | null;
  decision: string;
  decisionLabel: string;
  comment: string | null;
  reviewer: string;
  decidedAt: Date;
  itvDice: number | null;
  gtvMedianDice: number | null;
  itvHd95Mm: number | null;
  itvFpCc: number | null;
  maxFpDistanceMm: number | null;
  machineMotionMm: number | null;
  studyId: string;
  runId: string | null;
  decisionId: string;
  /** `superseded`: a correction replaced this decision (both stay in the minutes). */
  status: 'current' | 'superseded';
  /** For a correction: the decision it replaces, and why. */
  supersedesDecisionId: string | null;
  correctionReason: string | null;
}

/**
 * The minutes CSV: one line per decision, corrections and the decisions they superseded included
 * (`status`, `supersedes_decision_id`, `correction_reason`). With `identified`, two identifier columns follow the
 * pseudonym; without it those columns do not exist at all (not merely empty).
 */
export function formatMinutesCsv(rows: MinutesCsvRow[], { identified }: { identified: boolean }): string {
  const header = [
    'meeting',
    'pseudonym',
    ...(identified ? ['patient_name', 'mrn'] : []),
    'decision',
    'decision_label',
    'comment',
    'reviewer',
    'decided_at_utc',
    'itv_dice',
    'gtv_median_dice',
    'itv_hd95_mm',
    'itv_fp_cc',
    'max_fp_distance_mm',
    'machine_motion_mm',
    'study_id',
    'run_id',
    'decision_id',
    'status',
    'supersedes_decision_id',
    'correction_reason',
  ];
  return formatCsv(
    header,
    rows.map((r) => [
      r.meeting,
      r.pseudonym,
      ...(identified ? [r.patientName ?? null, r.mrn ?? null] : []),
      r.decision,
      r.decisionLabel,
      r.comment,
      r.reviewer,
      r.decidedAt.toISOString(),
      r.itvDice,
      r.gtvMedianDice,
      r.itvHd95Mm,
      r.itvFpCc,
      r.maxFpDistanceMm,
      r.machineMotionMm,
      r.studyId,
      r.runId,
      r.decisionId,
      r.status,
      r.supersedesDecisionId,
      r.correctionReason,
    ]),
  );
}
