/**
 * Everything a database needs before the web server and workers use it: our migrations,
 * pg-boss's schema and queues, the first admin, and (optionally) the demo cohort.
 */
import { migrateDatabase, type MigrateResult } from './migrate';
import { createDb } from './client';
import { createBoss } from '../jobs/boss';
import { ensureFirstAdmin, type FirstAdminStatus } from '../users/ensure-first-admin';
import { seedDemoCohort, type SeedDemoCohortOptions } from '../seed/seed-demo-cohort';

export interface PrepareResult {
  migrations: MigrateResult;
  admin: FirstAdminStatus;
  demoSeeded: boolean;
}

export async function prepareDatabase({
  databaseUrl,
  adminEmail,
  adminPassword,
  seedDemo,
  log,
}: {
  databaseUrl: string;
  adminEmail?: string;
  adminPassword?: string;
  /** The demo cohort to seed on first start, or null for none. */
  seedDemo: Omit<SeedDemoCohortOptions, 'boss' | 'log'> | null;
  log?: (line: string) => void;
}): Promise<PrepareResult> {
  const migrations = await migrateDatabase({ databaseUrl });
  const boss = await createBoss({ databaseUrl, worker: false });
  const db = createDb(databaseUrl);
  try {
    const admin = await ensureFirstAdmin(db, { email: adminEmail, password: adminPassword });
    const demo = seedDemo ? await seedDemoCohort(db, { ...seedDemo, boss, log }) : { seeded: false };
    return { migrations, admin, demoSeeded: demo.seeded };
  } finally {
    await boss.stop({ graceful: false });
    await db.$disconnect();
  }
}
