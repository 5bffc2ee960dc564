/**
 * Reads the stored kept cohort of a view (CohortSnapshot; write-cohort-snapshot.ts), checking
 * the sha256 of its bytes. A missing snapshot is null; a corrupt one (digest differs, or it does
 * not decode) is null too, with a log line naming it: the caller then reads the whole cohort, as
 * without a snapshot.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/client';
import { decodeCohortSnapshot, type CohortSnapshotContent } from './cohort-snapshot-format';

export async function readCohortSnapshot(db: Db, { key }: { key: string }): Promise<{ version: bigint; content: CohortSnapshotContent } | null> {
  // As base64 text: the driver turns text into a string far quicker than bytea into bytes (tens of MB).
  const rows = await db.$queryRaw<{ version: bigint; sha256: string; data: string }[]>`
    SELECT "version", "sha256", encode("data", 'base64') AS "data" FROM "CohortSnapshot" WHERE "key" = ${key}`;
  const row = rows[0];
  if (!row) return null;
  const data = Buffer.from(row.data, 'base64');
  const digest = crypto.createHash('sha256').update(data).digest('hex');
  if (digest !== row.sha256) {
    console.error(
      `cohort snapshot ${key} (version ${row.version}): sha256 ${digest} differs from the stored ${row.sha256}; ignored, the whole cohort is read instead`,
    );
    return null;
  }
  try {
    return { version: BigInt(row.version), content: await decodeCohortSnapshot(data) };
  } catch (e) {
    console.error(`cohort snapshot ${key} (version ${row.version}) does not decode (${(e as Error).message}); ignored, the whole cohort is read instead`);
    return null;
  }
}
