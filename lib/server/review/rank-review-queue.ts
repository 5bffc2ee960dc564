/**
 * The review queue's order in SQL, without reading every case: each study's latest succeeded run
 * and its three ranking numbers come from "LatestSucceededRun" (kept by triggers on the runs and
 * run summaries, migration 20261207110000_latest_succeeded_run), the current decisions are found
 * once (an anti-join on supersedesId) and hash-joined, and PostgreSQL numbers the studies in the
 * order rankReviewCases (lib/core/review) gives: the criterion's number, then the other two, each
 * more discordant first and missing last, then the pseudonym (byte order, COLLATE "C", which is
 * JavaScript's `<` for the ASCII pseudonyms the app writes), then the study id (the order the
 * cases reach rankReviewCases's stable sort in). Only the page's rows leave the database.
 * Internal to lib/server/review: callers authorise first. Used by findReviewQueue (one page) and
 * getReviewCase (position, previous / next); tests/integration/review/queue-ranking-kept.test.ts
 * checks both against the whole queue computed in JavaScript (loadReviewCases).
 */
import type { Db } from '../db/client';
import { Prisma } from '../db/generated/client';
import type { ReviewCriterion } from '@/lib/core/review/rank-review-cases';

/** SQL ORDER BY of each criterion: rankReviewCases's TIE_BREAK with discordanceScore's orientation. */
const ORDER: Record<ReviewCriterion, Prisma.Sql> = {
  'low-dice': Prisma.sql`l."itvDice" ASC NULLS LAST, l."itvFpCc" DESC NULLS LAST, l."maxFpDistanceMm" DESC NULLS LAST`,
  'large-fp': Prisma.sql`l."itvFpCc" DESC NULLS LAST, l."maxFpDistanceMm" DESC NULLS LAST, l."itvDice" ASC NULLS LAST`,
  'distant-fp': Prisma.sql`l."maxFpDistanceMm" DESC NULLS LAST, l."itvFpCc" DESC NULLS LAST, l."itvDice" ASC NULLS LAST`,
};

/** The CTEs `cur` and `ranked` ("studyId", "runId", undecided, rank: 1-based in the whole queue). */
function rankedCte(criterion: ReviewCriterion): Prisma.Sql {
  return Prisma.sql`
    cur AS (
      SELECT DISTINCT d."studyId", d."runId" FROM "ReviewDecision" d
      WHERE d."runId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "ReviewDecision" c WHERE c."supersedesId" = d.id)
    ), ranked AS MATERIALIZED (
      SELECT l."studyId", l."runId", (cur."runId" IS NULL) AS undecided,
             row_number() OVER (ORDER BY ${ORDER[criterion]}, p.pseudonym COLLATE "C", l."studyId") AS rank
      FROM "LatestSucceededRun" l
      JOIN "Study" s ON s.id = l."studyId" JOIN "Patient" p ON p.id = s."patientId"
      LEFT JOIN cur ON cur."studyId" = l."studyId" AND cur."runId" = l."runId"
    )`;
}

export interface RankedStudy {
  studyId: string;
  runId: string;
  undecided: boolean;
  /** 1-based position in the full ranked queue (before any filter). */
  rank: number;
}

export interface RankedPage {
  /** The page's studies in queue order. */
  studies: RankedStudy[];
  /** The page shown (past the end: the last; 1 when nothing is listed) and how many there are. */
  page: number;
  pageCount: number;
  /** Cases after the "undecided only" filter, before it, and undecided. */
  listed: number;
  total: number;
  undecided: number;
}

/** One page of the ranked queue (`perPage` studies), optionally undecided studies only, with the counts. */
export async function rankReviewQueuePage(
  db: Db,
  { criterion, undecidedOnly, page, perPage }: { criterion: ReviewCriterion; undecidedOnly: boolean; page: number; perPage: number },
): Promise<RankedPage> {
  const rows = await db.$queryRaw<
    {
      total: bigint;
      undecided_count: bigint;
      listed: bigint;
      page: number;
      studyId: string | null;
      runId: string | null;
      undecided: boolean | null;
      rank: bigint | null;
    }[]
  >`
    WITH ${rankedCte(criterion)}, listed AS (
      SELECT r.*, row_number() OVER (ORDER BY r.rank) AS pos FROM ranked r WHERE r.undecided OR NOT ${undecidedOnly}
    ), n AS (
      SELECT (SELECT count(*) FROM ranked) AS total, (SELECT count(*) FROM ranked WHERE undecided) AS undecided_count,
             (SELECT count(*) FROM listed) AS listed
    ), pg AS (
      SELECT n.*, LEAST(GREATEST(1, ${page}::int), GREATEST(1, CEIL(n.listed / ${perPage}::numeric)::int)) AS page FROM n
    )
    SELECT pg.total, pg.undecided_count, pg.listed, pg.page, x."studyId", x."runId", x.undecided, x.rank
    FROM pg LEFT JOIN listed x ON x.pos > (pg.page - 1) * ${perPage}::int AND x.pos <= pg.page * ${perPage}::int
    ORDER BY x.pos`;
  const head = rows[0]!;
  const listed = Number(head.listed);
  return {
    studies: rows.flatMap((r) => (r.studyId === null ? [] : [{ studyId: r.studyId, runId: r.runId!, undecided: r.undecided!, rank: Number(r.rank) }])),
    page: head.page,
    pageCount: Math.max(1, Math.ceil(listed / perPage)),
    listed,
    total: Number(head.total),
    undecided: Number(head.undecided_count),
  };
}

export interface RankedNeighbours {
  /** 1-based position of the study in the whole ranked queue (before any filter). */
  rank: number;
  /** 1-based position of the study in the (filtered) queue, and the queue's length. */
  position: number;
  queueLength: number;
  previousStudyId: string | null;
  nextStudyId: string | null;
}

/**
 * Where a study stands in the ranked queue (undecided only: the undecided studies and this one),
 * with the studies before and after it; null when the study has no succeeded run.
 */
export async function rankReviewQueueNeighbours(
  db: Db,
  { criterion, undecidedOnly, studyId }: { criterion: ReviewCriterion; undecidedOnly: boolean; studyId: string },
): Promise<RankedNeighbours | null> {
  const rows = await db.$queryRaw<{ rank: bigint; pos: bigint; n: bigint; prev: string | null; next: string | null }[]>`
    WITH ${rankedCte(criterion)}, listed AS (
      SELECT r."studyId", r.rank, row_number() OVER w AS pos, count(*) OVER () AS n,
             lag(r."studyId") OVER w AS prev, lead(r."studyId") OVER w AS next
      FROM ranked r WHERE r.undecided OR r."studyId" = ${studyId} OR NOT ${undecidedOnly}
      WINDOW w AS (ORDER BY r.rank)
    )
    SELECT rank, pos, n, prev, next FROM listed WHERE "studyId" = ${studyId}`;
  const r = rows[0];
  return r ? { rank: Number(r.rank), position: Number(r.pos), queueLength: Number(r.n), previousStudyId: r.prev, nextStudyId: r.next } : null;
}
