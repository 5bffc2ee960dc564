/**
 * The signed-in caller for server components, server actions and route handlers. The role is
 * re-read from the database on every request so that a deactivated user or a changed role takes
 * effect at once, not when the JWT expires.
 */
import { getServerSession } from 'next-auth';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { authOptions } from './auth-options';
import { db } from '../db/client';
import type { Caller } from './roles';

export async function getCaller(): Promise<Caller | null> {
  const session = await getServerSession(authOptions);
  const id = (session?.user as { id?: string } | undefined)?.id;
  if (!id) return null;
  const user = await db().user.findUnique({ where: { id } });
  if (!user || !user.active) return null;
  const h = await headers();
  return {
    userId: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    ip: h.get('x-forwarded-for')?.split(',')[0]?.trim() ?? h.get('x-real-ip') ?? undefined,
    userAgent: h.get('user-agent') ?? undefined,
  };
}

/** For pages: the caller, or a redirect to /login. */
export async function requireCaller(): Promise<Caller> {
  const caller = await getCaller();
  if (!caller) redirect('/login');
  return caller;
}
