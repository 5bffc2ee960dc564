/**
 * Creating a user is idempotent for a double submission (issue #16 item 7: "one quick double
 * submission was lost"): the same form sent twice, at once or one after the other, creates one
 * user, audits it once, and both requests get that user back; the same email with another
 * name or password is still a CONFLICT that names the email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { createUser } from '@/lib/server/users/create-user';
import { AppError } from '@/lib/server/errors';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

describe('create user: a double submission creates one user', () => {
  let t: TestDatabase;
  let admin: Caller;

  beforeAll(async () => {
    t = await createTestDatabase('create_user_twice');
    const a = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'admin@example.org', name: 'Admin', password: 'admin-password-1', role: 'ADMIN' },
    });
    admin = { userId: a.id, email: a.email, name: 'Admin', role: 'ADMIN', ip: '192.0.2.1', userAgent: 'vitest' };
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('two concurrent identical submissions: one user, one audit event, both get it', async () => {
    const input = { email: 'Twice@Example.org', name: 'Dr Twice', password: 'twice-password-1', role: 'PHYSICIST' as const };
    const results = await Promise.allSettled([createUser(t.db, { caller: admin, input }), createUser(t.db, { caller: admin, input })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const [a, b] = results.map((r) => (r as PromiseFulfilledResult<{ id: string }>).value);
    expect(a.id).toBe(b.id);
    expect(await t.db.user.count({ where: { email: 'twice@example.org' } })).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: 'user.created', target: `user:${a.id}` } })).toBe(1);
  });

  it('a repeated submission after the first finished returns the same user', async () => {
    const input = { email: 'again@example.org', name: 'Dr Again', password: 'again-password-1', role: 'RESEARCHER' as const };
    const first = await createUser(t.db, { caller: admin, input });
    const second = await createUser(t.db, { caller: admin, input });
    expect(second).toEqual(first);
    expect(await t.db.user.count({ where: { email: 'again@example.org' } })).toBe(1);
  });

  it('the same email with another name or password is a conflict naming the email', async () => {
    const input = { email: 'taken@example.org', name: 'Dr Taken', password: 'taken-password-1', role: 'REVIEWER' as const };
    await createUser(t.db, { caller: admin, input });
    for (const other of [
      { ...input, password: 'other-password-1' },
      { ...input, name: 'Someone Else' },
      { ...input, role: 'ADMIN' as const },
    ]) {
      const e = await createUser(t.db, { caller: admin, input: other }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('CONFLICT');
      expect((e as AppError).message).toContain('taken@example.org');
    }
    expect(await t.db.user.count({ where: { email: 'taken@example.org' } })).toBe(1);
  });
});
