/**
 * Stores a kept cohort (its rows and phase values at a data version) as the CohortSnapshot row of
 * its view, with the sha256 of the stored bytes (migration 20261207100000_cohort_snapshot;
 * docs/architecture.md, "Cohort page"). Called by the web process after it read the whole cohort
 * and then every SNAPSHOT_EVERY versions, never on a page's path; a later process reads it
 * (read-cohort-snapshot.ts) instead of reading the whole cohort. An older version never replaces a
 * newer one.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/client';
import { encodeCohortSnapshot, type CohortSnapshotContent } from './cohort-snapshot-format';

export async function writeCohortSnapshot(
  db: Db,
  { key, version, content }: { key: string; version: bigint; content: CohortSnapshotContent },
): Promise<{ bytes: number }> {
  const data = await encodeCohortSnapshot(content);
  const sha256 = crypto.createHash('sha256').update(data).digest('hex');
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  await db.$executeRaw`
    INSERT INTO "CohortSnapshot" ("key", "version", "sha256", "data") VALUES (${key}, ${version}, ${sha256}, ${bytes})
    ON CONFLICT ("key") DO UPDATE SET "version" = EXCLUDED."version", "sha256" = EXCLUDED."sha256", "data" = EXCLUDED."data", "createdAt" = CURRENT_TIMESTAMP
    WHERE "CohortSnapshot"."version" <= EXCLUDED."version"`;
  return { bytes: data.byteLength };
}
