/**
 * The review queue's order without reading every case: one SQL query returns, per study with a
 * succeeded run, its latest such run (the order loadReviewCases uses: finished last, then queued
 * last, then id), its pseudonym, the three ranking numbers of that run's RunSummary row and
 * whether a current decision exists on it, as one JSON array per column in study-id order; the
 * ranking itself is rankReviewCases, as for the whole queue. Internal to lib/server/review:
 * callers authorise first. Used by findReviewQueue when it shows one page.
 */
import type { Db } from '../db/client';
import { rankReviewCases, type ReviewCriterion } from '@/lib/core/review/rank-review-cases';
import type { CaseKeyNumbers } from '@/lib/core/review/case-key-numbers';

export interface RankedStudy {
  studyId: string;
  runId: string;
  pseudonym: string;
  /** The ranking numbers only (keyNumbersFromSummary's values); null without a summary row. */
  numbers: Pick<CaseKeyNumbers, 'itvDice' | 'itvFpCc' | 'maxFpDistanceMm'> | null;
  undecided: boolean;
  /** 1-based position in the full ranked queue. */
  rank: number;
}

interface Columns {
  studyId: string[];
  runId: string[];
  pseudonym: string[];
  hasSummary: boolean[];
  itvDice: (number | null)[];
  itvFpCc: (number | null)[];
  maxFpDistanceMm: (number | null)[];
  decided: boolean[];
}

export async function rankReviewQueue(db: Db, { criterion }: { criterion: ReviewCriterion }): Promise<RankedStudy[]> {
  // The current decisions are found once (an anti-join on supersedesId) and hash-joined, not
  // looked up per study; the columns are built from one sort by study id, not one per column.
  const [{ j }] = await db.$queryRaw<{ j: string | null }[]>`
    WITH lr AS (
      SELECT DISTINCT ON (x."studyId") x."studyId", x.id AS "runId"
      FROM "SegmentationRun" x WHERE x.status = 'SUCCEEDED'
      ORDER BY x."studyId", x."finishedAt" DESC NULLS LAST, x."queuedAt" DESC, x.id DESC
    ), cur AS (
      SELECT DISTINCT d."studyId", d."runId" FROM "ReviewDecision" d
      WHERE NOT EXISTS (SELECT 1 FROM "ReviewDecision" c WHERE c."supersedesId" = d.id)
    ), q AS (
      SELECT s.id AS "studyId", lr."runId", p.pseudonym, (rs."runId" IS NOT NULL) AS "hasSummary",
             rs."itvDice", rs."itvFpCc", rs."itvMaxFpDistanceMm" AS "maxFpDistanceMm", (cur."runId" IS NOT NULL) AS decided
      FROM lr JOIN "Study" s ON s.id = lr."studyId" JOIN "Patient" p ON p.id = s."patientId"
      LEFT JOIN "RunSummary" rs ON rs."runId" = lr."runId"
      LEFT JOIN cur ON cur."studyId" = s.id AND cur."runId" = lr."runId"
      ORDER BY s.id
    )
    SELECT json_build_object('studyId', json_agg(q."studyId"), 'runId', json_agg(q."runId"),
      'pseudonym', json_agg(q.pseudonym), 'hasSummary', json_agg(q."hasSummary"),
      'itvDice', json_agg(q."itvDice"), 'itvFpCc', json_agg(q."itvFpCc"),
      'maxFpDistanceMm', json_agg(q."maxFpDistanceMm"), 'decided', json_agg(q.decided))::text AS j
    FROM q`;
  if (j === null) return [];
  const c = JSON.parse(j) as Columns;
  if (!c.studyId) return [];
  const rows = c.studyId.map((studyId, i) => {
    const fp = c.itvFpCc[i] ?? null;
    return {
      studyId,
      runId: c.runId[i]!,
      pseudonym: c.pseudonym[i]!,
      // As keyNumbersFromSummary: no FP volume means no FP distance to rank by, 0 when the FP is empty.
      numbers: c.hasSummary[i] ? { itvDice: c.itvDice[i] ?? null, itvFpCc: fp, maxFpDistanceMm: c.maxFpDistanceMm[i] ?? (fp === 0 ? 0 : null) } : null,
      undecided: !c.decided[i],
      rank: 0,
    };
  });
  return rankReviewCases(rows as (RankedStudy & { numbers: CaseKeyNumbers | null })[], criterion).map((r, i) => ({ ...r, rank: i + 1 }));
}
