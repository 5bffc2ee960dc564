/**
 * One stored snapshot with its content (docs/outcomes-snapshots.md), its content hash checked
 * against the stored canonical JSON (`verified`). Pseudonyms and days only, as frozen.
 */
import type { Db } from '../db/client';
import { authorize, type Caller, type Role } from '../auth/roles';
import { AppError } from '../errors';
import { isCitableId, snapshotContentHash } from '../../core/snapshots/snapshot-id';
import type { SnapshotContent } from './build-snapshot-content';

export interface AnalysisSnapshot {
  id: string;
  contentHash: string;
  title: string;
  codeVersion: string;
  createdAt: Date;
  createdByEmail: string | null;
  createdByRole: Role | null;
  /** The canonical JSON as stored (its sha256 is contentHash). */
  canonical: string;
  content: SnapshotContent;
  /** sha256(canonical) equals contentHash. */
  verified: boolean;
}

/**
 * @throws AppError UNAUTHORIZED / FORBIDDEN (outcomes:view), NOT_FOUND (no such snapshot)
 */
export async function getAnalysisSnapshot(db: Db, { caller, id }: { caller: Caller; id: string }): Promise<AnalysisSnapshot> {
  authorize(caller, 'outcomes:view');
  const row = isCitableId(id) ? await db.analysisSnapshot.findUnique({ where: { id } }) : null;
  if (!row)
    throw new AppError('NOT_FOUND', `No analysis snapshot "${id.slice(0, 40)}": check the id (ISQ- and 10 letters or digits 2–7) on /outcomes/snapshots.`);
  return {
    id: row.id,
    contentHash: row.contentHash,
    title: row.title,
    codeVersion: row.codeVersion,
    createdAt: row.createdAt,
    createdByEmail: row.createdByEmail,
    createdByRole: row.createdByRole,
    canonical: row.content,
    content: JSON.parse(row.content) as SnapshotContent,
    verified: snapshotContentHash(row.content) === row.contentHash,
  };
}
