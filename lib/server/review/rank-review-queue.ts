/**
 * The review queue's order in SQL, without reading every case: each study's latest succeeded run,
 * its pseudonym and its three ranking numbers (as ascending sort keys) come from
 * "LatestSucceededRun" (kept by triggers, migration 20261207110000_latest_succeeded_run, one index
 * per criterion), the current decisions are found once (an anti-join on supersedesId) and looked up
 * hashed, and PostgreSQL orders the studies as rankReviewCases (lib/core/review) does: the
 * criterion's number, then the other two, each more discordant first and missing last, then the
 * pseudonym (byte order, COLLATE "C", which is JavaScript's `<` for the ASCII pseudonyms the app
 * writes), then the study id (the order the cases reach rankReviewCases's stable sort in). Only the
 * page's rows leave the database.
 * Internal to lib/server/review: callers authorise first. Used by findReviewQueue (one page) and
 * getReviewCase (position, previous / next); tests/integration/review/queue-ranking-kept.test.ts
 * checks both against the whole queue computed in JavaScript (loadReviewCases).
 */
import type { Db } from '../db/client';
import { Prisma } from '../db/generated/client';
import type { ReviewCriterion } from '@/lib/core/review/rank-review-cases';

/**
 * SQL ORDER BY of each criterion: rankReviewCases's TIE_BREAK on the kept sort keys (ascending =
 * more discordant first; NULL sorts last ascending), each a prefix served by one of the table's
 * indexes, then the ties.
 */
const ORDER: Record<ReviewCriterion, Prisma.Sql> = {
  'low-dice': Prisma.sql`l."lowDiceKey", l."largeFpKey", l."distantFpKey", l.pseudonym COLLATE "C", l."studyId"`,
  'large-fp': Prisma.sql`l."largeFpKey", l."distantFpKey", l."lowDiceKey", l.pseudonym COLLATE "C", l."studyId"`,
  'distant-fp': Prisma.sql`l."distantFpKey", l."largeFpKey", l."lowDiceKey", l.pseudonym COLLATE "C", l."studyId"`,
};

/** The current decisions: on a run, not corrected by a later one (the anti-join on supersedesId). */
const CURRENT_DECISIONS = Prisma.sql`cur AS (
  SELECT d."studyId", d."runId" FROM "ReviewDecision" d
  WHERE d."runId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "ReviewDecision" c WHERE c."supersedesId" = d.id)
)`;

/** Whether the kept row `l` has a current decision on its run (a hashed lookup in `cur`). */
const DECIDED = Prisma.sql`(l."studyId", l."runId") IN (SELECT cur."studyId", cur."runId" FROM cur)`;

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

/**
 * One page of the ranked queue (`perPage` studies), optionally undecided studies only, with the
 * counts. The page is read in index order (OFFSET / LIMIT over the criterion's index, ties sorted
 * as they come); a shown study's rank in the whole queue is its position among the listed studies
 * plus the excluded (decided) studies ranked before it, numbered together with the page's rows.
 */
export async function rankReviewQueuePage(
  db: Db,
  { criterion, undecidedOnly, page, perPage }: { criterion: ReviewCriterion; undecidedOnly: boolean; page: number; perPage: number },
): Promise<RankedPage> {
  const [counts] = await db.$queryRaw<{ total: bigint; decided: bigint }[]>`
    WITH ${CURRENT_DECISIONS}
    SELECT (SELECT count(*) FROM "LatestSucceededRun") AS total,
           (SELECT count(*) FROM "LatestSucceededRun" l WHERE ${DECIDED}) AS decided`;
  const total = Number(counts!.total);
  const undecided = total - Number(counts!.decided);
  const listed = undecidedOnly ? undecided : total;
  const pageCount = Math.max(1, Math.ceil(listed / perPage));
  const shownPage = Math.min(Math.max(1, Math.trunc(page) || 1), pageCount);
  const offset = (shownPage - 1) * perPage;
  const rows = await db.$queryRaw<{ studyId: string; runId: string; decided: boolean; shown: boolean; rn: bigint }[]>`
    WITH ${CURRENT_DECISIONS}, shown AS (
      SELECT l.*, ${DECIDED} AS decided FROM "LatestSucceededRun" l
      ${undecidedOnly ? Prisma.sql`WHERE NOT ${DECIDED}` : Prisma.empty}
      ORDER BY ${ORDER[criterion]} OFFSET ${offset} LIMIT ${perPage}
    ), excluded AS (
      SELECT l.*, true AS decided FROM "LatestSucceededRun" l WHERE ${undecidedOnly ? DECIDED : Prisma.sql`false`}
    )
    SELECT l."studyId", l."runId", l.decided, l.shown, row_number() OVER (ORDER BY ${ORDER[criterion]}) AS rn
    FROM (SELECT shown.*, true AS shown FROM shown UNION ALL SELECT excluded.*, false FROM excluded) l
    ORDER BY rn`;
  return {
    studies: rows.filter((r) => r.shown).map((r) => ({ studyId: r.studyId, runId: r.runId, undecided: !r.decided, rank: offset + Number(r.rn) })),
    page: shownPage,
    pageCount,
    listed,
    total,
    undecided,
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
    WITH ${CURRENT_DECISIONS}, ranked AS (
      SELECT l."studyId", row_number() OVER (ORDER BY ${ORDER[criterion]}) AS rank, ${DECIDED} AS decided
      FROM "LatestSucceededRun" l
    ), listed AS (
      SELECT r."studyId", r.rank, row_number() OVER w AS pos, count(*) OVER () AS n,
             lag(r."studyId") OVER w AS prev, lead(r."studyId") OVER w AS next
      FROM ranked r ${undecidedOnly ? Prisma.sql`WHERE NOT r.decided OR r."studyId" = ${studyId}` : Prisma.empty}
      WINDOW w AS (ORDER BY r.rank)
    )
    SELECT rank, pos, n, prev, next FROM listed WHERE "studyId" = ${studyId}`;
  const r = rows[0];
  return r ? { rank: Number(r.rank), position: Number(r.pos), queueLength: Number(r.n), previousStudyId: r.prev, nextStudyId: r.next } : null;
}
