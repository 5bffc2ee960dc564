/**
 * A PacsEndpoint row as the DICOMweb client's target: its password opened with the install's
 * credentials key. Not an operation (no caller): only the authorised PACS operations call it.
 */
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { DicomWebTarget } from '../dicomweb/dicomweb-request';
import { credentialsKey, openText } from './credentials-key';

export async function pacsTarget(
  db: Db,
  endpointId: string,
  options: { dataDir?: string; requireEnabled?: boolean } = {},
): Promise<DicomWebTarget & { id: string }> {
  const row = await db.pacsEndpoint.findUnique({ where: { id: endpointId } });
  if (!row) throw new AppError('NOT_FOUND', `No PACS with id ${endpointId}: choose one of the configured PACS (an admin adds them on the PACS settings page).`);
  if (options.requireEnabled !== false && !row.enabled)
    throw new AppError('INVALID_INPUT', `PACS "${row.name}" is disabled: an admin enables it on the PACS settings page.`);
  let password: string | null = null;
  if (row.passwordEncrypted) {
    password = openText(credentialsKey(options.dataDir), row.passwordEncrypted);
    if (password === null) {
      throw new AppError(
        'INVALID_INPUT',
        `The stored password of PACS "${row.name}" cannot be read with this installation's credentials key ($ISEG_DATA_DIR/credentials-key was replaced or the data folder moved): an admin enters it again on the PACS settings page.`,
      );
    }
  }
  return { id: row.id, name: row.name, baseUrl: row.baseUrl, username: row.username, password };
}
