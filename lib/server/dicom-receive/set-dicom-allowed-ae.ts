/**
 * Add a calling AE title to the listener's allow-list, or remove one (admin page; audited as
 * `dicom.allowed-ae.add` / `dicom.allowed-ae.remove`). Takes effect on the next association.
 * @throws AppError FORBIDDEN (permission dicom-receive:manage-aes), INVALID_INPUT (not an AE title), NOT_FOUND (remove).
 */
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export function parseAeTitle(raw: string): string {
  const ae = raw.trim();
  if (!/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(ae)) {
    throw new AppError(
      'INVALID_INPUT',
      `"${raw}" is not an AE title: use 1-16 printable ASCII characters without a backslash, as configured on the sending system (e.g. ECLIPSE_01).`,
    );
  }
  return ae;
}

export async function setDicomAllowedAe(
  db: Db,
  options: { caller: Caller | null | undefined; aeTitle: string; allowed: boolean; note?: string },
): Promise<void> {
  const caller = authorize(options.caller, 'dicom-receive:manage-aes');
  const aeTitle = parseAeTitle(options.aeTitle);
  if (options.allowed) {
    const note = options.note?.trim() || null;
    await db.$transaction(async (tx) => {
      await tx.dicomAllowedAe.upsert({ where: { aeTitle }, create: { aeTitle, note, createdByEmail: caller.email }, update: { note } });
      await recordAuditEvent(tx, { action: 'dicom.allowed-ae.add', caller, target: `ae:${aeTitle}`, details: { aeTitle, note } });
    });
    return;
  }
  await db.$transaction(async (tx) => {
    const removed = await tx.dicomAllowedAe.deleteMany({ where: { aeTitle } });
    if (removed.count === 0)
      throw new AppError('NOT_FOUND', `"${aeTitle}" is not on the admin's allow-list (titles from ISEG_DICOM_ALLOWED_AETS are changed in the environment).`);
    await recordAuditEvent(tx, { action: 'dicom.allowed-ae.remove', caller, target: `ae:${aeTitle}`, details: { aeTitle } });
  });
}
