/**
 * Sign-out: ends the user's sessions on the server by bumping their session version, so a session
 * token captured before sign-out is refused on its next request (lib/server/auth/find-session-caller.ts).
 * Every session of the user ends, in every browser. Only a token that is still current can do
 * this (a revoked one changes nothing), and the sign-out is audited.
 * @returns whether a session was ended
 */
import type { Db } from '../db/client';
import { recordAuditEvent } from '../audit/record-audit-event';
import { findSessionCaller, type SessionClaims } from '../auth/find-session-caller';

export async function endUserSessions(db: Db, { claims, ip, userAgent }: { claims: SessionClaims; ip?: string; userAgent?: string }): Promise<boolean> {
  const caller = await findSessionCaller(db, { claims, ip, userAgent });
  if (!caller) return false;
  const { count } = await db.user.updateMany({
    where: { id: caller.userId, sessionVersion: claims.sessionVersion as number },
    data: { sessionVersion: { increment: 1 } },
  });
  if (count === 0) return false;
  await recordAuditEvent(db, { action: 'auth.sign_out', caller, target: `user:${caller.userId}` });
  return true;
}
