/**
 * For the study page: the study's succeeded runs with their approval and their sends (state,
 * DICOM status, error, tries), newest first (permission studies:view; the AE title, host and
 * port of a destination are not identifiers).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';

export async function findRunSends(db: Db, { caller, studyId }: { caller: Caller | null; studyId: string }) {
  authorize(caller, 'studies:view');
  return db.segmentationRun.findMany({
    where: { studyId, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: {
      id: true,
      finishedAt: true,
      modelVersion: { select: { name: true, version: true } },
      approval: true,
      dicomSends: {
        orderBy: { queuedAt: 'desc' },
        include: { destination: { select: { name: true, aeTitle: true, host: true, port: true } }, tries: { orderBy: { attempt: 'asc' } } },
      },
    },
  });
}
