/**
 * One row per study for the cohort page: study, patient pseudonym, institution, the latest
 * run's status, and the numbers of the latest succeeded run's stored summary
 * (SegmentationRun.summary). One query for the studies and their runs; the summaries' fields
 * (unpacked in SQL: only what the page uses leaves the database) are read only for runs this
 * process has not seen before (summaries are immutable; see summaryCache).
 *
 * Researchers (no identifiers:view) see pseudonyms and study dates shifted by the patient's
 * dateShiftDays; a patient without an identity row has no known shift, so no date is shown.
 * The date filter applies to the dates the caller sees. Names and MRNs are never read here.
 * Physician names (DICOM free text) are shown, and filtered on, as the caller may see them: as
 * stored for identifiers:view, else as the keyed pseudonym of lib/server/deid/present-free-text.ts
 * (the same value findCohortFilterOptions offers).
 */
import type { Db } from '../db/client';
import { Prisma } from '../db/generated/client';
import { authorize, can, type Caller } from '../auth/roles';
import type { CaseRunStatus, CohortCase } from '../../core/stats/cohort-stats';
import type { CohortFilters } from './find-cohort-cases.types';
import { freeTextPresenter } from '../deid/present-free-text';

interface MetaRow {
  studyId: string;
  pseudonym: string;
  institution: string;
  studyDate: string | null;
  physician: string | null;
  scanner: string | null;
  model: string | null;
  latestStatus: CaseRunStatus | null;
  latestError: string | null;
  /** The latest succeeded run (of the filtered model), and whether it has a summary. */
  runId: string | null;
  hasSummary: boolean;
}

/** The summary fields the cohort page uses, extracted in SQL. */
interface SummaryFields {
  id: string;
  isObject: boolean;
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

/**
 * A stored summary never changes (written once with SUCCEEDED, or once by the backfill where it
 * was null), so its extracted fields are kept per run id in this process. Reading 5,000
 * summaries means decompressing 5,000 TOASTed JSON documents, which costs about a second on a
 * busy 2-core machine; with the cache a page view reads only the summaries it has not seen.
 */
const globalCache = globalThis as unknown as { __isegSummaryFields?: Map<string, SummaryFields> };
const MAX_CACHED = 200_000;
function summaryCache(): Map<string, SummaryFields> {
  globalCache.__isegSummaryFields ??= new Map();
  if (globalCache.__isegSummaryFields.size > MAX_CACHED) globalCache.__isegSummaryFields.clear();
  return globalCache.__isegSummaryFields;
}

async function readSummaryFields(db: Db, runIds: string[]): Promise<SummaryFields[]> {
  if (!runIds.length) return [];
  const num = (path: string) => Prisma.raw(`(x.summary #>> '{${path}}')::float8`);
  const phaseArray = (field: string) => Prisma.raw(`ARRAY(SELECT (e->>'${field}')::float8 FROM jsonb_array_elements(x.summary->'phases') e)`);
  // One JSON value for all rows: decoding thousands of rows × many columns through the
  // driver costs far more than one json_agg string and JSON.parse.
  const [{ rows }] = await db.$queryRaw<{ rows: string }[]>`
    SELECT coalesce(json_agg(t), '[]')::text AS rows FROM (
      SELECT x.id, jsonb_typeof(x.summary) = 'object' AS "isObject",
             ${num('gtv,medianDice')} AS "gtvDice", ${num('gtv,medianHd95Mm')} AS "gtvHd95",
             ${num('itv,dice')} AS "itvDice", ${num('itv,hd95Mm')} AS "itvHd95", ${num('itv,fpCc')} AS "itvFpCc",
             ${num('itv,machineCc')} AS "itvMachineCc", ${num('itv,physicianCc')} AS "itvPhysicianCc",
             ${num('motion,physician,maxMm')} AS "motionMm",
             ARRAY(SELECT jsonb_array_elements_text(x.summary->'flags')) AS flags,
             ${phaseArray('dice')} AS "phaseDice", ${phaseArray('hd95Mm')} AS "phaseHd95", ${phaseArray('fpCc')} AS "phaseFpCc"
      FROM "SegmentationRun" x WHERE x.id = ANY(${runIds}::text[]) AND x.summary IS NOT NULL) t`;
  return JSON.parse(rows) as SummaryFields[];
}

export async function findCohortCases(db: Db, { caller, filters }: { caller: Caller; filters: CohortFilters }): Promise<{ cases: CohortCase[]; datesShifted: boolean }> {
  authorize(caller, 'cohort:view');
  const shifted = !can(caller.role, 'identifiers:view');
  const f = filters;
  const freeText = await freeTextPresenter(db, caller);
  // The date the caller sees: real for roles with identifiers:view, else shifted per patient.
  const shownDate = shifted ? Prisma.sql`(s."studyDate" + pi."dateShiftDays")` : Prisma.sql`s."studyDate"`;
  const where: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.institution) where.push(Prisma.sql`p."institutionId" = ${f.institution}`);
  if (f.physician) {
    // A pseudonym names whichever stored physicians it is the pseudonym of (none: no match).
    const names = freeText.identified
      ? [f.physician]
      : (await db.$queryRaw<{ v: string }[]>`SELECT DISTINCT physician AS v FROM "Study" WHERE physician IS NOT NULL`).map((x) => x.v).filter((v) => freeText.physician(v) === f.physician);
    where.push(Prisma.sql`s.physician = ANY(${names}::text[])`);
  }
  if (f.scanner) where.push(Prisma.sql`s.scanner = ${f.scanner}`);
  if (f.from) where.push(Prisma.sql`${shownDate} >= ${f.from}::date`);
  if (f.to) where.push(Prisma.sql`${shownDate} <= ${f.to}::date`);
  // With a model filter, a study counts through its latest succeeded run of that model.
  if (f.model) where.push(Prisma.sql`r.id IS NOT NULL`);
  const modelCond = f.model ? Prisma.sql`AND x."modelVersionId" = ${f.model}` : Prisma.empty;

  // The summary column is only tested for NULL here, which does not decompress it.
  const [{ rows: metaJson }] = await db.$queryRaw<{ rows: string }[]>`
    SELECT coalesce(json_agg(t), '[]')::text AS rows FROM (
    SELECT s.id AS "studyId", p.pseudonym, i.name AS institution,
           to_char(${shownDate}, 'YYYY-MM-DD') AS "studyDate",
           s.physician, s.scanner,
           CASE WHEN mv.id IS NULL THEN NULL ELSE mv.name || ' ' || mv.version END AS model,
           lr.status::text AS "latestStatus", lr.error AS "latestError",
           r.id AS "runId", (r.summary IS NOT NULL) AS "hasSummary"
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
    WHERE ${Prisma.join(where, ' AND ')}) t`;
  const meta = JSON.parse(metaJson) as MetaRow[];

  const cache = summaryCache();
  const missing = meta.filter((m) => m.hasSummary && m.runId && !cache.has(m.runId)).map((m) => m.runId!);
  for (const s of await readSummaryFields(db, missing)) cache.set(s.id, s);

  return {
    datesShifted: shifted,
    cases: meta.map((r) => {
      const s = r.hasSummary && r.runId ? cache.get(r.runId) : undefined;
      const ok = s?.isObject === true;
      return {
        studyId: r.studyId,
        pseudonym: r.pseudonym,
        institution: r.institution,
        studyDate: r.studyDate,
        dateShifted: shifted,
        physician: freeText.physician(r.physician),
        scanner: r.scanner,
        model: r.model,
        latestRunStatus: r.latestStatus,
        latestRunError: r.latestError,
        hasSummary: ok,
        gtvMedianDice: ok ? s.gtvDice : null,
        gtvMedianHd95Mm: ok ? s.gtvHd95 : null,
        itvDice: ok ? s.itvDice : null,
        itvHd95Mm: ok ? s.itvHd95 : null,
        itvFpCc: ok ? s.itvFpCc : null,
        itvMachineCc: ok ? s.itvMachineCc : null,
        itvPhysicianCc: ok ? s.itvPhysicianCc : null,
        motionMm: ok ? s.motionMm : null,
        flags: (ok && s.flags) || [],
        phaseDice: (ok && s.phaseDice) || [],
        phaseHd95Mm: (ok && s.phaseHd95) || [],
        phaseFpCc: (ok && s.phaseFpCc) || [],
      };
    }),
  };
}
