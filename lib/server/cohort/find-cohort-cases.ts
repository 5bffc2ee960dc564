/**
 * One row per study for the cohort page: study, patient pseudonym, institution, the latest
 * run's status, and the numbers of the latest succeeded run's stored summary
 * (SegmentationRun.summary). One SQL query; only the fields the page uses leave the database
 * (the per-phase arrays are unpacked in SQL), so 5,000 studies stay a few hundred kB.
 *
 * Researchers (no identifiers:view) see pseudonyms and study dates shifted by the patient's
 * dateShiftDays; a patient without an identity row has no known shift, so no date is shown.
 * The date filter applies to the dates the caller sees. Names and MRNs are never read here.
 */
import type { Db } from '../db/client';
import { Prisma } from '../db/generated/client';
import { authorize, can, type Caller } from '../auth/roles';
import type { CaseRunStatus, CohortCase } from '../../core/stats/cohort-stats';
import type { CohortFilters } from './find-cohort-cases.types';

interface Row {
  studyId: string;
  pseudonym: string;
  institution: string;
  studyDate: string | null;
  physician: string | null;
  scanner: string | null;
  model: string | null;
  latestStatus: CaseRunStatus | null;
  latestError: string | null;
  hasSummary: boolean | null;
  gtvDice: number | null;
  gtvHd95: number | null;
  itvDice: number | null;
  itvHd95: number | null;
  itvFpCc: number | null;
  itvMachineCc: number | null;
  itvPhysicianCc: number | null;
  motionMm: number | null;
  flags: string[] | null;
  phaseDice: (number | null)[] | null;
  phaseHd95: (number | null)[] | null;
  phaseFpCc: (number | null)[] | null;
}

export async function findCohortCases(db: Db, { caller, filters }: { caller: Caller; filters: CohortFilters }): Promise<{ cases: CohortCase[]; datesShifted: boolean }> {
  authorize(caller, 'cohort:view');
  const shifted = !can(caller.role, 'identifiers:view');
  const f = filters;
  // The date the caller sees: real for roles with identifiers:view, else shifted per patient.
  const shownDate = shifted ? Prisma.sql`(s."studyDate" + pi."dateShiftDays")` : Prisma.sql`s."studyDate"`;
  const where: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.institution) where.push(Prisma.sql`p."institutionId" = ${f.institution}`);
  if (f.physician) where.push(Prisma.sql`s.physician = ${f.physician}`);
  if (f.scanner) where.push(Prisma.sql`s.scanner = ${f.scanner}`);
  if (f.from) where.push(Prisma.sql`${shownDate} >= ${f.from}::date`);
  if (f.to) where.push(Prisma.sql`${shownDate} <= ${f.to}::date`);
  // With a model filter, a study counts through its latest succeeded run of that model.
  if (f.model) where.push(Prisma.sql`r.id IS NOT NULL`);
  const modelCond = f.model ? Prisma.sql`AND x."modelVersionId" = ${f.model}` : Prisma.empty;
  const num = (path: string) => Prisma.raw(`(r.summary #>> '{${path}}')::float8`);
  const phaseArray = (field: string) => Prisma.raw(`ARRAY(SELECT (e->>'${field}')::float8 FROM jsonb_array_elements(r.summary->'phases') e)`);

  const rows = await db.$queryRaw<Row[]>`
    SELECT s.id AS "studyId", p.pseudonym, i.name AS institution,
           to_char(${shownDate}, 'YYYY-MM-DD') AS "studyDate",
           s.physician, s.scanner,
           CASE WHEN mv.id IS NULL THEN NULL ELSE mv.name || ' ' || mv.version END AS model,
           lr.status::text AS "latestStatus", lr.error AS "latestError",
           (r.summary IS NOT NULL AND jsonb_typeof(r.summary) = 'object') AS "hasSummary",
           ${num('gtv,medianDice')} AS "gtvDice", ${num('gtv,medianHd95Mm')} AS "gtvHd95",
           ${num('itv,dice')} AS "itvDice", ${num('itv,hd95Mm')} AS "itvHd95", ${num('itv,fpCc')} AS "itvFpCc",
           ${num('itv,machineCc')} AS "itvMachineCc", ${num('itv,physicianCc')} AS "itvPhysicianCc",
           ${num('motion,physician,maxMm')} AS "motionMm",
           ARRAY(SELECT jsonb_array_elements_text(r.summary->'flags')) AS flags,
           ${phaseArray('dice')} AS "phaseDice", ${phaseArray('hd95Mm')} AS "phaseHd95", ${phaseArray('fpCc')} AS "phaseFpCc"
    FROM "Study" s
    JOIN "Patient" p ON p.id = s."patientId"
    JOIN "Institution" i ON i.id = p."institutionId"
    LEFT JOIN "PatientIdentity" pi ON pi."patientId" = p.id
    LEFT JOIN LATERAL (
      SELECT x.status, x.error FROM "SegmentationRun" x WHERE x."studyId" = s.id ORDER BY x."queuedAt" DESC LIMIT 1
    ) lr ON TRUE
    LEFT JOIN LATERAL (
      SELECT x.id, x.summary, x."modelVersionId" FROM "SegmentationRun" x
      WHERE x."studyId" = s.id AND x.status = 'SUCCEEDED' ${modelCond}
      ORDER BY x."finishedAt" DESC NULLS LAST LIMIT 1
    ) r ON TRUE
    LEFT JOIN "ModelVersion" mv ON mv.id = r."modelVersionId"
    WHERE ${Prisma.join(where, ' AND ')}`;

  return {
    datesShifted: shifted,
    cases: rows.map((r) => ({
      studyId: r.studyId,
      pseudonym: r.pseudonym,
      institution: r.institution,
      studyDate: r.studyDate,
      dateShifted: shifted,
      physician: r.physician,
      scanner: r.scanner,
      model: r.model,
      latestRunStatus: r.latestStatus,
      latestRunError: r.latestError,
      hasSummary: r.hasSummary === true,
      gtvMedianDice: r.gtvDice,
      gtvMedianHd95Mm: r.gtvHd95,
      itvDice: r.itvDice,
      itvHd95Mm: r.itvHd95,
      itvFpCc: r.itvFpCc,
      itvMachineCc: r.itvMachineCc,
      itvPhysicianCc: r.itvPhysicianCc,
      motionMm: r.motionMm,
      flags: r.flags ?? [],
      phaseDice: r.phaseDice ?? [],
      phaseHd95Mm: r.phaseHd95 ?? [],
      phaseFpCc: r.phaseFpCc ?? [],
    })),
  };
}

