/**
 * Change a user's role, deactivate or reactivate the account, or lift a sign-in lock (permission
 * users:manage). Each change writes an audit event in the same transaction: who, which user, and
 * for a role change the old and the new role. The last active administrator cannot be demoted or
 * deactivated (nobody could manage users afterwards); an administrator deactivating their own account
 * must confirm it (`confirmSelf`). A role change and a deactivation end the
 * user's sessions (the session version is bumped: lib/server/auth/find-session-caller.ts), so the
 * user signs in again with the new role, or not at all.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, NOT_FOUND (no such user), INVALID_INPUT, CONFLICT.
 */
import { z } from 'zod';
import type { Db } from '../db/client';
import { authorize, ROLES, type Caller, type Role } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export const UpdateUserInput = z.discriminatedUnion('change', [
  z.object({ change: z.literal('role'), userId: z.string().min(1).max(64), role: z.enum(ROLES) }),
  /** `confirmSelf`: an administrator deactivating their own account must say so. */
  z.object({ change: z.literal('deactivate'), userId: z.string().min(1).max(64), confirmSelf: z.boolean().optional() }),
  z.object({ change: z.literal('activate'), userId: z.string().min(1).max(64) }),
  z.object({ change: z.literal('unlock'), userId: z.string().min(1).max(64) }),
]);
export type UpdateUserInput = z.input<typeof UpdateUserInput>;

export interface UpdateUserResult {
  id: string;
  email: string;
  role: Role;
  active: boolean;
  /** What changed, for the page: "role physicist → researcher", "deactivated", … */
  summary: string;
}

export async function updateUser(db: Db, { caller, input }: { caller: Caller | null | undefined; input: unknown }): Promise<UpdateUserResult> {
  const who = authorize(caller, 'users:manage');
  const parsed = UpdateUserInput.safeParse(input);
  if (!parsed.success) {
    throw new AppError(
      'INVALID_INPUT',
      `The change is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'change'}: ${i.message}`).join('; ')}`,
    );
  }
  const change = parsed.data;
  return db.$transaction(async (tx) => {
    // Row lock: two admins changing the same user (or the last two admins) serialise here.
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE id = ${change.userId} FOR UPDATE`;
    if (rows.length === 0) throw new AppError('NOT_FOUND', `No user with id ${change.userId}; reload the users page.`);
    const user = await tx.user.findUniqueOrThrow({ where: { id: change.userId } });
    const losesAdmin = user.role === 'ADMIN' && user.active && ((change.change === 'role' && change.role !== 'ADMIN') || change.change === 'deactivate');
    if (losesAdmin) {
      await tx.$queryRaw`SELECT id FROM "User" WHERE role = 'ADMIN' AND active FOR UPDATE`;
      const admins = await tx.user.count({ where: { role: 'ADMIN', active: true } });
      if (admins <= 1) throw new AppError('CONFLICT', `${user.email} is the only active administrator: make another user an administrator first.`);
    }
    let summary: string;
    let action: string;
    let details: Record<string, unknown>;
    switch (change.change) {
      case 'role':
        if (change.role === user.role) throw new AppError('INVALID_INPUT', `${user.email} already has the ${user.role.toLowerCase()} role.`);
        await tx.user.update({ where: { id: user.id }, data: { role: change.role, sessionVersion: { increment: 1 } } });
        action = 'user.role_changed';
        details = { email: user.email, from: user.role, to: change.role };
        summary = `role ${user.role.toLowerCase()} → ${change.role.toLowerCase()}`;
        break;
      case 'deactivate':
        if (user.id === who.userId && !change.confirmSelf) {
          throw new AppError(
            'INVALID_INPUT',
            `You are deactivating your own account (${user.email}): you would be signed out at once and could not sign in until another administrator reactivates you. Tick “Yes, deactivate my own account” to confirm. Nothing was changed.`,
          );
        }
        await tx.user.update({ where: { id: user.id }, data: { active: false, sessionVersion: { increment: 1 } } });
        action = 'user.deactivated';
        details = { email: user.email };
        summary = 'deactivated';
        break;
      case 'activate':
        await tx.user.update({ where: { id: user.id }, data: { active: true } });
        action = 'user.activated';
        details = { email: user.email };
        summary = 'activated';
        break;
      case 'unlock':
        await tx.user.update({ where: { id: user.id }, data: { failedSignIns: 0, lockedUntil: null } });
        action = 'user.unlocked';
        details = { email: user.email, wasLockedUntil: user.lockedUntil?.toISOString() ?? null };
        summary = 'unlocked';
        break;
    }
    await recordAuditEvent(tx, { action, caller: who, target: `user:${user.id}`, details });
    const after = await tx.user.findUniqueOrThrow({ where: { id: user.id } });
    return { id: after.id, email: after.email, role: after.role, active: after.active, summary };
  });
}
