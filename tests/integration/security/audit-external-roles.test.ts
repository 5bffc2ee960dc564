/**
 * An external Postgres set up as docs/security.md ("Database roles") says: an owner role that is
 * not a superuser (DATABASE_MIGRATION_URL) and an app role (DATABASE_URL), created with the SQL
 * given there. Migrations, pg-boss's install and the grants run as the owner; the app then works
 * (writes audit events, enqueues and works a job) and cannot touch the audit log; a second start
 * changes nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl } from '../helpers/test-database';
import { prepareSchema } from '@/lib/server/startup/prepare-database';
import { createBoss } from '@/lib/server/jobs/boss';
import { QUEUES } from '@/lib/server/jobs/queues';
import { createDb } from '@/lib/server/db/client';
import { checkDatabaseRole } from '@/lib/server/db/check-database-role';
import { walkAuditChain } from '@/lib/server/audit/verify-audit-chain';

const suffix = randomBytes(3).toString('hex');
const OWNER = `ext_owner_${suffix}`;
const APP = `ext_app_${suffix}`;
const DB = `ext_db_${suffix}`;
const PW = { owner: `o-${randomBytes(8).toString('hex')}`, app: `a-${randomBytes(8).toString('hex')}` };

function urlAs(role: string, password: string, database: string): string {
  const u = new URL(adminUrl());
  u.username = role;
  u.password = password;
  u.pathname = `/${database}`;
  return u.toString();
}

async function run(url: string, ...statements: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

describe('an external Postgres with the documented owner and app roles', () => {
  const ownerUrl = urlAs(OWNER, PW.owner, DB);
  const appUrl = urlAs(APP, PW.app, DB);
  beforeAll(async () => {
    // docs/security.md, "External Postgres", as a superuser:
    await run(
      adminUrl(),
      `CREATE ROLE ${OWNER} LOGIN PASSWORD '${PW.owner}'`,
      `CREATE ROLE ${APP} LOGIN PASSWORD '${PW.app}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
      `CREATE DATABASE ${DB} OWNER ${OWNER}`,
    );
    await run(
      urlAs(new URL(adminUrl()).username, decodeURIComponent(new URL(adminUrl()).password), DB),
      `ALTER SCHEMA public OWNER TO ${OWNER}`,
      'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
      `GRANT ${APP} TO ${OWNER}`,
    );
  });
  afterAll(async () => {
    await run(adminUrl(), `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`, `DROP ROLE IF EXISTS ${APP}`, `DROP ROLE IF EXISTS ${OWNER}`);
  });

  it('migrates as the owner, and the app works but cannot touch the audit log', async () => {
    await prepareSchema({ databaseUrl: appUrl, migrationUrl: ownerUrl });
    // A second start: migrations done, pg-boss already the app's, grants re-applied.
    const again = await prepareSchema({ databaseUrl: appUrl, migrationUrl: ownerUrl });
    expect(again.applied).toEqual([]);

    const db = createDb(appUrl);
    const boss = await createBoss({ databaseUrl: appUrl, worker: true });
    try {
      await db.auditEvent.create({ data: { action: 'test.external' } });
      const id = await boss.send(QUEUES.workerSelfTest, { ping: 1 });
      expect(id).toBeTruthy();
      const [job] = await boss.fetch(QUEUES.workerSelfTest);
      expect(job.id).toBe(id);
      await boss.complete(QUEUES.workerSelfTest, job.id);
      await expect(db.$executeRawUnsafe(`UPDATE "AuditEvent" SET action = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(db.$executeRawUnsafe('ALTER TABLE "AuditEvent" DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
      await expect(db.$executeRawUnsafe('CREATE TABLE public.sneaky (id int)')).rejects.toThrow(/permission denied for schema public/);
      const c = new pg.Client({ connectionString: appUrl });
      await c.connect();
      try {
        expect(await checkDatabaseRole(c)).toMatchObject({ ok: true, role: APP });
        expect(await walkAuditChain(async (text, values) => (await c.query(text, values)).rows)).toMatchObject({ ok: true, checked: 1 });
      } finally {
        await c.end();
      }
      // The owner, connecting as the app would, is reported.
      const o = new pg.Client({ connectionString: ownerUrl });
      await o.connect();
      try {
        expect(await checkDatabaseRole(o)).toMatchObject({
          ok: false,
          detail: expect.stringContaining('owns (or is a member of the owner of) the AuditEvent table'),
        });
      } finally {
        await o.end();
      }
    } finally {
      await boss.stop({ graceful: false });
      await db.$disconnect();
    }
  });

  it('refuses an app role that is a superuser, saying how to fix it', async () => {
    const sup = `ext_super_${suffix}`;
    await run(adminUrl(), `CREATE ROLE ${sup} LOGIN SUPERUSER PASSWORD 'x'`);
    try {
      await expect(prepareSchema({ databaseUrl: urlAs(sup, 'x', DB), migrationUrl: ownerUrl })).rejects.toThrow(
        new RegExp(`"${sup}" is a superuser: it could rewrite the audit log.*NOSUPERUSER`),
      );
    } finally {
      await run(adminUrl(), `DROP ROLE ${sup}`);
    }
  });
});
