/**
 * An administrator deactivating their own account (issue #16.10) is asked to confirm: the users
 * page puts a required "Yes, deactivate my own account" box on the admin's own row only, and the
 * server refuses the change without it (a crafted request too). The last active administrator
 * is refused even with it. Real Postgres; only the session lookup is replaced (it needs Next's
 * request context), as in errors/audit-dates.test.ts.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { createUser } from '@/lib/server/users/create-user';
import { updateUser } from '@/lib/server/users/update-user';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({
  getCaller: async () => session.caller,
  requireCaller: async () => {
    if (!session.caller) throw new Error('test: no caller');
    return session.caller;
  },
}));

describe('an administrator deactivating their own account', () => {
  let t: TestDatabase;
  let admin: Caller;
  let other: Caller;
  let Page: (props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) => Promise<React.ReactElement>;

  beforeAll(async () => {
    t = await createTestDatabase('admin_self_deactivate');
    process.env.DATABASE_URL = t.url;
    const a = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'admin@example.org', name: 'Admin', password: 'admin-password-1', role: 'ADMIN' },
    });
    admin = { userId: a.id, email: a.email, name: 'Admin', role: 'ADMIN', ip: '192.0.2.1' };
    const b = await createUser(t.db, { caller: admin, input: { email: 'second@example.org', name: 'Second', password: 'admin-password-2', role: 'ADMIN' } });
    other = { userId: b.id, email: b.email, name: 'Second', role: 'ADMIN' };
    session.caller = admin;
    Page = (await import('@/app/(app)/admin/users/page')).default as typeof Page;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('the users page asks for confirmation on the own row only', async () => {
    const html = renderToStaticMarkup(await Page({ searchParams: Promise.resolve({}) }));
    const boxes = html.match(/data-testid="confirm-self-deactivate"/g) ?? [];
    expect(boxes).toHaveLength(1);
    // The box sits in the form of the admin's own row and is required.
    const ownForm = html.slice(html.indexOf(`value="${admin.userId}"`), html.indexOf(`Deactivate admin@example.org`));
    const box = ownForm.match(/<input type="checkbox"[^>]*>/)?.[0] ?? '';
    expect(box).toContain('name="confirmSelf"');
    expect(box).toContain('required=""');
    expect(ownForm).toContain('Yes, deactivate my own account');
  });

  it('the server refuses it without the confirmation, writing nothing; with it, deactivates and audits', async () => {
    const before = await t.db.auditEvent.count();
    await expect(updateUser(t.db, { caller: admin, input: { change: 'deactivate', userId: admin.userId } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/deactivating your own account \(admin@example.org\).*Tick “Yes, deactivate my own account”/),
    });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: admin.userId } })).active).toBe(true);
    expect(await t.db.auditEvent.count()).toBe(before);
    // Confirmed, with a second active administrator left: deactivated.
    const r = await updateUser(t.db, { caller: admin, input: { change: 'deactivate', userId: admin.userId, confirmSelf: true } });
    expect(r).toMatchObject({ active: false, summary: 'deactivated' });
    expect(await t.db.auditEvent.count({ where: { action: 'user.deactivated', target: `user:${admin.userId}` } })).toBe(1);
  });

  it('the last active administrator is refused even with the confirmation', async () => {
    await expect(updateUser(t.db, { caller: other, input: { change: 'deactivate', userId: other.userId, confirmSelf: true } })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('only active administrator'),
    });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: other.userId } })).active).toBe(true);
  });
});
