/**
 * Add a DICOMweb server (permission pacs:manage; audited as `pacs.endpoint.create` with the name,
 * URL and user, never the password). The password is sealed under the install's credentials key
 * (credentials-key.ts) before it reaches the database.
 * @throws AppError FORBIDDEN, INVALID_INPUT (naming the field), CONFLICT (the name is taken).
 */
import { recordAuditEvent } from '../audit/record-audit-event';
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { isUniqueViolation } from '../studies/write-study';
import { credentialsKey, sealText } from './credentials-key';
import { PacsEndpointInputSchema, type PacsEndpointInput, type PacsEndpointView } from './pacs-endpoint.types';

export function parsePacsEndpointInput(input: PacsEndpointInput) {
  const r = PacsEndpointInputSchema.safeParse(input);
  if (!r.success) throw new AppError('INVALID_INPUT', r.error.issues.map((i) => i.message).join(' '));
  return r.data;
}

export async function createPacsEndpoint(
  db: Db,
  options: { caller: Caller | null | undefined; input: PacsEndpointInput; dataDir?: string },
): Promise<PacsEndpointView> {
  const caller = authorize(options.caller, 'pacs:manage');
  const input = parsePacsEndpointInput(options.input);
  const passwordEncrypted = input.password ? sealText(credentialsKey(options.dataDir), input.password) : null;
  try {
    return await db.$transaction(async (tx) => {
      const row = await tx.pacsEndpoint.create({
        data: { name: input.name, baseUrl: input.baseUrl, username: input.username, passwordEncrypted, enabled: input.enabled ?? true },
      });
      await recordAuditEvent(tx, {
        action: 'pacs.endpoint.create',
        caller,
        target: `pacs:${row.id}`,
        details: { name: row.name, baseUrl: row.baseUrl, username: row.username, password: passwordEncrypted ? 'set' : 'none', enabled: row.enabled },
      });
      return {
        id: row.id,
        name: row.name,
        baseUrl: row.baseUrl,
        username: row.username,
        hasPassword: passwordEncrypted !== null,
        enabled: row.enabled,
        updatedAt: row.updatedAt,
      };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError('CONFLICT', `A PACS named "${input.name}" exists already: choose another name or edit that one.`);
    throw e;
  }
}
