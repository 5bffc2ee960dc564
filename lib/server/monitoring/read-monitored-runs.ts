/**
 * The rows every control chart and drift alert is built from: one per study whose current run
 * (its latest succeeded run, as on the cohort page) has a summary, in study-date order (then
 * import time, then id; studies without a date last), with what a chart splits on (institution,
 * scanner, model version, physician) and the three monitored metrics of the run's RunSummary:
 * ITV Dice, ITV FP volume (cc), ITV HD95 (mm).
 *
 * No permission check and no presentation: the callers decide what a reader sees
 * (find-monitoring-studies.ts shifts dates and pseudonymises physicians for roles without
 * identifiers:view; evaluate-monitoring-alerts.ts, run by the worker, uses neither).
 * `shiftDates` returns each study date moved by its patient's dateShiftDays (null without an
 * identity row); the order is always the real study-date order, which a control chart needs.
 */
import type { DbOrTx } from '../db/client';
import { Prisma } from '../db/generated/client';

export interface MonitoredRun {
  studyId: string;
  pseudonym: string;
  /** YYYY-MM-DD, real or shifted (see shiftDates); null when unknown. */
  studyDate: string | null;
  /** Whether the study has a (real) study date: without one it cannot be placed on a chart. */
  hasDate: boolean;
  institutionId: string;
  institution: string;
  scanner: string | null;
  /** As stored (an identifier for roles without identifiers:view). */
  physician: string | null;
  modelVersionId: string;
  /** "name version". */
  model: string;
  runId: string;
  itvDice: number | null;
  itvFpCc: number | null;
  itvHd95Mm: number | null;
}

export async function readMonitoredRuns(db: DbOrTx, { shiftDates }: { shiftDates: boolean }): Promise<MonitoredRun[]> {
  const shownDate = shiftDates ? Prisma.sql`(s."studyDate" + pi."dateShiftDays")` : Prisma.sql`s."studyDate"`;
  return db.$queryRaw<MonitoredRun[]>`
    SELECT s.id AS "studyId", p.pseudonym, to_char(${shownDate}, 'YYYY-MM-DD') AS "studyDate",
           (s."studyDate" IS NOT NULL) AS "hasDate",
           i.id AS "institutionId", i.name AS institution, s.scanner, s.physician,
           mv.id AS "modelVersionId", mv.name || ' ' || mv.version AS model, r.id AS "runId",
           rs."itvDice", rs."itvFpCc", rs."itvHd95Mm"
    FROM "Study" s
    JOIN "Patient" p ON p.id = s."patientId"
    JOIN "Institution" i ON i.id = p."institutionId"
    LEFT JOIN "PatientIdentity" pi ON pi."patientId" = p.id
    JOIN (
      SELECT DISTINCT ON (x."studyId") x."studyId", x.id, x."modelVersionId" FROM "SegmentationRun" x
      WHERE x.status = 'SUCCEEDED'
      ORDER BY x."studyId", x."finishedAt" DESC NULLS LAST
    ) r ON r."studyId" = s.id
    JOIN "ModelVersion" mv ON mv.id = r."modelVersionId"
    JOIN "RunSummary" rs ON rs."runId" = r.id
    ORDER BY s."studyDate" ASC NULLS LAST, s."importedAt" ASC, s.id ASC`;
}
