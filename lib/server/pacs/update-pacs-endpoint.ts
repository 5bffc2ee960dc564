/**
 * Change a DICOMweb server's settings (permission pacs:manage; audited as `pacs.endpoint.update`
 * with what changed, the password only as "changed" / "removed"). An empty password keeps the
 * stored one; `clearPassword` removes it.
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_INPUT, CONFLICT (the name is taken).
 */
import { recordAuditEvent } from '../audit/record-audit-event';
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { isUniqueViolation } from '../studies/write-study';
import { credentialsKey, sealText } from './credentials-key';
import { parsePacsEndpointInput } from './create-pacs-endpoint';
import type { PacsEndpointInput, PacsEndpointView } from './pacs-endpoint.types';

export async function updatePacsEndpoint(
  db: Db,
  options: { caller: Caller | null | undefined; id: string; input: PacsEndpointInput; dataDir?: string },
): Promise<PacsEndpointView> {
  const caller = authorize(options.caller, 'pacs:manage');
  const input = parsePacsEndpointInput(options.input);
  const before = await db.pacsEndpoint.findUnique({ where: { id: options.id } });
  if (!before) throw new AppError('NOT_FOUND', `No PACS with id ${options.id}: it may have been removed; reload the page.`);
  const passwordEncrypted = input.clearPassword ? null : input.password ? sealText(credentialsKey(options.dataDir), input.password) : before.passwordEncrypted;
  const changes: Record<string, unknown> = {};
  if (input.name !== before.name) changes.name = { from: before.name, to: input.name };
  if (input.baseUrl !== before.baseUrl) changes.baseUrl = { from: before.baseUrl, to: input.baseUrl };
  if (input.username !== before.username) changes.username = { from: before.username, to: input.username };
  if (input.clearPassword && before.passwordEncrypted) changes.password = 'removed';
  else if (!input.clearPassword && input.password) changes.password = 'changed';
  const enabled = input.enabled ?? before.enabled;
  if (enabled !== before.enabled) changes.enabled = { from: before.enabled, to: enabled };
  try {
    return await db.$transaction(async (tx) => {
      const row = await tx.pacsEndpoint.update({
        where: { id: before.id },
        data: { name: input.name, baseUrl: input.baseUrl, username: input.username, passwordEncrypted, enabled },
      });
      await recordAuditEvent(tx, { action: 'pacs.endpoint.update', caller, target: `pacs:${row.id}`, details: { name: row.name, changes } });
      return {
        id: row.id,
        name: row.name,
        baseUrl: row.baseUrl,
        username: row.username,
        hasPassword: row.passwordEncrypted !== null,
        enabled: row.enabled,
        updatedAt: row.updatedAt,
      };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError('CONFLICT', `A PACS named "${input.name}" exists already: choose another name.`);
    throw e;
  }
}
