/**
 * Every view or export of identified data (names, MRNs, birth dates, real dates, real DICOM UIDs)
 * writes one audit event: who (the caller, with role), what (`action`, e.g. 'identity.view' or
 * 'study.export.dicom'), which patient, when (the row's timestamp, set by the database), from
 * where (ip and user agent, from the request headers via getCaller).
 *
 * Call it in the same data-access function that reads the identifiers, after `authorize`, so that
 * no page can show them without a trace. For a list that shows identifiers of many patients, pass
 * all their ids: one event per patient keeps "who saw patient X" a single indexed query.
 */
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import { recordAuditEvent } from './record-audit-event';

export interface IdentifiedAccess {
  caller: Caller;
  /** What was seen or exported, dot-separated: 'identity.view', 'study.view', 'study.export.dicom'. */
  action: string;
  patientIds: readonly string[];
  /** What exactly, e.g. 'study:<id>' or the page path. */
  target?: string;
  details?: Record<string, unknown>;
}

export async function recordIdentifiedAccess(db: Db, a: IdentifiedAccess): Promise<void> {
  const ids = [...new Set(a.patientIds)];
  if (ids.length === 0) return;
  const base = {
    action: a.action,
    userId: a.caller.userId,
    userEmail: a.caller.email,
    role: a.caller.role,
    target: a.target ?? null,
    ip: a.caller.ip ?? null,
    userAgent: a.caller.userAgent ?? null,
    details: { identified: true, ...(a.details ?? {}) } as object,
  };
  if (ids.length === 1) {
    await recordAuditEvent(db, { action: a.action, caller: a.caller, patientId: ids[0], target: a.target, details: base.details as Record<string, unknown> });
    return;
  }
  await db.auditEvent.createMany({ data: ids.map((patientId) => ({ ...base, patientId })) });
}
