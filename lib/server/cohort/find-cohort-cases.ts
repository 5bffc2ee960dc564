/**
 * One row per study for the cohort page: study, patient pseudonym, institution, the latest
 * run's status, and the numbers of the latest succeeded run's summary (the RunSummary row,
 * written with SUCCEEDED); with them, the GTV values of those runs' phases (RunPhaseSummary,
 * ten per study for a 4D CT) pooled into median [IQR] in the same query, so that the phase
 * values themselves never leave the database (docs/benchmarks.md, cohort page). One query;
 * only the columns the page uses leave the database.
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
import type { CaseRunStatus, CohortCase, MedianIqr, PooledPhases } from '../../core/stats/cohort-stats';
import type { CohortFilters } from './find-cohort-cases.types';
import { freeTextPresenter } from '../deid/present-free-text';
import type { RunFlag } from '../db/generated/client';

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
] as const satisfies readonly (keyof Row)[];
type RowColumns = { [K in keyof Row]: Row[K][] | null };
const rowColumnsSql = Prisma.raw(`json_build_object(${ROW_FIELDS.map((k) => `'${k}', json_agg(c."${k}")`).join(', ')})`);

/** One pooled phase value as the query returns it: n finite values, their [q1, median, q3]. */
interface Pooled {
  n: number;
  q: [number, number, number] | null;
}

const fromPooled = ({ n, q }: Pooled): MedianIqr =>
  q === null || n === 0 ? { n: 0, median: null, q1: null, q3: null } : { n, median: q[1], q1: q[0], q3: q[2] };

/**
 * n and the quartiles (R type 7: percentile_cont's linear interpolation, the same arithmetic as
 * lib/core/stats/quantile.ts) of a RunPhaseSummary column's finite values; NULL, NaN and
 * ±Infinity are left out as medianIqr leaves them out.
 */
function pooledSql(column: 'dice' | 'hd95Mm' | 'fpCc'): Prisma.Sql {
  const x = Prisma.raw(`q."${column}"`);
  const finite = Prisma.sql`${x} > '-Infinity'::float8 AND ${x} < 'Infinity'::float8`;
  return Prisma.sql`json_build_object('n', count(*) FILTER (WHERE ${finite}),
    'q', percentile_cont(ARRAY[0.25, 0.5, 0.75]::float8[]) WITHIN GROUP (ORDER BY ${x}) FILTER (WHERE ${finite}))`;
}

/** The one query (see the comment inside), the caller's free-text presenter and whether dates are shifted. */
async function cohortQuery(db: Db, caller: Caller, filters: CohortFilters) {
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

  // One JSON value for all rows: decoding thousands of rows × many columns through the driver
  // costs far more than one JSON string and JSON.parse; as columns it is about half the size of
  // one object per row, and quicker to build and to parse. The study rows are materialised once
  // (c); the pooled GTV values are aggregated over the phases of c's summarised runs. Each
  // study's latest run and latest succeeded run come from one pass over the runs (DISTINCT ON,
  // hash-joined) rather than two index look-ups per study.
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
           (dm."values"->>'volumeCc')::float8 AS "fpDoseCc", (dm."values"->>'volumeBelow95PctCc')::float8 AS "fpBelow95PctRxCc"
    FROM "Study" s
    JOIN "Patient" p ON p.id = s."patientId"
    JOIN "Institution" i ON i.id = p."institutionId"
    LEFT JOIN "PatientIdentity" pi ON pi."patientId" = p.id
    LEFT JOIN (
      SELECT DISTINCT ON (x."studyId") x."studyId", x.status, x.error FROM "SegmentationRun" x
      ORDER BY x."studyId", x."queuedAt" DESC
    ) lr ON lr."studyId" = s.id
    LEFT JOIN (
      SELECT DISTINCT ON (x."studyId") x."studyId", x.id, x."modelVersionId" FROM "SegmentationRun" x
      WHERE x.status = 'SUCCEEDED' ${modelCond}
      ORDER BY x."studyId", x."finishedAt" DESC NULLS LAST
    ) r ON r."studyId" = s.id
    LEFT JOIN "ModelVersion" mv ON mv.id = r."modelVersionId"
    LEFT JOIN "RunSummary" rs ON rs."runId" = r.id
    LEFT JOIN LATERAL (
      SELECT d."values" FROM "DoseMetricResult" d
      WHERE d."studyId" = s.id AND d."runId" = r.id AND d.region = 'FP' AND d."componentIndex" IS NULL AND d.convention = 'iseg'
      ORDER BY d."createdAt" DESC LIMIT 1
    ) dm ON TRUE
    WHERE ${Prisma.join(where, ' AND ')})
    SELECT (SELECT ${rowColumnsSql}::text FROM c) AS rows,
           (SELECT json_build_object(
              'studies', count(DISTINCT q."runId") FILTER (WHERE q.dice IS NOT NULL),
              'dice', ${pooledSql('dice')}, 'hd95Mm', ${pooledSql('hd95Mm')}, 'fpCc', ${pooledSql('fpCc')})::text
            FROM c JOIN "RunPhaseSummary" q ON q."runId" = c."summaryRunId") AS pooled`;
  return { sql, freeText, shifted };
}

/** The query's plan with its timings (EXPLAIN ANALYZE): for bench/dashboard/profile-query.ts. */
export async function explainCohortCases(db: Db, { caller, filters }: { caller: Caller; filters: CohortFilters }): Promise<string> {
  authorize(caller, 'cohort:view');
  const { sql } = await cohortQuery(db, caller, filters);
  return (await db.$queryRaw<{ 'QUERY PLAN': string }[]>`EXPLAIN (ANALYZE, BUFFERS) ${sql}`).map((r) => r['QUERY PLAN']).join('\n');
}

export async function findCohortCases(
  db: Db,
  { caller, filters }: { caller: Caller; filters: CohortFilters },
): Promise<{ cases: CohortCase[]; pooledPhases: PooledPhases; datesShifted: boolean }> {
  authorize(caller, 'cohort:view');
  const { sql, freeText, shifted } = await cohortQuery(db, caller, filters);
  const [{ rows: json, pooled }] = await db.$queryRaw<{ rows: string; pooled: string }[]>(sql);
  const col = JSON.parse(json) as RowColumns;
  const at = <K extends keyof Row>(k: K, i: number) => col[k]![i] as Row[K];
  const p = JSON.parse(pooled) as { studies: number; dice: Pooled; hd95Mm: Pooled; fpCc: Pooled };

  return {
    datesShifted: shifted,
    pooledPhases: { studies: p.studies, dice: fromPooled(p.dice), hd95Mm: fromPooled(p.hd95Mm), fpCc: fromPooled(p.fpCc) },
    cases: (col.studyId ?? []).map((studyId, i) => ({
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
