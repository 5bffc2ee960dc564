/**
 * Checks an email and password. Failed attempts are counted per user; after
 * MAX_FAILED_SIGN_INS the account is locked for LOCK_MINUTES. Every attempt is audited.
 */
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import { verifyPassword } from '../auth/password';
import { recordAuditEvent } from '../audit/record-audit-event';

export const MAX_FAILED_SIGN_INS = 5;
export const LOCK_MINUTES = 15;

export type AuthenticateResult =
  | { ok: true; caller: Caller }
  | { ok: false; reason: 'INVALID_CREDENTIALS' | 'LOCKED' | 'INACTIVE' };

export async function authenticateUser(
  db: Db,
  { email, password, ip, userAgent }: { email: string; password: string; ip?: string; userAgent?: string },
): Promise<AuthenticateResult> {
  const normalised = email.trim().toLowerCase();
  const user = await db.user.findUnique({ where: { email: normalised } });
  const fail = async (reason: 'INVALID_CREDENTIALS' | 'LOCKED' | 'INACTIVE') => {
    await recordAuditEvent(db, { action: 'auth.sign_in_failed', email: normalised, ip, userAgent, details: { reason } });
    return { ok: false as const, reason };
  };
  if (!user) {
    // Spend the same time as a real check so that response time does not reveal accounts.
    await verifyPassword(password, '$2b$12$C6UzMDM.H6dfI/f/IKcEeO5x6p0Uj8m4ZlU7o5a0lYl5xWZpAi3C2');
    return fail('INVALID_CREDENTIALS');
  }
  if (!user.active) return fail('INACTIVE');
  if (user.lockedUntil && user.lockedUntil > new Date()) return fail('LOCKED');
  if (!(await verifyPassword(password, user.passwordHash))) {
    const failed = user.failedSignIns + 1;
    await db.user.update({
      where: { id: user.id },
      data: {
        failedSignIns: failed >= MAX_FAILED_SIGN_INS ? 0 : failed,
        lockedUntil: failed >= MAX_FAILED_SIGN_INS ? new Date(Date.now() + LOCK_MINUTES * 60_000) : user.lockedUntil,
      },
    });
    return fail(failed >= MAX_FAILED_SIGN_INS ? 'LOCKED' : 'INVALID_CREDENTIALS');
  }
  if (user.failedSignIns > 0 || user.lockedUntil) {
    await db.user.update({ where: { id: user.id }, data: { failedSignIns: 0, lockedUntil: null } });
  }
  const caller: Caller = { userId: user.id, email: user.email, name: user.name, role: user.role, ip, userAgent };
  await recordAuditEvent(db, { action: 'auth.sign_in', caller });
  return { ok: true, caller };
}
