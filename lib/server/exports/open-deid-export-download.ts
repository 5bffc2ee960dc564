/**
 * The file of a READY de-identified export, for its requester only (permission
 * studies:export-deid, and the caller is the user who requested it: docs/security.md,
 * "De-identified export"). Checked before the first byte: the export belongs to the study in the
 * link, is READY and not past its expiry, and its file is there with the size recorded when it
 * was written (the sha256 was checked then; it is sent as a header for the client to check).
 * Each download is audited ('study.export.deid.download').
 * @throws AppError UNAUTHORIZED / FORBIDDEN (another user's export), NOT_FOUND (no such export,
 *   or expired and deleted), CONFLICT (not ready yet, or failed), INTERNAL (file missing or altered).
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { VolumeStore } from '../storage/volume-store';
import { assertExportId, exportFilePath } from './export-files';

export interface DeidExportDownload {
  fileName: string;
  sizeBytes: number;
  sha256: string;
  stream: ReadStream;
}

export async function openDeidExportDownload(
  db: Db,
  store: Pick<VolumeStore, 'root'>,
  { caller, studyId, exportId, now = new Date() }: { caller: Caller | null | undefined; studyId: string; exportId: string; now?: Date },
): Promise<DeidExportDownload> {
  const who = authorize(caller, 'studies:export-deid');
  assertExportId(exportId);
  const row = await db.deidExport.findUnique({ where: { id: exportId }, include: { study: { select: { patientId: true } } } });
  if (!row || row.studyId !== studyId) throw new AppError('NOT_FOUND', `Export ${exportId} of study ${studyId} does not exist (a wrong or old link).`);
  if (row.requestedById !== who.userId)
    throw new AppError(
      'FORBIDDEN',
      `Export ${exportId} was prepared for ${row.requestedByEmail}; only the user who requested an export may download it. Prepare your own on the study page.`,
    );
  if (row.state === 'EXPIRED' || (row.state === 'READY' && row.expiresAt && row.expiresAt <= now))
    throw new AppError(
      'NOT_FOUND',
      `Export ${exportId} expired${row.expiresAt ? ` at ${row.expiresAt.toISOString()}` : ''} and its file was deleted; prepare it again.`,
    );
  if (row.state === 'FAILED') throw new AppError('CONFLICT', `Export ${exportId} failed: ${row.error ?? 'no reason recorded'}. Prepare it again.`);
  if (row.state !== 'READY' || row.sizeBytes === null || !row.sha256 || !row.fileName)
    throw new AppError(
      'CONFLICT',
      `Export ${exportId} is not ready yet (${row.state.toLowerCase()}, ${row.filesDone} of ${row.filesTotal ?? '?'} files); download it when the study page shows it ready.`,
    );
  const file = exportFilePath(store.root, exportId);
  const size = await stat(file).then(
    (s) => s.size,
    () => null,
  );
  if (size === null)
    throw new AppError(
      'INTERNAL',
      `Export ${exportId} is READY but its file ${file} is missing; prepare it again (is ISEG_VOLUME_DIR shared by the web server and the workers?).`,
    );
  if (size !== Number(row.sizeBytes))
    throw new AppError('INTERNAL', `Export ${exportId}'s file ${file} has ${size} bytes, not the ${row.sizeBytes} written; it was altered. Prepare it again.`);
  await recordAuditEvent(db, {
    action: 'study.export.deid.download',
    caller: who,
    patientId: row.study.patientId,
    target: `study:${studyId}`,
    details: { exportId, bytes: size, sha256: row.sha256 },
  });
  return { fileName: row.fileName, sizeBytes: size, sha256: row.sha256, stream: createReadStream(file) };
}
