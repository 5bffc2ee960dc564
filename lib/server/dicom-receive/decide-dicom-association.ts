/**
 * Accept or reject an association to our DICOM listener, and record it (DicomAssociation).
 * Accepted: the called AE title is ours and the calling AE title is on the allow-list
 * ($ISEG_DICOM_ALLOWED_AETS plus the DicomAllowedAe rows the admin page keeps; compared exactly,
 * after trimming spaces, as DICOM compares AE titles). A rejection also writes an audit event
 * `dicom.association.rejected` naming the calling AE title, called AE title and address.
 * Called by the listener process (workers/dicom-node.ts), not by a user: no caller.
 */
import type { Db } from '../db/client';
import { recordAuditEvent } from '../audit/record-audit-event';

export interface DecideDicomAssociationOptions {
  db: Db;
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string | null;
  /** Our AE title ($ISEG_DICOM_AET). */
  ourAeTitle: string;
  /** $ISEG_DICOM_ALLOWED_AETS. */
  envAllowed: readonly string[];
}

export type DicomAssociationDecision =
  { accept: true; associationId: string } | { accept: false; associationId: string; reason: string; calledAeUnknown: boolean };

export async function decideDicomAssociation(options: DecideDicomAssociationOptions): Promise<DicomAssociationDecision> {
  const { db, callingAeTitle, calledAeTitle, remoteAddress, ourAeTitle } = options;
  let reason: string | null = null;
  let calledAeUnknown = false;
  if (calledAeTitle !== ourAeTitle.trim()) {
    reason = `the called AE title "${calledAeTitle}" is not ours ("${ourAeTitle}"): configure the sender's destination with AE title ${ourAeTitle}`;
    calledAeUnknown = true;
  } else {
    const allowed = new Set(options.envAllowed.map((a) => a.trim()));
    if (!allowed.has(callingAeTitle)) {
      const row = await db.dicomAllowedAe.findUnique({ where: { aeTitle: callingAeTitle } });
      if (!row) {
        reason = `the calling AE title "${callingAeTitle}" is not on the allow-list: add it on the admin page (Receive → Allowed AE titles) or to ISEG_DICOM_ALLOWED_AETS`;
      }
    }
  }
  const row = await db.dicomAssociation.create({
    data: { callingAeTitle, calledAeTitle, remoteAddress, accepted: reason === null, rejectReason: reason },
  });
  if (reason !== null) {
    await recordAuditEvent(db, {
      action: 'dicom.association.rejected',
      email: `dicom:${callingAeTitle}`,
      ip: remoteAddress ?? undefined,
      target: `dicom-association:${row.id}`,
      details: { callingAeTitle, calledAeTitle, remoteAddress, reason },
    });
    return { accept: false, associationId: row.id, reason, calledAeUnknown };
  }
  return { accept: true, associationId: row.id };
}
