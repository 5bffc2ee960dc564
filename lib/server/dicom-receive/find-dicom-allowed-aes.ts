/** The calling AE titles the listener accepts: from $ISEG_DICOM_ALLOWED_AETS (read-only here) and the admin's list. */
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';

export interface DicomAllowedAes {
  fromEnvironment: string[];
  fromAdmin: { aeTitle: string; note: string | null; createdAt: Date; createdByEmail: string | null }[];
}

export async function findDicomAllowedAes(db: Db, options: { caller: Caller | null | undefined; envAllowed: readonly string[] }): Promise<DicomAllowedAes> {
  authorize(options.caller, 'dicom-receive:view');
  const rows = await db.dicomAllowedAe.findMany({ orderBy: { aeTitle: 'asc' } });
  return { fromEnvironment: [...options.envAllowed], fromAdmin: rows };
}
