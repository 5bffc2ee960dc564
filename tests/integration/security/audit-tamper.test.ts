/**
 * The audit log against someone holding the app's database login (issue: "append-only only for
 * the polite"): as the app's role every way round the append-only triggers fails (replica mode,
 * disabling or dropping the triggers, UPDATE, DELETE, TRUNCATE, replacing the chain functions,
 * becoming the owner), and the rows it writes carry an intact hash chain, also under concurrent
 * writers. As the owner, who can tamper, every kind of tampering is detected by the verifier
 * (lib/server/audit/verify-audit-chain.ts), which names the first broken row, in `iseg-qa doctor`
 * too.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { recordAuditEvent } from '@/lib/server/audit/record-audit-event';
import { verifyAuditChain, walkAuditChain } from '@/lib/server/audit/verify-audit-chain';
import type { Caller } from '@/lib/server/auth/roles';
import { TEST_MODELS_DIR } from '../helpers/test-models';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const ADMIN: Caller = { userId: 'u-admin', email: 'admin@t.test', name: 'Admin', role: 'ADMIN' };

async function withClient<T>(url: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

/** The error a statement fails with, as the app's role, inside a transaction that is rolled back. */
async function failure(url: string, ...statements: string[]): Promise<string> {
  return withClient(url, async (c) => {
    await c.query('BEGIN');
    try {
      for (const s of statements) await c.query(s);
      return 'succeeded';
    } catch (e) {
      return (e as Error).message;
    } finally {
      await c.query('ROLLBACK');
    }
  });
}

describe('the audit log against the app database login', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('audit_tamper');
    for (let i = 0; i < 5; i++) await recordAuditEvent(t.db, { action: `test.event.${i}`, caller: ADMIN, details: { i, note: 'ü "quoted"' } });
  });
  afterAll(async () => t.drop());

  it('connects as a role that is no superuser, has no BYPASSRLS and owns no table', async () => {
    const r = await withClient(t.url, (c) =>
      c.query(`SELECT current_user AS u, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb,
                      (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owned
                 FROM pg_roles WHERE rolname = current_user`),
    );
    expect(r.rows[0]).toEqual({ u: 'iseg_app', rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, owned: 0 });
  });

  it('as the app role: replica mode, disabling or dropping triggers, UPDATE, DELETE and TRUNCATE all fail', async () => {
    expect(await failure(t.url, 'SET LOCAL session_replication_role = replica')).toMatch(/permission denied to set parameter "session_replication_role"/);
    expect(await failure(t.url, 'SET session_replication_role = replica')).toMatch(/permission denied/);
    expect(await failure(t.url, 'ALTER TABLE "AuditEvent" DISABLE TRIGGER ALL')).toMatch(/must be owner of table AuditEvent/);
    expect(await failure(t.url, 'ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_no_update"')).toMatch(/must be owner/);
    expect(await failure(t.url, 'DROP TRIGGER "AuditEvent_no_update" ON "AuditEvent"')).toMatch(/must be owner/);
    expect(await failure(t.url, 'DROP TRIGGER "AuditEvent_chain" ON "AuditEvent"')).toMatch(/must be owner/);
    expect(await failure(t.url, `UPDATE "AuditEvent" SET action = 'tampered'`)).toMatch(/permission denied for table AuditEvent/);
    expect(await failure(t.url, 'DELETE FROM "AuditEvent"')).toMatch(/permission denied for table AuditEvent/);
    expect(await failure(t.url, 'TRUNCATE "AuditEvent"')).toMatch(/permission denied for table AuditEvent/);
    // …nor the ways round them: the chain's functions, the owner's role, new objects, the sequence.
    expect(
      await failure(t.url, `CREATE OR REPLACE FUNCTION "audit_event_hash"(prev TEXT, e "AuditEvent") RETURNS TEXT LANGUAGE sql AS $$ SELECT 'x' $$`),
    ).toMatch(/permission denied for schema public|must be owner/);
    expect(await failure(t.url, 'ALTER FUNCTION "audit_event_chain"() RENAME TO gone')).toMatch(/must be owner/);
    expect(await failure(t.url, 'SET ROLE iseg')).toMatch(/permission denied to set role/);
    expect(await failure(t.url, 'CREATE TABLE public.sneaky (id int)')).toMatch(/permission denied for schema public/);
    expect(await failure(t.url, `SELECT setval('"AuditEvent_id_seq"', 1)`)).toMatch(/permission denied for sequence/);
    expect(await failure(t.url, 'ALTER TABLE "AuditEvent" OWNER TO iseg_app')).toMatch(/must be owner/);
    expect(await withClient(t.url, (c) => c.query('SELECT count(*)::int AS n FROM "AuditEvent"'))).toMatchObject({ rows: [{ n: 5 }] });
  });

  it('chains every row the app writes, whatever hash it claims, also with 40 writers at once', async () => {
    // A forged chain value from the app is overwritten by the trigger.
    await t.db.auditEvent.create({ data: { action: 'test.forged', prevHash: 'f'.repeat(64), hash: 'f'.repeat(64) } });
    await Promise.all(
      Array.from({ length: 40 }, (_, k) =>
        withClient(t.url, async (c) => {
          for (let i = 0; i < 5; i++) await c.query(`INSERT INTO "AuditEvent" (action, details) VALUES ($1, $2)`, [`test.concurrent.${k}.${i}`, { k, i }]);
        }),
      ),
    );
    await t.db.auditEvent.createMany({ data: [{ action: 'test.many.1' }, { action: 'test.many.2' }] });
    const report = await verifyAuditChain(t.db, { caller: ADMIN });
    expect(report).toMatchObject({ ok: true, checked: 5 + 1 + 200 + 2, firstBroken: null });
    const last = await t.db.auditEvent.findFirstOrThrow({ orderBy: { id: 'desc' } });
    expect(report.head).toEqual({ id: String(last.id), hash: last.hash });
    // Batches link to each other: the same answer in batches of 7.
    expect(await walkAuditChain((text, values) => t.db.$queryRawUnsafe(text, ...values), { batchSize: 7 })).toEqual(report);
    await expect(verifyAuditChain(t.db, { caller: { ...ADMIN, role: 'PHYSICIST' } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a row in a REPEATABLE READ transaction is refused rather than forking the chain', async () => {
    const e = await failure(t.url, 'BEGIN ISOLATION LEVEL REPEATABLE READ', `INSERT INTO "AuditEvent" (action) VALUES ('test.rr')`);
    expect(e).toMatch(/must be written in a READ COMMITTED transaction/);
  });

  describe('tampering by the owner is detected, naming the row', () => {
    const verify = () => walkAuditChain((text, values) => t.db.$queryRawUnsafe(text, ...values));
    /** As the owner, with the append-only triggers lifted for one transaction. */
    const tamper = (sql: string, values: unknown[] = []) =>
      withClient(t.ownerUrl, async (c) => {
        await c.query('BEGIN');
        await c.query('SET LOCAL session_replication_role = replica');
        await c.query(sql, values);
        await c.query('COMMIT');
      });
    const ids = async () => (await t.db.auditEvent.findMany({ orderBy: { id: 'asc' }, select: { id: true } })).map((r) => String(r.id));

    it('a changed row fails its own hash', async () => {
      expect((await verify()).ok).toBe(true);
      const [, second] = await ids();
      await tamper(`UPDATE "AuditEvent" SET details = '{"i": 99}' WHERE id = $1`, [second]);
      const r = await verify();
      expect(r.ok).toBe(false);
      expect(r.firstBroken).toMatchObject({ id: second, reason: 'CONTENT_CHANGED', action: 'test.event.1' });
      expect(r.firstBroken!.message).toMatch(
        new RegExp(`^audit event ${second} \\(test\\.event\\.1, \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\): its content no longer matches its hash`),
      );

      // The doctor says the same, as the app connects.
      const doctor = spawnSync(process.execPath, ['cli/iseg-qa.mjs', 'doctor', '--json'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: t.url, ISEG_MODELS_DIR: TEST_MODELS_DIR, ISEG_MODEL: 'tiny-test' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      const checks = Object.fromEntries((JSON.parse(doctor.stdout).checks as { name: string; ok: boolean; detail: string }[]).map((c) => [c.name, c]));
      expect(checks['database role']).toMatchObject({ ok: true, detail: expect.stringContaining('"iseg_app"') });
      expect(checks['audit chain']).toMatchObject({ ok: false, detail: expect.stringContaining(`BROKEN at audit event ${second} (test.event.1`) });
      expect(doctor.status).toBe(1);
      // …and names the owner's login as one that could rewrite the log.
      const asOwner = spawnSync(process.execPath, ['cli/iseg-qa.mjs', 'doctor', '--json'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: t.ownerUrl, ISEG_MODELS_DIR: TEST_MODELS_DIR, ISEG_MODEL: 'tiny-test' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      const ownerRole = (JSON.parse(asOwner.stdout).checks as { name: string; ok: boolean; detail: string }[]).find((c) => c.name === 'database role');
      expect(ownerRole).toMatchObject({ ok: false, detail: expect.stringContaining('is a superuser') });

      await tamper(`UPDATE "AuditEvent" SET details = '{"i": 1, "note": "ü \\"quoted\\""}' WHERE id = $1`, [second]);
      expect((await verify()).ok).toBe(true); // the original content, byte for byte, verifies again
    });

    it('a removed row breaks the link of the row after it', async () => {
      const all = await ids();
      await tamper(`DELETE FROM "AuditEvent" WHERE id = $1`, [all[3]]);
      const r = await verify();
      expect(r.firstBroken).toMatchObject({ id: all[4], reason: 'LINK_BROKEN' });
      expect(r.checked).toBe(4);
      // Also where the gap falls between two batches.
      expect(await walkAuditChain((text, values) => t.db.$queryRawUnsafe(text, ...values), { batchSize: 3 })).toEqual(r);
    });

    it('a row rewritten with a recomputed hash breaks the next link; a row added with the trigger off has no hash', async () => {
      const all = await ids();
      await tamper(`UPDATE "AuditEvent" e SET action = 'test.rewritten', hash = "audit_event_hash"(e."prevHash", e) WHERE id = $1`, [all[0]]);
      // The stored hash is now computed over the old action (UPDATE sees the old row): recompute once more.
      await tamper(`UPDATE "AuditEvent" e SET hash = "audit_event_hash"(e."prevHash", e) WHERE id = $1`, [all[0]]);
      expect((await verify()).firstBroken).toMatchObject({ id: all[1], reason: 'LINK_BROKEN' });
      // Ids start at 2 (the trigger takes a fresh one under its lock), so id 1 sorts first.
      expect(all[0]).not.toBe('1');
      await tamper(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_chain"`);
      await tamper(`INSERT INTO "AuditEvent" (id, action) VALUES (1, 'test.slipped-in')`);
      await tamper(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_chain"`);
      expect((await verify()).firstBroken).toMatchObject({ id: '1', reason: 'NOT_CHAINED', action: 'test.slipped-in' });
    });
  });
});
