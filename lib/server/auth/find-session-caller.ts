/**
 * The caller behind a session token, or null when the token no longer stands: the user is gone or
 * deactivated, or the token's session version is older than the user's (sign-out, deactivation
 * and a role change bump it: lib/server/sign-in/end-user-sessions.ts, update-user.ts). The role is
 * the one in the database now, not the one in the token.
 */
import type { Db } from '../db/client';
import type { Caller } from './roles';

export interface SessionClaims {
  /** User id (`uid` in the token). */
  userId: unknown;
  /** Session version (`sv` in the token); tokens issued before versions existed have none. */
  sessionVersion: unknown;
}

export async function findSessionCaller(db: Db, { claims, ip, userAgent }: { claims: SessionClaims; ip?: string; userAgent?: string }): Promise<Caller | null> {
  const { userId, sessionVersion } = claims;
  if (typeof userId !== 'string' || !userId || typeof sessionVersion !== 'number') return null;
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user || !user.active || user.sessionVersion !== sessionVersion) return null;
  return { userId: user.id, email: user.email, name: user.name, role: user.role, ip, userAgent };
}
