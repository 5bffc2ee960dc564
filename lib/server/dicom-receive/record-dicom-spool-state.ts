/**
 * Audit the DICOM spool filling up or having room again (the listener calls this when the spool
 * crosses ISEG_DICOM_SPOOL_MAX_GB or the free-disk floor ISEG_DICOM_SPOOL_MIN_FREE_GB, in either
 * direction): `dicom.spool.full` while new C-STOREs are refused with 0xA700, `dicom.spool.available`
 * when they are taken again. The Receive page measures the spool itself for its banner.
 */
import type { Db } from '../db/client';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { SpoolUsage } from '@/lib/dicom/net/spool-capacity';

export async function recordDicomSpoolState(options: { db: Db; usage: SpoolUsage; spoolDir: string }): Promise<void> {
  const { usage } = options;
  await recordAuditEvent(options.db, {
    action: usage.fullReason ? 'dicom.spool.full' : 'dicom.spool.available',
    email: 'system',
    target: 'dicom-spool',
    details: {
      spoolDir: options.spoolDir,
      usedBytes: usage.usedBytes,
      maxBytes: usage.maxBytes,
      freeBytes: usage.freeBytes,
      minFreeBytes: usage.minFreeBytes,
      reason: usage.fullReason,
    },
  });
}
