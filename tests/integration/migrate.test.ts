import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { migrateDatabase, MigrationError } from '../../lib/server/db/migrate';

describe('migrations at start-up', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => Promise.all(dbs.map((d) => d.drop())));

  it('applies every migration to an empty database, records it as Prisma does, and is a no-op the second time', async () => {
    const t = await createTestDatabase('migrate_empty', { template: null });
    dbs.push(t);
    const first = await migrateDatabase({ databaseUrl: t.url });
    expect(first.applied.length).toBeGreaterThanOrEqual(2);
    const rows = await t.db.$queryRaw<
      { migration_name: string; checksum: string }[]
    >`SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`;
    expect(rows.map((r) => r.migration_name)).toEqual(first.applied);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
    const second = await migrateDatabase({ databaseUrl: t.url });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
  });

  it('refuses a migration edited after it was applied, and rolls back a failing one', async () => {
    const t = await createTestDatabase('migrate_checksum');
    dbs.push(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-mig-'));
    fs.cpSync('prisma/migrations', dir, { recursive: true });
    const first = fs.readdirSync(dir).sort()[0];
    fs.appendFileSync(path.join(dir, first, 'migration.sql'), '\n-- edited\n');
    await expect(migrateDatabase({ databaseUrl: t.ownerUrl, migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });

    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-mig-'));
    fs.cpSync('prisma/migrations', dir2, { recursive: true });
    fs.mkdirSync(path.join(dir2, '99990101000000_broken'));
    fs.writeFileSync(path.join(dir2, '99990101000000_broken', 'migration.sql'), 'CREATE TABLE "Half" (id int);\nSELECT * FROM "NoSuchTable";');
    const err = await migrateDatabase({ databaseUrl: t.ownerUrl, migrationsDir: dir2 }).catch((e) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(err.message).toContain('99990101000000_broken');
    const half = await t.db.$queryRaw<{ t: string | null }[]>`SELECT to_regclass('public."Half"')::text AS t`;
    expect(half[0].t).toBeNull(); // nothing half-written
  });

  it('the audit log is append-only in the database itself: triggers refuse even its owner', async () => {
    const t = await createTestDatabase('audit_append_only');
    dbs.push(t);
    await t.db.auditEvent.create({ data: { action: 'test.event', userEmail: 'a@b.c' } });
    const owner = t.ownerDb();
    await expect(owner.$executeRaw`UPDATE "AuditEvent" SET action = 'changed'`).rejects.toThrow(/append-only/);
    await expect(owner.$executeRaw`DELETE FROM "AuditEvent"`).rejects.toThrow(/append-only/);
    await expect(owner.$executeRaw`TRUNCATE "AuditEvent"`).rejects.toThrow(/append-only/);
    // The app's role may not even try (tests/integration/security/audit-tamper.test.ts).
    await expect(t.db.$executeRaw`UPDATE "AuditEvent" SET action = 'changed'`).rejects.toThrow(/permission denied/);
    expect(await t.db.auditEvent.count()).toBe(1);
  });

  it('chains the rows already in the audit log when the hash-chain migration runs', async () => {
    const t = await createTestDatabase('audit_backfill', { template: null });
    dbs.push(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-mig-'));
    fs.cpSync('prisma/migrations', dir, { recursive: true });
    const chain = fs.readdirSync(dir).find((d) => d.endsWith('_audit_hash_chain'))!;
    const later = fs.readdirSync(dir).filter((d) => d >= chain);
    const held = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-mig-held-'));
    for (const d of later) fs.renameSync(path.join(dir, d), path.join(held, d));
    await migrateDatabase({ databaseUrl: t.url, migrationsDir: dir });
    for (const action of ['before.one', 'before.two', 'before.three'])
      await t.db.$executeRaw`INSERT INTO "AuditEvent" (action, details) VALUES (${action}, '{"k": 1}')`;
    for (const d of later) fs.renameSync(path.join(held, d), path.join(dir, d));
    await migrateDatabase({ databaseUrl: t.url, migrationsDir: dir });
    const rows = await t.db.$queryRaw<{ id: bigint; prevHash: string; hash: string }[]>`SELECT id, "prevHash", hash FROM "AuditEvent" ORDER BY id`;
    expect(rows).toHaveLength(3);
    expect(rows[0].prevHash).toBe('0'.repeat(64));
    expect(rows[1].prevHash).toBe(rows[0].hash);
    expect(rows[2].prevHash).toBe(rows[1].hash);
    const { walkAuditChain } = await import('../../lib/server/audit/verify-audit-chain');
    expect(await walkAuditChain((text, values) => t.db.$queryRawUnsafe(text, ...values))).toMatchObject({ ok: true, checked: 3 });
  });
});
