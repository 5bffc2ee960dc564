/**
 * The caller's own de-identified exports of a study, newest first (the study page's export panel
 * polls this). Another user's exports are not listed: a prepared export belongs to the user who
 * requested it (docs/security.md, "De-identified export").
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { toDeidExportView, type DeidExportView } from './deid-export-view';

export async function findDeidExports(
  db: Db,
  { caller, studyId, take = 5 }: { caller: Caller | null | undefined; studyId: string; take?: number },
): Promise<DeidExportView[]> {
  const who = authorize(caller, 'studies:export-deid');
  const rows = await db.deidExport.findMany({
    where: { studyId, requestedById: who.userId },
    orderBy: { requestedAt: 'desc' },
    take,
  });
  return rows.map(toDeidExportView);
}
