/** pg-boss set-up shared by web (send only) and worker (send and work). */
import { PgBoss } from 'pg-boss';
import { DEAD_LETTER_QUEUE } from './queues';
import { JOBS } from './job-definitions';

export const BOSS_SCHEMA = 'pgboss';

export async function createBoss({ databaseUrl, worker }: { databaseUrl: string; worker: boolean }): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: BOSS_SCHEMA,
    // Maintenance (expiry, heartbeat monitoring, retention) runs in workers only.
    supervise: worker,
    // Find jobs of dead workers (missed heartbeats) within ~10 s rather than pg-boss's 60 s.
    superviseIntervalSeconds: 10,
    monitorIntervalSeconds: 10,
    schedule: false,
    max: worker ? 4 : 2,
  });
  boss.on('error', (e) => console.error(`[jobs] ${e.message}`));
  await boss.start();
  await ensureQueues(boss);
  return boss;
}

export async function ensureQueues(boss: PgBoss): Promise<void> {
  if (!(await boss.getQueue(DEAD_LETTER_QUEUE))) await boss.createQueue(DEAD_LETTER_QUEUE, { retentionSeconds: 30 * 86400 });
  for (const job of JOBS) {
    if (!(await boss.getQueue(job.name))) await boss.createQueue(job.name, job.policy);
  }
}
