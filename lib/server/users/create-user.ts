/**
 * Creates a user (admin only, or the first-admin bootstrap with `caller: 'bootstrap'`).
 *
 * Idempotent for a repeated submission: when a user with this email was created in the last
 * REPEAT_WINDOW_MS with the same name, role and password (a double click, a resubmitted form,
 * two concurrent requests), that user is returned and nothing is created or audited twice. Any
 * other existing email is a CONFLICT naming it.
 */
import { z } from 'zod';
import type { DbOrTx } from '../db/client';
import { authorize, ROLES, type Caller } from '../auth/roles';
import { hashPassword, verifyPassword, MIN_PASSWORD_LENGTH } from '../auth/password';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export const CreateUserInput = z.object({
  email: z.email().transform((e) => e.trim().toLowerCase()),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`),
  role: z.enum(ROLES),
});

/** How long after creating a user the same submission counts as a repeat of it. */
export const REPEAT_WINDOW_MS = 120_000;

type CreatedUser = { id: string; email: string; role: string };

/** The existing user when it is this very submission again (see above), else null. */
async function sameSubmission(
  existing: { id: string; email: string; name: string; role: string; passwordHash: string; createdAt: Date },
  { name, role, password }: { name: string; role: string; password: string },
): Promise<CreatedUser | null> {
  if (existing.name !== name || existing.role !== role || Date.now() - existing.createdAt.getTime() > REPEAT_WINDOW_MS) return null;
  if (!(await verifyPassword(password, existing.passwordHash))) return null;
  return { id: existing.id, email: existing.email, role: existing.role };
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'P2002';
}

export async function createUser(
  db: DbOrTx,
  { caller, input }: { caller: Caller | 'bootstrap'; input: z.input<typeof CreateUserInput> },
): Promise<{ id: string; email: string; role: string }> {
  if (caller !== 'bootstrap') authorize(caller, 'users:manage');
  const parsed = CreateUserInput.safeParse(input);
  if (!parsed.success) throw new AppError('INVALID_INPUT', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { email, name, password, role } = parsed.data;
  const conflict = () => new AppError('CONFLICT', `A user with email ${email} already exists: pick another email, or change that user in the list.`);
  const existing = await db.user.findUnique({ where: { email } });
  if (existing) {
    const repeat = await sameSubmission(existing, { name, role, password });
    if (repeat) return repeat;
    throw conflict();
  }
  const passwordHash = await hashPassword(password);
  let user;
  try {
    user = await db.user.create({ data: { email, name, role, passwordHash } });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // A concurrent request created it while the password was hashed.
    const winner = await db.user.findUnique({ where: { email } });
    const repeat = winner && (await sameSubmission(winner, { name, role, password }));
    if (repeat) return repeat;
    throw conflict();
  }
  await recordAuditEvent(db, {
    action: 'user.created',
    caller: caller === 'bootstrap' ? null : caller,
    email: caller === 'bootstrap' ? email : undefined,
    target: `user:${user.id}`,
    details: { email, role, bootstrap: caller === 'bootstrap' },
  });
  return { id: user.id, email: user.email, role: user.role };
}
