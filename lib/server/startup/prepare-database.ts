/**
 * Everything a database needs before the web server and workers use it: our migrations,
 * pg-boss's schema and queues, the app role's grants and the first admin. (The demo cohort is
 * seeded afterwards, in the background, while the web server answers: seed/run-demo-seed.ts.)
 *
 * Two roles (docs/security.md, "Database roles"): `migrationUrl` is the owner's connection
 * (migrations, pg-boss install or upgrade, grants); `databaseUrl` is the app's (first admin, and
 * what the web server, the workers and the demo seed get). Without `migrationUrl` one role does both, as
 * an external Postgres with only DATABASE_URL does; `iseg-qa doctor` then reports that the app's
 * role could rewrite the audit log.
 */
import { migrateDatabase, type MigrateResult } from '../db/migrate';
import { createDb } from '../db/client';
import { createBoss } from '../jobs/boss';
import { grantAppRole, roleOfUrl } from './grant-app-role';
import { ensureFirstAdmin, type FirstAdminStatus } from '../users/ensure-first-admin';
import { reconcileRunFlags } from '../flags/apply-flag-rules';

export interface PrepareResult {
  migrations: MigrateResult;
  admin: FirstAdminStatus;
}

/** Migrations, pg-boss and the app role's grants, as the owner (no app data is written). */
export async function prepareSchema({ databaseUrl, migrationUrl }: { databaseUrl: string; migrationUrl?: string }): Promise<MigrateResult> {
  const ownerUrl = migrationUrl ?? databaseUrl;
  const migrations = await migrateDatabase({ databaseUrl: ownerUrl });
  if (ownerUrl !== databaseUrl) {
    // pg-boss installs or upgrades its schema as the owner, which then hands it to the app role.
    const boss = await createBoss({ databaseUrl: ownerUrl, worker: false });
    await boss.stop({ graceful: false });
    await grantAppRole({ ownerUrl, appRole: roleOfUrl(databaseUrl) });
  }
  return migrations;
}

export async function prepareDatabase({
  databaseUrl,
  migrationUrl,
  adminEmail,
  adminPassword,
}: {
  databaseUrl: string;
  /** The owner's connection for migrations (embedded: the cluster's superuser; else DATABASE_MIGRATION_URL). */
  migrationUrl?: string;
  adminEmail?: string;
  adminPassword?: string;
}): Promise<PrepareResult> {
  const migrations = await prepareSchema({ databaseUrl, migrationUrl });
  const db = createDb(databaseUrl);
  try {
    const admin = await ensureFirstAdmin(db, { email: adminEmail, password: adminPassword });
    // Stored flags follow the current flag thresholds (docs/flags.md); a no-op when they already do.
    await reconcileRunFlags(db);
    return { migrations, admin };
  } finally {
    await db.$disconnect();
  }
}
