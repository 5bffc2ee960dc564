/**
 * The configured DICOMweb servers, without their passwords (whether one is set, only). For the
 * settings page (pacs:manage) and the query page (studies:import; enabled ones only).
 */
import { authorize, can, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import type { PacsEndpointView } from './pacs-endpoint.types';

export async function findPacsEndpoints(db: Db, options: { caller: Caller | null | undefined; enabledOnly?: boolean }): Promise<PacsEndpointView[]> {
  // Admins manage them; importers (physicists, admins) choose one to query.
  if (!(options.caller && can(options.caller.role, 'pacs:manage'))) authorize(options.caller, 'studies:import');
  const rows = await db.pacsEndpoint.findMany({
    where: options.enabledOnly ? { enabled: true } : {},
    orderBy: { name: 'asc' },
    select: { id: true, name: true, baseUrl: true, username: true, passwordEncrypted: true, enabled: true, updatedAt: true },
  });
  return rows.map(({ passwordEncrypted, ...r }) => ({ ...r, hasPassword: passwordEncrypted !== null }));
}
