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

export const GENESIS_HASH = '0'.repeat(64);

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
  /** The last row's id and hash: note them to detect later removals from the end. */
  head: { id: string; hash: string | null } | null;
  firstBroken: AuditChainBreak | null;
}

type Sql = <T>(text: string, values: unknown[]) => Promise<T[]>;

interface Row {
  id: string;
  /** ISO 8601, UTC (the column holds UTC without a zone, as Prisma writes it). */
  at: string;
  action: string;
  prevHash: string | null;
  hash: string | null;
  expected: string | null;
}

/** The walk itself, over any SQL runner (Prisma's $queryRawUnsafe or a pg client). */
export async function walkAuditChain(sql: Sql, { batchSize = 5000 }: { batchSize?: number } = {}): Promise<AuditChainReport> {
  let after = '0';
  let prev: string | null = null;
  let first = true;
  let checked = 0;
  let head: AuditChainReport['head'] = null;
  for (;;) {
    const rows = await sql<Row>(
      `SELECT e.id::text AS id, to_char(e.at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, e.action, e."prevHash", e.hash,
              CASE WHEN e."prevHash" IS NULL THEN NULL ELSE "audit_event_hash"(e."prevHash", e) END AS expected
         FROM "AuditEvent" e WHERE e.id > $1::bigint ORDER BY e.id LIMIT $2`,
      [after, batchSize],
    );
    for (const r of rows) {
      checked++;
      head = { id: r.id, hash: r.hash };
      const where = `audit event ${r.id} (${r.action}, ${r.at})`;
      const broken = (reason: AuditChainBreak['reason'], message: string): AuditChainReport => ({
        ok: false,
        checked,
        head,
        firstBroken: { id: r.id, at: new Date(r.at), action: r.action, reason, message: `${where}: ${message}` },
      });
      if (r.hash === null || r.prevHash === null) return broken('NOT_CHAINED', 'has no hash: it was written with the chain trigger disabled or copied in by hand.');
      const wantPrev = first ? GENESIS_HASH : prev;
      if (r.prevHash !== wantPrev)
        return broken(
          'LINK_BROKEN',
          first
            ? 'is the first row left but does not start the chain: earlier rows were removed.'
            : 'does not link to the row before it: a row between them was removed or inserted, or the earlier row was rewritten with a new hash.',
        );
      if (r.hash !== r.expected) return broken('CONTENT_CHANGED', 'its content no longer matches its hash: the row was changed after it was written.');
      prev = r.hash;
      first = false;
      after = r.id;
    }
    if (rows.length < batchSize) return { ok: true, checked, head, firstBroken: null };
  }
}

/** For /admin/audit (permission audit:view). */
export async function verifyAuditChain(db: Db, { caller }: { caller: Caller | null | undefined }): Promise<AuditChainReport> {
  authorize(caller, 'audit:view');
  return walkAuditChain((text, values) => db.$queryRawUnsafe(text, ...values));
}
