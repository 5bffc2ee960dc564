/**
 * Seeds the first-run demo cohort in the background of `npm start` (scripts/start.ts): the web
 * server and the worker already answer, studies appear on the cohort page as they import, and
 * the page shows the DemoSeed row's progress. A failure is stored on that row and logged; it
 * does not stop the app, and the next start tries again (the seed resumes).
 */
import { createBoss } from '../jobs/boss';
import { createDb } from '../db/client';
import { seedDemoCohort, type SeedDemoCohortOptions } from './seed-demo-cohort';

export async function runDemoSeed(
  o: Omit<SeedDemoCohortOptions, 'boss'> & { databaseUrl: string },
): Promise<{ seeded: boolean; patients: number; error?: string }> {
  const { databaseUrl, ...options } = o;
  const db = createDb(databaseUrl);
  const boss = await createBoss({ databaseUrl, worker: false });
  try {
    const r = await seedDemoCohort(db, { ...options, boss });
    return { seeded: r.seeded, patients: r.patients };
  } catch (e) {
    const error = (e as Error).message;
    await db.demoSeed.updateMany({ where: { id: 1 }, data: { state: 'failed', error: error.slice(0, 2000) } }).catch(() => undefined);
    return { seeded: false, patients: 0, error };
  } finally {
    await boss.stop({ graceful: false }).catch(() => undefined);
    await db.$disconnect().catch(() => undefined);
  }
}
