/**
 * Everything a database needs before the web server and workers use it: our migrations,
 * pg-boss's schema and queues, the first admin, and (optionally) the demo cohort.
 */
import { migrateDatabase, type MigrateResult } from './migrate';
import { createDb } from './client';
import { createBoss } from '../jobs/boss';
import { ensureFirstAdmin, type FirstAdminStatus } from '../users/ensure-first-admin';
import { seedDemoCohort } from '../seed/seed-demo-cohort';

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
}: {
  databaseUrl: string;
  adminEmail?: string;
  adminPassword?: string;
  seedDemo: boolean;
}): Promise<PrepareResult> {
  const migrations = await migrateDatabase({ databaseUrl });
  const boss = await createBoss({ databaseUrl, worker: false });
  await boss.stop({ graceful: false });
  const db = createDb(databaseUrl);
  try {
    const admin = await ensureFirstAdmin(db, { email: adminEmail, password: adminPassword });
    const demo = seedDemo ? await seedDemoCohort(db) : { seeded: false };
    return { migrations, admin, demoSeeded: demo.seeded };
  } finally {
    await db.$disconnect();
  }
}
