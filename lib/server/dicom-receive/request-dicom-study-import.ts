/**
 * "Import now" on the Receive page: asks the listener process to import a received study at once
 * (without waiting for the quiet time, and even when its transfer was interrupted, or to retry a
 * failed import). The listener imports it within a second or two. Audited.
 * @throws AppError FORBIDDEN (permission studies:import), NOT_FOUND, CONFLICT (already importing or imported).
 */
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export async function requestDicomStudyImport(db: Db, options: { caller: Caller | null | undefined; receivedStudyId: string }): Promise<void> {
  const caller = authorize(options.caller, 'studies:import');
  const row = await db.dicomReceivedStudy.findUnique({ where: { id: options.receivedStudyId } });
  if (!row) throw new AppError('NOT_FOUND', `No received study ${options.receivedStudyId}: reload the Receive page.`);
  const updated = await db.dicomReceivedStudy.updateMany({
    where: { id: row.id, state: { in: ['RECEIVING', 'FAILED'] } },
    data: { importRequestedAt: new Date(), importRequestedBy: caller.email },
  });
  if (updated.count === 0) {
    throw new AppError(
      'CONFLICT',
      `Received study ${row.id} is ${row.state.toLowerCase()}: only a study that is receiving or whose import failed can be imported now.`,
    );
  }
  await recordAuditEvent(db, {
    action: 'dicom.import.requested',
    caller,
    target: `dicom-received-study:${row.id}`,
    details: { state: row.state, instanceCount: row.instanceCount },
  });
}
