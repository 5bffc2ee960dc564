/**
 * User administration and the audit log against real Postgres:
 * - role changes, deactivation and unlocking are audited with who and old → new role; the last
 *   active admin cannot be demoted; only admins may do any of it;
 * - the audit search filters by user, action (prefix), patient pseudonym and date range, pages,
 *   masks UIDs in details for its (non-identifier) readers, and the CSV is formula-safe;
 * - the audit table refuses UPDATE, DELETE and TRUNCATE from the app's own connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { createUser } from '@/lib/server/users/create-user';
import { updateUser } from '@/lib/server/users/update-user';
import { findUsers } from '@/lib/server/users/find-users';
import { authenticateUser, MAX_FAILED_SIGN_INS } from '@/lib/server/sign-in/authenticate-user';
import { findAuditEvents, iterateAuditEvents } from '@/lib/server/audit/find-audit-events';
import { auditCsvHeader, auditCsvLine } from '@/lib/server/audit/format-audit-csv';
import { recordIdentifiedAccess } from '@/lib/server/audit/record-identified-access';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

describe('user administration and the audit log', () => {
  let t: TestDatabase;
  let admin: Caller;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDatabase('admin_audit');
    const a = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'admin@example.org', name: 'Admin', password: 'admin-password-1', role: 'ADMIN' },
    });
    admin = { userId: a.id, email: a.email, name: 'Admin', role: 'ADMIN', ip: '192.0.2.1', userAgent: 'vitest' };
    for (const role of ['PHYSICIST', 'RESEARCHER'] as const) {
      const u = await createUser(t.db, { caller: admin, input: { email: `${role.toLowerCase()}@example.org`, name: role, password: 'user-password-1', role } });
      ids[role] = u.id;
    }
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('changes a role and audits who, which user, and old → new role', async () => {
    const r = await updateUser(t.db, { caller: admin, input: { change: 'role', userId: ids.RESEARCHER, role: 'REVIEWER' } });
    expect(r).toMatchObject({ role: 'REVIEWER', summary: 'role researcher → reviewer' });
    const ev = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'user.role_changed' } });
    expect(ev).toMatchObject({ userId: admin.userId, role: 'ADMIN', ip: '192.0.2.1', userAgent: 'vitest', target: `user:${ids.RESEARCHER}` });
    expect(ev.details).toEqual({ email: 'researcher@example.org', from: 'RESEARCHER', to: 'REVIEWER' });
    await expect(updateUser(t.db, { caller: admin, input: { change: 'role', userId: ids.RESEARCHER, role: 'REVIEWER' } })).rejects.toThrow(
      'already has the reviewer role',
    );
  });

  it('refuses non-admins, bad input and unknown users, writing nothing', async () => {
    const before = await t.db.auditEvent.count();
    const physicist: Caller = { userId: ids.PHYSICIST, email: 'physicist@example.org', name: 'P', role: 'PHYSICIST' };
    await expect(updateUser(t.db, { caller: physicist, input: { change: 'role', userId: ids.PHYSICIST, role: 'ADMIN' } })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(updateUser(t.db, { caller: null, input: { change: 'deactivate', userId: ids.PHYSICIST } })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(findUsers(t.db, { caller: physicist })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(updateUser(t.db, { caller: admin, input: { change: 'role', userId: ids.PHYSICIST, role: 'SUPERUSER' } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(updateUser(t.db, { caller: admin, input: { change: 'explode', userId: ids.PHYSICIST } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(updateUser(t.db, { caller: admin, input: { change: 'deactivate', userId: 'nobody' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await t.db.auditEvent.count()).toBe(before);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: ids.PHYSICIST } })).role).toBe('PHYSICIST');
  });

  it('keeps at least one active administrator', async () => {
    await expect(updateUser(t.db, { caller: admin, input: { change: 'role', userId: admin.userId, role: 'PHYSICIST' } })).rejects.toThrow(
      'only active administrator',
    );
    await expect(updateUser(t.db, { caller: admin, input: { change: 'deactivate', userId: admin.userId } })).rejects.toMatchObject({ code: 'CONFLICT' });
    await updateUser(t.db, { caller: admin, input: { change: 'role', userId: ids.PHYSICIST, role: 'ADMIN' } });
    // with a second admin, the first may step down
    await updateUser(t.db, { caller: admin, input: { change: 'role', userId: ids.PHYSICIST, role: 'PHYSICIST' } });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: ids.PHYSICIST } })).role).toBe('PHYSICIST');
  });

  it('deactivates (sign-in refused), reactivates, and unlocks a locked account, each audited', async () => {
    await updateUser(t.db, { caller: admin, input: { change: 'deactivate', userId: ids.PHYSICIST } });
    expect(await authenticateUser(t.db, { email: 'physicist@example.org', password: 'user-password-1' })).toEqual({ ok: false, reason: 'INACTIVE' });
    await updateUser(t.db, { caller: admin, input: { change: 'activate', userId: ids.PHYSICIST } });
    for (let n = 0; n < MAX_FAILED_SIGN_INS; n++) await authenticateUser(t.db, { email: 'physicist@example.org', password: 'wrong-password' });
    expect(await authenticateUser(t.db, { email: 'physicist@example.org', password: 'user-password-1' })).toEqual({ ok: false, reason: 'LOCKED' });
    const users = await findUsers(t.db, { caller: admin });
    expect(users.find((u) => u.id === ids.PHYSICIST)!.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(JSON.stringify(users)).not.toContain('passwordHash');
    await updateUser(t.db, { caller: admin, input: { change: 'unlock', userId: ids.PHYSICIST } });
    expect((await authenticateUser(t.db, { email: 'physicist@example.org', password: 'user-password-1' })).ok).toBe(true);
    const actions = (await t.db.auditEvent.findMany({ where: { target: `user:${ids.PHYSICIST}` }, orderBy: { id: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(['user.created', 'user.role_changed', 'user.role_changed', 'user.deactivated', 'user.activated', 'user.unlocked']);
  });

  it('searches by user, action prefix, patient pseudonym and date range, a page at a time', async () => {
    const inst = await t.db.institution.create({ data: { name: 'Test' } });
    const p = await t.db.patient.create({ data: { pseudonym: 'PX-0001', institutionId: inst.id } });
    const physicist: Caller = { userId: ids.PHYSICIST, email: 'physicist@example.org', name: 'P', role: 'PHYSICIST', ip: '198.51.100.9' };
    await recordIdentifiedAccess(t.db, {
      caller: physicist,
      action: 'identity.view',
      patientIds: [p.id],
      target: 'study:s1',
      details: { seriesInstanceUid: '1.2.840.113619.2.55.3.1' },
    });

    const byPatient = await findAuditEvents(t.db, { caller: admin, search: { patient: 'PX-0001' } });
    expect(byPatient.total).toBe(1);
    expect(byPatient.rows[0]).toMatchObject({ pseudonym: 'PX-0001', action: 'identity.view', userEmail: 'physicist@example.org', ip: '198.51.100.9' });
    // the admin reading the log may not see identifiers: the real UID is withheld
    expect(JSON.stringify(byPatient.rows[0].details)).not.toContain('1.2.840.113619');
    expect(byPatient.rows[0].details).toMatchObject({ seriesInstanceUid: '[uid withheld]', identified: true });
    expect((await findAuditEvents(t.db, { caller: admin, search: { patient: 'PX-9999' } })).total).toBe(0);

    const auth = await findAuditEvents(t.db, { caller: admin, search: { action: 'auth.' } });
    expect(auth.total).toBeGreaterThanOrEqual(MAX_FAILED_SIGN_INS + 3);
    expect(auth.rows.every((r) => r.action.startsWith('auth.'))).toBe(true);
    const failed = await findAuditEvents(t.db, { caller: admin, search: { action: 'auth.sign_in_failed', user: 'PHYSICIST@' } });
    expect(failed.rows.map((r) => r.action)).toContain('auth.sign_in_failed');
    expect(failed.rows.every((r) => r.action === 'auth.sign_in_failed' && r.userEmail === 'physicist@example.org')).toBe(true);

    const today = new Date().toISOString().slice(0, 10);
    const all = await findAuditEvents(t.db, { caller: admin, search: { from: today, to: today } });
    expect(all.total).toBe(await t.db.auditEvent.count());
    expect((await findAuditEvents(t.db, { caller: admin, search: { to: '2000-01-01' } })).total).toBe(0);
    await expect(findAuditEvents(t.db, { caller: admin, search: { from: '2026-02-01', to: '2026-01-01' } })).rejects.toThrow('date range is empty');
    await expect(findAuditEvents(t.db, { caller: admin, search: { from: 'yesterday' } })).rejects.toThrow('must be a date YYYY-MM-DD');

    const page1 = await findAuditEvents(t.db, { caller: admin, search: { pageSize: 3 } });
    const page2 = await findAuditEvents(t.db, { caller: admin, search: { pageSize: 3, page: 2 } });
    expect(page1.pages).toBe(Math.ceil(all.total / 3));
    expect(page1.rows).toHaveLength(3);
    expect(page2.rows.map((r) => r.id).filter((id) => page1.rows.some((x) => x.id === id))).toEqual([]);
    expect(BigInt(page1.rows[2].id)).toBeGreaterThan(BigInt(page2.rows[0].id));

    const physicianCaller: Caller = { ...physicist, role: 'PHYSICIST' };
    await expect(findAuditEvents(t.db, { caller: physicianCaller, search: {} })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('exports CSV with every matching row, formula-safe', async () => {
    await t.db.auditEvent.create({ data: { action: 'auth.sign_in_failed', userEmail: '=HYPERLINK("http://x.test","click")', details: {} } });
    let csv = auditCsvHeader();
    let n = 0;
    for await (const batch of iterateAuditEvents(t.db, { caller: admin, search: {} })) {
      n += batch.length;
      csv += batch.map(auditCsvLine).join('');
    }
    expect(n).toBe(await t.db.auditEvent.count());
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at_utc,user_email,role,action,patient_pseudonym,target,ip,user_agent,details');
    expect(lines).toHaveLength(n + 1);
    expect(csv).toContain(`"'=HYPERLINK(""http://x.test"",""click"")"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of audit events on the app connection', async () => {
    const n = await t.db.auditEvent.count();
    await expect(t.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET action = 'tampered'`)).rejects.toThrow();
    await expect(t.db.$executeRawUnsafe(`DELETE FROM "AuditEvent"`)).rejects.toThrow();
    await expect(t.db.auditEvent.deleteMany({})).rejects.toThrow();
    await expect(t.db.$executeRawUnsafe(`TRUNCATE "AuditEvent"`)).rejects.toThrow();
    expect(await t.db.auditEvent.count()).toBe(n);
    expect(await t.db.auditEvent.count({ where: { action: 'tampered' } })).toBe(0);
  });
});
