/**
 * Verifies the audit log's hash chain (migration 20261206090810): walks every row in id order
 * and checks that its prevHash is the previous row's hash (64 zeros for the first row) and that
 * its hash is sha256(prevHash || its canonical content), recomputed by the database's own
 * `audit_event_hash`. Reports the first broken row: a changed row fails its own hash, a removed
 * or inserted row breaks the link of the row after it, a row written with the trigger disabled
 * has no hash. Rows removed from the end leave no trace in the chain itself: compare the head
 * (last id and hash, shown on /admin/audit and by `iseg-qa doctor`) with one noted earlier.
 *
 * Runs as the app's role (it only reads). `iseg-qa doctor` and /admin/audit call it.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';

const GENESIS_HASH = '0'.repeat(64);

export interface AuditChainBreak {
  id: string;
  at: Date;
  action: string;
  reason: 'CONTENT_CHANGED' | 'LINK_BROKEN' | 'NOT_CHAINED';
  message: string;
}

export interface AuditChainReport {
  ok: boolean;
  /** Rows checked (all of them when ok; up to and including the first broken one otherwise). */
  checked: number;
  /** The last row's id and hash, to note down to detect later removals from the end (null when broken or empty). */
  head: { id: string; hash: string | null } | null;
  firstBroken: AuditChainBreak | null;
}

type Sql = <T>(text: string, values: unknown[]) => Promise<T[]>;

interface Batch {
  n: number;
  lastId: string | null;
  lastHash: string | null;
  /** The first row of the batch that fails a check, if any. */
  id: string | null;
  /** ISO 8601, UTC (the column holds UTC without a zone, as Prisma writes it). */
  at: string | null;
  action: string | null;
  position: number | null;
  prevHash: string | null;
  hash: string | null;
  expected: string | null;
}

/**
 * One batch of rows after `after`, checked in the database (only the first failing row and the
 * batch's last row come back): `before` is the hash the batch's first row must link to.
 */
const BATCH_SQL = `
  WITH b AS (
    SELECT e.id, e.at, e.action, e."prevHash", e.hash,
           CASE WHEN e."prevHash" IS NULL THEN NULL ELSE "audit_event_hash"(e."prevHash", e) END AS expected,
           COALESCE(lag(e.hash) OVER (ORDER BY e.id), $3::text) AS before,
           row_number() OVER (ORDER BY e.id) AS position
      FROM "AuditEvent" e WHERE e.id > $1::bigint ORDER BY e.id LIMIT $2
  ), bad AS (
    SELECT * FROM b
     WHERE b.hash IS NULL OR b."prevHash" IS NULL OR b."prevHash" IS DISTINCT FROM b.before OR b.hash IS DISTINCT FROM b.expected
     ORDER BY b.id LIMIT 1
  ), last AS (SELECT b.id, b.hash FROM b ORDER BY b.id DESC LIMIT 1)
  SELECT (SELECT count(*)::int FROM b) AS n, (SELECT id::text FROM last) AS "lastId", (SELECT hash FROM last) AS "lastHash",
         bad.id::text AS id, to_char(bad.at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, bad.action, bad.position::int AS position,
         bad."prevHash", bad.hash, bad.expected
    FROM (SELECT 1) one LEFT JOIN bad ON true`;

/** The walk itself, over any SQL runner (Prisma's $queryRawUnsafe or a pg client). */
export async function walkAuditChain(sql: Sql, { batchSize = 10_000 }: { batchSize?: number } = {}): Promise<AuditChainReport> {
  let after = '0';
  let prev = GENESIS_HASH;
  let first = true;
  let checked = 0;
  let head: AuditChainReport['head'] = null;
  for (;;) {
    const [b] = await sql<Batch>(BATCH_SQL, [after, batchSize, prev]);
    if (b.id !== null) {
      const position = b.position!;
      const where = `audit event ${b.id} (${b.action}, ${b.at})`;
      const broken = (reason: AuditChainBreak['reason'], message: string): AuditChainReport => ({
        ok: false,
        checked: checked + position,
        head: null,
        firstBroken: { id: b.id!, at: new Date(b.at!), action: b.action!, reason, message: `${where}: ${message}` },
      });
      if (b.hash === null || b.prevHash === null)
        return broken('NOT_CHAINED', 'has no hash: it was written with the chain trigger disabled or copied in by hand.');
      if (b.hash === b.expected)
        return broken(
          'LINK_BROKEN',
          first && position === 1
            ? 'is the first row left but does not start the chain: earlier rows were removed.'
            : 'does not link to the row before it: a row between them was removed or inserted, or the earlier row was rewritten with a new hash.',
        );
      return broken('CONTENT_CHANGED', 'its content no longer matches its hash: the row was changed after it was written.');
    }
    checked += b.n;
    if (b.lastId !== null) {
      head = { id: b.lastId, hash: b.lastHash };
      after = b.lastId;
      prev = b.lastHash!;
      first = false;
    }
    if (b.n < batchSize) return { ok: true, checked, head, firstBroken: null };
  }
}

/** For /admin/audit (permission audit:view). */
export async function verifyAuditChain(db: Db, { caller }: { caller: Caller | null | undefined }): Promise<AuditChainReport> {
  authorize(caller, 'audit:view');
  return walkAuditChain((text, values) => db.$queryRawUnsafe(text, ...values));
}
