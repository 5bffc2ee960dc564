/**
 * Everything a database needs before the web server and workers use it: our migrations,
 * pg-boss's schema and queues, the app role's grants, the first admin, and (optionally) the demo
 * cohort.
 *
 * Two roles (docs/security.md, "Database roles"): `migrationUrl` is the owner's connection
 * (migrations, pg-boss install or upgrade, grants); `databaseUrl` is the app's (first admin, demo
 * seed, and what the web server and workers get). Without `migrationUrl` one role does both, as
 * an external Postgres with only DATABASE_URL does; `iseg-qa doctor` then reports that the app's
 * role could rewrite the audit log.
 */
import { migrateDatabase, type MigrateResult } from '../db/migrate';
import { createDb } from '../db/client';
import { createBoss } from '../jobs/boss';
import { grantAppRole, roleOfUrl } from './grant-app-role';
import { ensureFirstAdmin, type FirstAdminStatus } from '../users/ensure-first-admin';
import { seedDemoCohort, type SeedDemoCohortOptions } from '../seed/seed-demo-cohort';
import { reconcileRunFlags } from '../flags/apply-flag-rules';

export interface PrepareResult {
  migrations: MigrateResult;
  admin: FirstAdminStatus;
  demoSeeded: boolean;
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
  seedDemo,
  log,
}: {
  databaseUrl: string;
  /** The owner's connection for migrations (embedded: the cluster's superuser; else DATABASE_MIGRATION_URL). */
  migrationUrl?: string;
  adminEmail?: string;
  adminPassword?: string;
  /** The demo cohort to seed on first start, or null for none. */
  seedDemo: Omit<SeedDemoCohortOptions, 'boss' | 'log'> | null;
  log?: (line: string) => void;
}): Promise<PrepareResult> {
  const migrations = await prepareSchema({ databaseUrl, migrationUrl });
  const boss = await createBoss({ databaseUrl, worker: false });
  const db = createDb(databaseUrl);
  try {
    const admin = await ensureFirstAdmin(db, { email: adminEmail, password: adminPassword });
    // Stored flags follow the current flag thresholds (docs/flags.md); a no-op when they already do.
    await reconcileRunFlags(db);
    const demo = seedDemo ? await seedDemoCohort(db, { ...seedDemo, boss, log }) : { seeded: false };
    return { migrations, admin, demoSeeded: demo.seeded };
  } finally {
    await boss.stop({ graceful: false });
    await db.$disconnect();
  }
}
