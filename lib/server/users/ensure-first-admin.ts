/**
 * The first admin comes from ISEG_ADMIN_EMAIL / ISEG_ADMIN_PASSWORD, or, when those are unset
 * and no admin exists, from a one-time setup token that `npm start` prints. Only the token's
 * sha256 is stored; using it at /setup creates the admin and burns the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { createUser } from './create-user';

const SETUP_KEY = 'setup-token';

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export type FirstAdminStatus = { kind: 'exists' } | { kind: 'created-from-env'; email: string } | { kind: 'setup-token'; token: string };

export async function ensureFirstAdmin(db: Db, { email, password }: { email?: string; password?: string }): Promise<FirstAdminStatus> {
  const admins = await db.user.count({ where: { role: 'ADMIN', active: true } });
  if (admins > 0) return { kind: 'exists' };
  if (email && password) {
    await createUser(db, { caller: 'bootstrap', input: { email, password, name: 'Administrator', role: 'ADMIN' } });
    return { kind: 'created-from-env', email };
  }
  // A new token each start: only its hash is kept, so an old printout cannot be reused.
  const token = randomBytes(18).toString('base64url');
  await db.setting.upsert({
    where: { key: SETUP_KEY },
    create: { key: SETUP_KEY, value: { sha256: sha256(token), createdAt: new Date().toISOString() } },
    update: { value: { sha256: sha256(token), createdAt: new Date().toISOString() } },
  });
  return { kind: 'setup-token', token };
}

/** Creates the first admin with a valid setup token; the token is deleted in the same transaction. */
export async function completeSetup(db: Db, input: { token: string; email: string; name: string; password: string }): Promise<{ email: string }> {
  // bcrypt (cost 12, pure JS) inside the transaction takes seconds on a loaded machine: more than
  // Prisma's default 5 s for an interactive transaction, which closed it and failed the setup.
  return db.$transaction(
    async (tx) => {
      const row = await tx.setting.findUnique({ where: { key: SETUP_KEY } });
      const expected = (row?.value as { sha256?: string } | null)?.sha256;
      const given = Buffer.from(sha256(input.token));
      if (!expected || !timingSafeEqual(Buffer.from(expected), given)) {
        throw new AppError('FORBIDDEN', 'The setup token is not valid. Restart the server to print a new one.');
      }
      if ((await tx.user.count({ where: { role: 'ADMIN' } })) > 0) {
        throw new AppError('CONFLICT', 'An administrator already exists; sign in instead.');
      }
      await tx.setting.delete({ where: { key: SETUP_KEY } });
      const user = await createUser(tx, {
        caller: 'bootstrap',
        input: { email: input.email, name: input.name, password: input.password, role: 'ADMIN' },
      });
      return { email: user.email };
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
}

export async function setupPending(db: Db): Promise<boolean> {
  return (await db.setting.count({ where: { key: SETUP_KEY } })) > 0 && (await db.user.count({ where: { role: 'ADMIN' } })) === 0;
}
