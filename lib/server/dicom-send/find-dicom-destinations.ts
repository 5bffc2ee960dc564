/**
 * The DICOM destinations: all of them for the admin page (dicom-destinations:manage), the
 * enabled ones for the study page's send form (runs:send).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';

export async function findDicomDestinations(db: Db, { caller, enabledOnly = false }: { caller: Caller | null; enabledOnly?: boolean }) {
  authorize(caller, enabledOnly ? 'runs:send' : 'dicom-destinations:manage');
  return db.dicomDestination.findMany({ where: enabledOnly ? { enabled: true } : {}, orderBy: { name: 'asc' } });
}
