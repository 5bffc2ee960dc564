/** Appends one audit event (the table rejects UPDATE and DELETE in the database). */
import type { DbOrTx } from '../db/client';
import type { Caller, Role } from '../auth/roles';

export interface AuditEventInput {
  action: string;
  caller?: Caller | null;
  /** For events without a signed-in caller (failed sign-in). */
  email?: string;
  role?: Role;
  patientId?: string;
  target?: string;
  ip?: string;
  userAgent?: string;
  details?: Record<string, unknown>;
}

export async function recordAuditEvent(db: DbOrTx, e: AuditEventInput): Promise<void> {
  await db.auditEvent.create({
    data: {
      action: e.action,
      userId: e.caller?.userId ?? null,
      userEmail: e.caller?.email ?? e.email ?? null,
      role: e.caller?.role ?? e.role ?? null,
      patientId: e.patientId ?? null,
      target: e.target ?? null,
      ip: e.ip ?? e.caller?.ip ?? null,
      userAgent: e.userAgent ?? e.caller?.userAgent ?? null,
      details: (e.details ?? {}) as object,
    },
  });
}
