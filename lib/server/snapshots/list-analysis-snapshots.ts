/** The stored analysis snapshots, newest first, without their content (docs/outcomes-snapshots.md). */
import type { Db } from '../db/client';
import { authorize, type Caller, type Role } from '../auth/roles';

export interface AnalysisSnapshotSummary {
  id: string;
  contentHash: string;
  title: string;
  event: string;
  rowCount: number;
  codeVersion: string;
  createdAt: Date;
  createdByEmail: string | null;
  createdByRole: Role | null;
}

/** @throws AppError UNAUTHORIZED / FORBIDDEN (outcomes:view) */
export async function listAnalysisSnapshots(db: Db, { caller, take = 200 }: { caller: Caller; take?: number }): Promise<AnalysisSnapshotSummary[]> {
  authorize(caller, 'outcomes:view');
  return db.analysisSnapshot.findMany({
    select: {
      id: true,
      contentHash: true,
      title: true,
      event: true,
      rowCount: true,
      codeVersion: true,
      createdAt: true,
      createdByEmail: true,
      createdByRole: true,
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    take: Math.min(Math.max(1, take), 1000),
  });
}
