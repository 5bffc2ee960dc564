/** Creates a user (admin only, or the first-admin bootstrap with `caller: 'bootstrap'`). */
import { z } from 'zod';
import type { DbOrTx } from '../db/client';
import { authorize, ROLES, type Caller } from '../auth/roles';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/password';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export const CreateUserInput = z.object({
  email: z.email().transform((e) => e.trim().toLowerCase()),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`),
  role: z.enum(ROLES),
});

export async function createUser(
  db: DbOrTx,
  { caller, input }: { caller: Caller | 'bootstrap'; input: z.input<typeof CreateUserInput> },
): Promise<{ id: string; email: string; role: string }> {
  if (caller !== 'bootstrap') authorize(caller, 'users:manage');
  const parsed = CreateUserInput.safeParse(input);
  if (!parsed.success) throw new AppError('INVALID_INPUT', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { email, name, password, role } = parsed.data;
  const existing = await db.user.findUnique({ where: { email } });
  if (existing) throw new AppError('CONFLICT', `A user with email ${email} already exists.`);
  const user = await db.user.create({ data: { email, name, role, passwordHash: await hashPassword(password) } });
  await recordAuditEvent(db, {
    action: 'user.created',
    caller: caller === 'bootstrap' ? null : caller,
    email: caller === 'bootstrap' ? email : undefined,
    target: `user:${user.id}`,
    details: { email, role, bootstrap: caller === 'bootstrap' },
  });
  return { id: user.id, email: user.email, role: user.role };
}
