/**
 * The studies a control chart is drawn from: one row per study whose current run (its latest
 * succeeded run, as on the cohort page) has a summary, in study-date order (then import time),
 * with what the page splits on and marks (institution, scanner, model version, physician) and
 * the three monitored metrics from the run's RunSummary row: ITV Dice, ITV FP volume (cc) and
 * ITV HD95 (mm), the cohort page's default convention (voxel overlap on the native CT grid;
 * HD95 by the voxel-surface convention). Studies without a study date cannot be placed in time
 * and are only counted.
 *
 * Physicists and admins only (monitoring:view). As on the cohort page, roles without
 * identifiers:view see study dates shifted by the patient's dateShiftDays (no date when the
 * patient has no identity row) and physicians as keyed pseudonyms; the order is still the real
 * study-date order, which is what a control chart needs. Names and MRNs are never read here.
 */
import type { Db } from '../db/client';
import { Prisma } from '../db/generated/client';
import { authorize, can, type Caller } from '../auth/roles';
import { freeTextPresenter } from '../deid/present-free-text';

export interface MonitoringStudy {
  studyId: string;
  pseudonym: string;
  /** The date the caller sees (YYYY-MM-DD; shifted without identifiers:view; null when unknown). */
  studyDate: string | null;
  institutionId: string;
  institution: string;
  scanner: string | null;
  modelVersionId: string;
  /** "name version". */
  model: string;
  /** As stored for identifiers:view, else the keyed pseudonym. */
  physician: string | null;
  runId: string;
  itvDice: number | null;
  itvFpCc: number | null;
  itvHd95Mm: number | null;
}

export interface MonitoringStudies {
  studies: MonitoringStudy[];
  /** Studies with a summarised current run but no study date: not charted. */
  withoutDate: number;
  datesShifted: boolean;
}

interface Row extends Omit<MonitoringStudy, 'physician'> {
  physician: string | null;
  hasDate: boolean;
}

export async function findMonitoringStudies(db: Db, { caller }: { caller: Caller }): Promise<MonitoringStudies> {
  authorize(caller, 'monitoring:view');
  const shifted = !can(caller.role, 'identifiers:view');
  const freeText = await freeTextPresenter(db, caller);
  const shownDate = shifted ? Prisma.sql`(s."studyDate" + pi."dateShiftDays")` : Prisma.sql`s."studyDate"`;
  const rows = await db.$queryRaw<Row[]>`
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
  const studies: MonitoringStudy[] = [];
  let withoutDate = 0;
  for (const { hasDate, ...r } of rows) {
    if (!hasDate) {
      withoutDate++;
      continue;
    }
    studies.push({ ...r, physician: freeText.physician(r.physician) });
  }
  return { studies, withoutDate, datesShifted: shifted };
}
