/**
 * Job counts per pg-boss queue (ours and the dead-letter queue): queued, active, failed (still
 * retained), from pg-boss's getQueueStats, which serves the monitor's cached counts while they
 * are fresh (10 s) and recounts otherwise.
 */
import type { PgBoss } from 'pg-boss';
import { authorize, type Caller } from '../auth/roles';
import { DEAD_LETTER_QUEUE, QUEUES } from './queues';

export interface QueueCounts {
  name: string;
  queued: number;
  active: number;
  failed: number;
  total: number;
  capturedAt: string;
}

export async function getQueueCounts(boss: PgBoss, { caller }: { caller: Caller }): Promise<QueueCounts[]> {
  authorize(caller, 'jobs:view');
  const names = [...Object.values(QUEUES), DEAD_LETTER_QUEUE];
  return Promise.all(
    names.map(async (name) => {
      const [s] = await boss.getQueueStats(name);
      return { name, queued: s.queuedCount, active: s.activeCount, failed: s.failedCount, total: s.totalCount, capturedAt: new Date(s.capturedOn).toISOString() };
    }),
  );
}
