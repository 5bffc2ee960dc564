/**
 * Creating the first admin with the setup token when the transaction takes longer than Prisma's
 * default 5 s for an interactive transaction (bcrypt cost 12 in pure JS takes seconds on a
 * loaded machine; the e2e first-run test failed there with "Setup failed; see the server log").
 * Here another connection holds the setup-token row locked for 7 s, so completeSetup's
 * transaction waits that long on a real Postgres; it must still create the admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { completeSetup, ensureFirstAdmin } from '../../lib/server/users/ensure-first-admin';

describe('first admin setup', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('first_admin_slow');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('creates the admin even when its transaction runs past 5 s', async () => {
    const status = await ensureFirstAdmin(t.db, {});
    if (status.kind !== 'setup-token') throw new Error(`expected a setup token, got ${status.kind}`);
    const blocker = new pg.Client({ connectionString: t.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT * FROM "Setting" WHERE key = 'setup-token' FOR UPDATE`);
      const setup = completeSetup(t.db, { token: status.token, email: 'first@example.org', name: 'First', password: 'correct horse battery' });
      setup.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 7_000));
      await blocker.query('COMMIT');
      await expect(setup).resolves.toEqual({ email: 'first@example.org' });
    } finally {
      await blocker.end();
    }
    expect(await t.db.user.count({ where: { role: 'ADMIN' } })).toBe(1);
  }, 60_000);
});
