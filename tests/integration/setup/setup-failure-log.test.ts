/**
 * The setup page says "Setup failed; see the server log." when creating the first admin fails
 * for a reason that is not a known one; the server log must then say why (it said nothing).
 * Real failures on a real Postgres: the database refuses the new user row (a CHECK constraint
 * the owner adds for the test), and a database nobody listens on. The log line names the reason
 * and carries no secret (token, password, URL password).
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createDb } from '../../../lib/server/db/client';
import { ensureFirstAdmin, setupPending } from '../../../lib/server/users/ensure-first-admin';
import { runSetup, SETUP_FAILED } from '../../../app/setup/run-setup';

const PASSWORD = 'correct horse battery staple';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('setup failure is logged', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('setup_failure_log');
  });
  afterAll(async () => {
    await t?.drop();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('logs why the database refused the admin, without the token or password, and keeps the token', async () => {
    const status = await ensureFirstAdmin(t.db, {});
    if (status.kind !== 'setup-token') throw new Error(`expected a setup token, got ${status.kind}`);
    const owner = new pg.Client({ connectionString: t.ownerUrl });
    await owner.connect();
    try {
      await owner.query(`ALTER TABLE "User" ADD CONSTRAINT setup_test_refuses_users CHECK (false) NOT VALID`);
      const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const message = await runSetup(t.db, { token: status.token, email: 'first@example.org', name: 'First', password: PASSWORD });
      expect(message).toBe(SETUP_FAILED);
      const lines = logged.mock.calls.map((c) => c.map(String).join(' '));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\[setup\] creating the first administrator failed: /);
      expect(lines[0]).toContain('setup_test_refuses_users');
      expect(lines[0]).not.toContain(status.token);
      expect(lines[0]).not.toContain(PASSWORD);
      expect(lines[0]).not.toMatch(/\$2[abxy]?\$\d\d\$/);
    } finally {
      await owner.query(`ALTER TABLE "User" DROP CONSTRAINT IF EXISTS setup_test_refuses_users`);
      await owner.end();
    }
    // The transaction rolled back: the token still works.
    expect(await setupPending(t.db)).toBe(true);
    await expect(runSetup(t.db, { token: status.token, email: 'first@example.org', name: 'First', password: PASSWORD })).resolves.toBeNull();
    expect(await setupPending(t.db)).toBe(false);
  });

  it('says the database cannot be reached, and logs it without the URL password', async () => {
    const port = await closedPort();
    const unreachable = createDb(`postgresql://iseg:url-secret-pw@127.0.0.1:${port}/iseg`);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const message = await runSetup(unreachable, { token: 'some-setup-token', email: 'first@example.org', name: 'First', password: PASSWORD });
      expect(message).toMatch(/database/i);
      expect(message).toContain(`127.0.0.1:${port}`);
      const lines = logged.mock.calls.map((c) => c.map(String).join(' '));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\[setup\] creating the first administrator failed: /);
      expect(lines[0]).toMatch(/ECONNREFUSED|reach|connect/i);
      for (const secret of ['url-secret-pw', 'some-setup-token', PASSWORD]) {
        expect(lines[0]).not.toContain(secret);
        expect(message).not.toContain(secret);
      }
    } finally {
      await unreachable.$disconnect();
    }
  });
});
