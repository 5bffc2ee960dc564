/**
 * Review-meeting minutes as CSV (RFC 4180: comma, CRLF, quotes doubled). Cells that a
 * spreadsheet would run as a formula (starting with = + - @, or tab / carriage return) get a
 * leading apostrophe (OWASP "CSV injection"), so a comment such as "=HYPERLINK(…)" stays text.
 * Numbers are written as numbers: a negative number is data, not a formula, and is left alone.
 */

export type CsvCell = string | number | null;

/** One cell, escaped. */
export function csvCell(v: CsvCell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Header plus rows → CSV text (CRLF line ends, trailing CRLF). */
export function formatCsv(header: string[], rows: CsvCell[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

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
}

/**
 * The minutes CSV: one line per decision. With `identified`, two identifier columns follow the
 * pseudonym; without it those columns do not exist at all (not merely empty).
 */
export function formatMinutesCsv(rows: MinutesCsvRow[], { identified }: { identified: boolean }): string {
  const header = [
    'meeting', 'pseudonym', ...(identified ? ['patient_name', 'mrn'] : []), 'decision', 'decision_label', 'comment', 'reviewer',
    'decided_at_utc', 'itv_dice', 'gtv_median_dice', 'itv_hd95_mm', 'itv_fp_cc', 'max_fp_distance_mm', 'machine_motion_mm',
    'study_id', 'run_id',
  ];
  return formatCsv(
    header,
    rows.map((r) => [
      r.meeting, r.pseudonym, ...(identified ? [r.patientName ?? null, r.mrn ?? null] : []), r.decision, r.decisionLabel, r.comment,
      r.reviewer, r.decidedAt.toISOString(), r.itvDice, r.gtvMedianDice, r.itvHd95Mm, r.itvFpCc, r.maxFpDistanceMm, r.machineMotionMm,
      r.studyId, r.runId,
    ]),
  );
}
