import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { createUser } from '../../lib/server/users/create-user';
import { authenticateUser, MAX_FAILED_SIGN_INS } from '../../lib/server/sign-in/authenticate-user';
import { completeSetup, ensureFirstAdmin, setupPending } from '../../lib/server/users/ensure-first-admin';
import { findCohortCases } from '../../lib/server/cohort/find-cohort-cases';
import { createSegmentationRun } from '../../lib/server/runs/create-segmentation-run';
import type { Caller } from '../../lib/server/auth/roles';
import type { PgBoss } from 'pg-boss';

describe('users, sign-in and the first admin', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('auth');
  });
  afterAll(async () => t.drop());

  it('prints a one-time setup token when no admin exists; the token creates the admin once', async () => {
    const status = await ensureFirstAdmin(t.db, {});
    expect(status.kind).toBe('setup-token');
    if (status.kind !== 'setup-token') return;
    expect(await setupPending(t.db)).toBe(true);
    await expect(completeSetup(t.db, { token: 'wrong', email: 'x@y.org', name: 'X', password: 'long-enough-pw' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await completeSetup(t.db, { token: status.token, email: 'Admin@Example.org', name: 'Admin', password: 'correct horse battery' });
    expect(await setupPending(t.db)).toBe(false);
    await expect(completeSetup(t.db, { token: status.token, email: 'z@y.org', name: 'Z', password: 'long-enough-pw' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const admin = await t.db.user.findUniqueOrThrow({ where: { email: 'admin@example.org' } });
    expect(admin.role).toBe('ADMIN');
    expect(admin.passwordHash).not.toContain('correct horse');
    expect((await ensureFirstAdmin(t.db, {})).kind).toBe('exists');
  });

  it('signs in with the right password, audits success and failure, and locks after repeated failures', async () => {
    await createUser(t.db, { caller: 'bootstrap', input: { email: 'phys@example.org', name: 'Phys', password: 'physicist-pw-1', role: 'PHYSICIST' } });
    const ok = await authenticateUser(t.db, { email: 'PHYS@example.org', password: 'physicist-pw-1', ip: '127.0.0.1' });
    expect(ok).toMatchObject({ ok: true, caller: { role: 'PHYSICIST', email: 'phys@example.org' } });
    expect(await authenticateUser(t.db, { email: 'phys@example.org', password: 'nope' })).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await authenticateUser(t.db, { email: 'ghost@example.org', password: 'nope' })).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    for (let i = 1; i < MAX_FAILED_SIGN_INS - 1; i++) await authenticateUser(t.db, { email: 'phys@example.org', password: 'nope' });
    expect(await authenticateUser(t.db, { email: 'phys@example.org', password: 'nope' })).toEqual({ ok: false, reason: 'LOCKED' });
    // Even the right password is refused while locked.
    expect(await authenticateUser(t.db, { email: 'phys@example.org', password: 'physicist-pw-1' })).toEqual({ ok: false, reason: 'LOCKED' });
    const events = await t.db.auditEvent.findMany({ where: { userEmail: 'phys@example.org' }, orderBy: { id: 'asc' } });
    expect(events.map((e) => e.action)).toContain('auth.sign_in');
    expect(events.filter((e) => e.action === 'auth.sign_in_failed').length).toBeGreaterThanOrEqual(MAX_FAILED_SIGN_INS);
  });

  it('creates the first admin from ISEG_ADMIN_EMAIL / ISEG_ADMIN_PASSWORD when none exists', async () => {
    const other = await createTestDatabase('auth_env_admin');
    try {
      expect(await ensureFirstAdmin(other.db, { email: 'boss@example.org', password: 'env-password-123' })).toEqual({
        kind: 'created-from-env',
        email: 'boss@example.org',
      });
      expect(await authenticateUser(other.db, { email: 'boss@example.org', password: 'env-password-123' })).toMatchObject({
        ok: true,
        caller: { role: 'ADMIN' },
      });
      expect((await ensureFirstAdmin(other.db, { email: 'boss@example.org', password: 'env-password-123' })).kind).toBe('exists');
      expect(await other.db.user.count()).toBe(1);
    } finally {
      await other.drop();
    }
  });

  it('refuses duplicate users, short passwords and non-admin callers', async () => {
    await expect(
      createUser(t.db, { caller: 'bootstrap', input: { email: 'phys@example.org', name: 'Again', password: 'another-pw-1', role: 'REVIEWER' } }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      createUser(t.db, { caller: 'bootstrap', input: { email: 'r@example.org', name: 'R', password: 'short', role: 'REVIEWER' } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const researcher: Caller = { userId: 'x', email: 'r@example.org', name: 'R', role: 'RESEARCHER' };
    await expect(
      createUser(t.db, { caller: researcher, input: { email: 'n@example.org', name: 'N', password: 'long-enough-pw', role: 'ADMIN' } }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('authorisation is enforced in the data-access layer', async () => {
    const none = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };
    await expect(findCohortCases(t.db, { caller: null as unknown as Caller, filters: none })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const reviewer: Caller = { userId: 'r', email: 'rev@example.org', name: 'Rev', role: 'REVIEWER' };
    await expect(findCohortCases(t.db, { caller: reviewer, filters: none })).resolves.toMatchObject({ cases: [] });
    // A reviewer may not enqueue jobs; the check happens before the queue is touched.
    await expect(createSegmentationRun(t.db, {} as PgBoss, { caller: reviewer, studyId: 'any', modelDir: 'any' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
