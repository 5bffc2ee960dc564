/**
 * One row per study for the cohort page: study, patient pseudonym, institution, the latest
 * run's status, and the numbers of the latest succeeded run's summary (the RunSummary row,
 * written with SUCCEEDED); with them, each study's GTV phase values of that run (RunPhaseSummary,
 * ten per study for a 4D CT; the finite ones), which lib/core/stats/phase-pool.ts pools into
 * median [IQR] and the web process keeps sorted, so that a change to a few studies updates the
 * pooled values without reading the others (docs/architecture.md, "Cohort page"). One query;
 * only the columns the page uses leave the database. `findCohortRows` can read a given set of
 * studies only (those a data version changed).
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
import type { CaseRunStatus, CohortCase, PooledPhases } from '../../core/stats/cohort-stats';
import type { CohortFilters } from './find-cohort-cases.types';
import { freeTextPresenter } from '../deid/present-free-text';
import type { RunFlag } from '../db/generated/client';
import { poolPhases, pooledPhases, type StudyPhases } from '../../core/stats/phase-pool';

/** One study as the query returns it; the summary fields are the RunSummary columns. */
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
  /** The latest succeeded run (of the filtered model) has a summary row. */
  hasSummary: boolean;
  gtvMedianDice: number | null;
  gtvMedianHd95Mm: number | null;
  itvDice: number | null;
  itvHd95Mm: number | null;
  itvFpCc: number | null;
  itvMachineCc: number | null;
  itvPhysicianCc: number | null;
  motionMm: number | null;
  flags: RunFlag[] | null;
  gtvMinDice: number | null;
  itvLargestFpRegionCc: number | null;
  itvMaxFpDistanceMm: number | null;
  /** The study has a dose grid; the FP region's dose row of the summarised run (docs/dose.md). */
  hasDose: boolean;
  fpDoseCc: number | null;
  fpBelow95PctRxCc: number | null;
  /** The summarised run's phases: any Dice stored (not null), and the finite Dice, HD95 and FP values. */
  anyDice: boolean;
  phaseDice: number[] | null;
  phaseHd95Mm: number[] | null;
  phaseFpCc: number[] | null;
}

/** The query returns the rows as columns (one JSON array per field): no key repeated per row. */
const ROW_FIELDS = [
  'studyId',
  'pseudonym',
  'institution',
  'studyDate',
  'physician',
  'scanner',
  'model',
  'latestStatus',
  'latestError',
  'hasSummary',
  'gtvMedianDice',
  'gtvMedianHd95Mm',
  'itvDice',
  'itvHd95Mm',
  'itvFpCc',
  'itvMachineCc',
  'itvPhysicianCc',
  'motionMm',
  'flags',
  'gtvMinDice',
  'itvLargestFpRegionCc',
  'itvMaxFpDistanceMm',
  'hasDose',
  'fpDoseCc',
  'fpBelow95PctRxCc',
  'anyDice',
  'phaseDice',
  'phaseHd95Mm',
  'phaseFpCc',
] as const satisfies readonly (keyof Row)[];
type RowColumns = { [K in keyof Row]: Row[K][] | null };
const rowColumnsSql = Prisma.raw(`json_build_object(${ROW_FIELDS.map((k) => `'${k}', json_agg(c."${k}")`).join(', ')})`);

/** A RunPhaseSummary column's finite values (NULL, NaN and ±Infinity left out, as medianIqr leaves them out). */
function phaseValuesSql(column: 'dice' | 'hd95Mm' | 'fpCc'): Prisma.Sql {
  const x = Prisma.raw(`q."${column}"`);
  return Prisma.sql`json_agg(${x}) FILTER (WHERE ${x} > '-Infinity'::float8 AND ${x} < 'Infinity'::float8)`;
}

/** The one query (see the comment inside), the caller's free-text presenter and whether dates are shifted. */
async function cohortQuery(db: Db, caller: Caller, filters: CohortFilters, studyIds?: readonly string[]) {
  const shifted = !can(caller.role, 'identifiers:view');
  const f = filters;
  const freeText = await freeTextPresenter(db, caller);
  // The date the caller sees: real for roles with identifiers:view, else shifted per patient.
  const shownDate = shifted ? Prisma.sql`(s."studyDate" + pi."dateShiftDays")` : Prisma.sql`s."studyDate"`;
  const where: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (studyIds) where.push(Prisma.sql`s.id = ANY(${[...studyIds]}::text[])`);
  if (f.institution) where.push(Prisma.sql`p."institutionId" = ${f.institution}`);
  if (f.physician) {
    // A pseudonym names whichever stored physicians it is the pseudonym of (none: no match).
    const names = freeText.identified
      ? [f.physician]
      : (await db.$queryRaw<{ v: string }[]>`SELECT DISTINCT physician AS v FROM "Study" WHERE physician IS NOT NULL`)
          .map((x) => x.v)
          .filter((v) => freeText.physician(v) === f.physician);
    where.push(Prisma.sql`s.physician = ANY(${names}::text[])`);
  }
  if (f.scanner) where.push(Prisma.sql`s.scanner = ${f.scanner}`);
  if (f.from) where.push(Prisma.sql`${shownDate} >= ${f.from}::date`);
  if (f.to) where.push(Prisma.sql`${shownDate} <= ${f.to}::date`);
  // With a model filter, a study counts through its latest succeeded run of that model.
  if (f.model) where.push(Prisma.sql`r.id IS NOT NULL`);
  const modelCond = f.model ? Prisma.sql`AND x."modelVersionId" = ${f.model}` : Prisma.empty;
  // Each summarised run's phase values: for given studies, looked up per run (LATERAL); for the
  // whole cohort, every phase row aggregated once (hash aggregate) rather than 50,000 look-ups.
  const phaseColumns = Prisma.sql`bool_or(q.dice IS NOT NULL) AS "anyDice", ${phaseValuesSql('dice')} AS "phaseDice",
             ${phaseValuesSql('hd95Mm')} AS "phaseHd95Mm", ${phaseValuesSql('fpCc')} AS "phaseFpCc"`;
  const phasesSql = studyIds
    ? Prisma.sql`LATERAL (SELECT q."runId", ${phaseColumns} FROM "RunPhaseSummary" q WHERE q."runId" = rs."runId" GROUP BY q."runId")`
    : Prisma.sql`(SELECT q."runId", ${phaseColumns} FROM "RunPhaseSummary" q GROUP BY q."runId")`;
  // Given studies: their runs only (the planner does not carry s.id = ANY(…) into the DISTINCT ON subqueries).
  const runsOf = studyIds ? Prisma.sql`AND x."studyId" = ANY(${[...studyIds]}::text[])` : Prisma.empty;

  // One JSON value for all rows: decoding thousands of rows × many columns through the driver
  // costs far more than one JSON string and JSON.parse; as columns it is about half the size of
  // one object per row, and quicker to build and to parse. Each study's latest run and latest
  // succeeded run come from one pass over the runs (DISTINCT ON, hash-joined) rather than two
  // index look-ups per study. Each study's phase values come with its row (pooled in the web
  // process, lib/core/stats/phase-pool.ts).
  const sql = Prisma.sql`
    WITH c AS MATERIALIZED (
    SELECT rs."runId" AS "summaryRunId", s.id AS "studyId", p.pseudonym, i.name AS institution,
           to_char(${shownDate}, 'YYYY-MM-DD') AS "studyDate",
           s.physician, s.scanner,
           CASE WHEN mv.id IS NULL THEN NULL ELSE mv.name || ' ' || mv.version END AS model,
           lr.status::text AS "latestStatus", lr.error AS "latestError",
           (rs."runId" IS NOT NULL) AS "hasSummary",
           rs."gtvMedianDice", rs."gtvMedianHd95Mm", rs."itvDice", rs."itvHd95Mm", rs."itvFpCc",
           rs."itvMachineCc", rs."itvPhysicianCc", rs."physicianMotionMaxMm" AS "motionMm", rs.flags,
           rs."gtvMinDice", rs."itvLargestFpRegionCc", rs."itvMaxFpDistanceMm",
           EXISTS (SELECT 1 FROM "DoseGrid" dg WHERE dg."studyId" = s.id) AS "hasDose",
           (dm."values"->>'volumeCc')::float8 AS "fpDoseCc", (dm."values"->>'volumeBelow95PctCc')::float8 AS "fpBelow95PctRxCc",
           COALESCE(ph."anyDice", FALSE) AS "anyDice", ph."phaseDice", ph."phaseHd95Mm", ph."phaseFpCc"
    FROM "Study" s
    JOIN "Patient" p ON p.id = s."patientId"
    JOIN "Institution" i ON i.id = p."institutionId"
    LEFT JOIN "PatientIdentity" pi ON pi."patientId" = p.id
    LEFT JOIN (
      SELECT DISTINCT ON (x."studyId") x."studyId", x.status, x.error FROM "SegmentationRun" x
      WHERE TRUE ${runsOf}
      ORDER BY x."studyId", x."queuedAt" DESC
    ) lr ON lr."studyId" = s.id
    LEFT JOIN (
      SELECT DISTINCT ON (x."studyId") x."studyId", x.id, x."modelVersionId" FROM "SegmentationRun" x
      WHERE x.status = 'SUCCEEDED' ${modelCond} ${runsOf}
      ORDER BY x."studyId", x."finishedAt" DESC NULLS LAST
    ) r ON r."studyId" = s.id
    LEFT JOIN "ModelVersion" mv ON mv.id = r."modelVersionId"
    LEFT JOIN "RunSummary" rs ON rs."runId" = r.id
    LEFT JOIN LATERAL (
      SELECT d."values" FROM "DoseMetricResult" d
      WHERE d."studyId" = s.id AND d."runId" = r.id AND d.region = 'FP' AND d."componentIndex" IS NULL AND d.convention = 'iseg'
      ORDER BY d."createdAt" DESC LIMIT 1
    ) dm ON TRUE
    LEFT JOIN ${phasesSql} ph ON ph."runId" = rs."runId"
    WHERE ${Prisma.join(where, ' AND ')})
    SELECT ${rowColumnsSql}::text AS rows FROM c`;
  return { sql, freeText, shifted };
}

/** The query's plan with its timings (EXPLAIN ANALYZE): for bench/dashboard/profile-query.ts. */
export async function explainCohortCases(db: Db, { caller, filters }: { caller: Caller; filters: CohortFilters }): Promise<string> {
  authorize(caller, 'cohort:view');
  const { sql } = await cohortQuery(db, caller, filters);
  return (await db.$queryRaw<{ 'QUERY PLAN': string }[]>`EXPLAIN (ANALYZE, BUFFERS) ${sql}`).map((r) => r['QUERY PLAN']).join('\n');
}

/** The cohort's rows with each study's phase values (the pooling left to the caller); `studyIds`: only those studies. */
export async function findCohortRows(
  db: Db,
  { caller, filters, studyIds }: { caller: Caller; filters: CohortFilters; studyIds?: readonly string[] },
): Promise<{ cases: CohortCase[]; phases: StudyPhases[]; datesShifted: boolean }> {
  authorize(caller, 'cohort:view');
  const { sql, freeText, shifted } = await cohortQuery(db, caller, filters, studyIds);
  const [{ rows: json }] = await db.$queryRaw<{ rows: string | null }[]>(sql);
  // json_agg over no rows is NULL: the object has null columns then.
  const col = JSON.parse(json ?? '{}') as RowColumns;
  const at = <K extends keyof Row>(k: K, i: number) => col[k]![i] as Row[K];
  const ids = col.studyId ?? [];
  return {
    datesShifted: shifted,
    phases: ids.map((_, i) => ({
      anyDice: at('anyDice', i),
      dice: at('phaseDice', i) ?? [],
      hd95Mm: at('phaseHd95Mm', i) ?? [],
      fpCc: at('phaseFpCc', i) ?? [],
    })),
    cases: ids.map((studyId, i) => ({
      studyId,
      pseudonym: at('pseudonym', i),
      institution: at('institution', i),
      studyDate: at('studyDate', i),
      dateShifted: shifted,
      physician: freeText.physician(at('physician', i)),
      scanner: at('scanner', i),
      model: at('model', i),
      latestRunStatus: at('latestStatus', i),
      latestRunError: at('latestError', i),
      hasSummary: at('hasSummary', i),
      gtvMedianDice: at('gtvMedianDice', i),
      gtvMedianHd95Mm: at('gtvMedianHd95Mm', i),
      itvDice: at('itvDice', i),
      itvHd95Mm: at('itvHd95Mm', i),
      itvFpCc: at('itvFpCc', i),
      itvMachineCc: at('itvMachineCc', i),
      itvPhysicianCc: at('itvPhysicianCc', i),
      motionMm: at('motionMm', i),
      flags: at('flags', i) ?? [],
      gtvMinDice: at('gtvMinDice', i),
      itvLargestFpRegionCc: at('itvLargestFpRegionCc', i),
      itvMaxFpDistanceMm: at('itvMaxFpDistanceMm', i),
      hasDose: at('hasDose', i),
      fpDoseCc: at('fpDoseCc', i),
      fpBelow95PctRxCc: at('fpBelow95PctRxCc', i),
    })),
  };
}

export async function findCohortCases(
  db: Db,
  { caller, filters }: { caller: Caller; filters: CohortFilters },
): Promise<{ cases: CohortCase[]; pooledPhases: PooledPhases; datesShifted: boolean }> {
  const { cases, phases, datesShifted } = await findCohortRows(db, { caller, filters });
  return { cases, datesShifted, pooledPhases: pooledPhases(poolPhases(phases)) };
}
