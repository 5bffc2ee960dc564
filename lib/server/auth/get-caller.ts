/**
 * The signed-in caller for server components, server actions and route handlers. The user is
 * re-read from the database on every request: a deactivated user, a changed role, or a session
 * ended by sign-out (an older session version in the token) takes effect at once, not when the
 * JWT expires (find-session-caller.ts).
 */
import { getServerSession } from 'next-auth';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { sessionOptions } from './session-options';
import { db } from '../db/client';
import { clientAddress } from './client-address';
import { findSessionCaller } from './find-session-caller';
import type { Caller } from './roles';

export async function getCaller(): Promise<Caller | null> {
  const session = await getServerSession(sessionOptions);
  const user = session?.user as { id?: unknown; sv?: unknown } | undefined;
  if (!user?.id) return null;
  const h = await headers();
  return findSessionCaller(db(), {
    claims: { userId: user.id, sessionVersion: user.sv },
    ip: clientAddress((name) => h.get(name)),
    userAgent: h.get('user-agent') ?? undefined,
  });
}

/** For pages: the caller, or a redirect to /login. */
export async function requireCaller(): Promise<Caller> {
  const caller = await getCaller();
  if (!caller) redirect('/login');
  return caller;
}
