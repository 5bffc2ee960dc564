/**
 * The latest retrievals from the PACS (permission studies:import), newest first, with progress
 * (instances fetched of the total the search reported), state, error, findings count and the
 * imported study. The StudyInstanceUID is shown only to roles with identifiers:view.
 */
import { authorize, can, type Caller } from '../auth/roles';
import type { Db } from '../db/client';

export interface PacsRetrievalView {
  id: string;
  pacs: string;
  studyInstanceUid: string | null;
  state: 'QUEUED' | 'RETRIEVING' | 'IMPORTING' | 'IMPORTED' | 'FAILED';
  instancesFetched: number;
  instancesTotal: number | null;
  studyId: string | null;
  alreadyImported: boolean | null;
  error: string | null;
  findingCount: number;
  requestedByEmail: string;
  queuedAt: Date;
  finishedAt: Date | null;
}

export async function findPacsRetrievals(db: Db, options: { caller: Caller | null | undefined; limit?: number; ids?: string[] }): Promise<PacsRetrievalView[]> {
  const caller = authorize(options.caller, 'studies:import');
  const identified = can(caller.role, 'identifiers:view');
  const rows = await db.pacsRetrieval.findMany({
    where: options.ids ? { id: { in: options.ids } } : {},
    orderBy: { queuedAt: 'desc' },
    take: Math.min(options.limit ?? 50, 500),
    include: { endpoint: { select: { name: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    pacs: r.endpoint.name,
    studyInstanceUid: identified ? r.studyInstanceUid : null,
    state: r.state,
    instancesFetched: r.instancesFetched,
    instancesTotal: r.instancesTotal,
    studyId: r.studyId,
    alreadyImported: r.alreadyImported,
    error: r.error,
    findingCount: Array.isArray(r.findings) ? r.findings.length : 0,
    requestedByEmail: r.requestedByEmail,
    queuedAt: r.queuedAt,
    finishedAt: r.finishedAt,
  }));
}
