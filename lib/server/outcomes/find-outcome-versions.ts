/**
 * The outcomes versions, newest first (permission `outcomes:import`): who, when, which file and
 * sha256, rows added/changed/unchanged/removed, and for a restore the version it brought back.
 * No identifiers: the history names patients by id only, and this list by counts only.
 */
import type { Db } from '../db/client';
import { authorize, type Caller, type Role } from '../auth/roles';

export interface OutcomeVersionRow {
  id: number;
  at: Date;
  kind: 'import' | 'restore';
  userEmail: string | null;
  role: Role | null;
  fileName: string | null;
  sha256: string | null;
  identifierColumn: string | null;
  rowsAdded: number;
  rowsChanged: number;
  rowsUnchanged: number;
  rowsRemoved: number;
  restoredFromId: number | null;
}

export const OUTCOME_VERSIONS_PAGE_SIZE = 50;

export async function findOutcomeVersions(
  db: Db,
  { caller, page = 1 }: { caller: Caller | null | undefined; page?: number },
): Promise<{ versions: OutcomeVersionRow[]; total: number; page: number; pageSize: number }> {
  authorize(caller, 'outcomes:import');
  const p = Number.isInteger(page) && page > 0 ? page : 1;
  const [rows, total] = await Promise.all([
    db.outcomeVersion.findMany({ orderBy: { id: 'desc' }, skip: (p - 1) * OUTCOME_VERSIONS_PAGE_SIZE, take: OUTCOME_VERSIONS_PAGE_SIZE }),
    db.outcomeVersion.count(),
  ]);
  return {
    versions: rows.map(({ userId: _userId, ...r }) => ({ ...r, kind: r.kind === 'restore' ? ('restore' as const) : ('import' as const) })),
    total,
    page: p,
    pageSize: OUTCOME_VERSIONS_PAGE_SIZE,
  };
}
