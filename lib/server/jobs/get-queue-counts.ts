/**
 * Job counts per pg-boss queue (ours, every per-model segmentation queue, and the dead-letter
 * queue): queued (created or waiting to be retried), active, failed (still retained), and all
 * stored, counted in the pgboss schema at the time of the call. pg-boss's own getQueueStats
 * serves the monitor's cached counts, which can be up to an hour old when no worker is
 * supervising (and a minute with { force }), too stale for a page that refreshes every few
 * seconds; the job table is indexed by queue and state.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { BOSS_SCHEMA } from './boss';
import { DEAD_LETTER_QUEUE, modelOfSegmentationQueue, QUEUES, SEGMENTATION_QUEUE_PREFIX } from './queues';

export interface QueueCounts {
  name: string;
  /** For a per-model segmentation queue, the model version it serves. */
  model: { name: string; sha256: string } | null;
  queued: number;
  active: number;
  failed: number;
  total: number;
}

export async function getQueueCounts(db: Db, { caller }: { caller: Caller }): Promise<QueueCounts[]> {
  authorize(caller, 'jobs:view');
  const modelQueues = await db.$queryRawUnsafe<{ name: string }[]>(
    `SELECT name FROM ${BOSS_SCHEMA}.queue WHERE starts_with(name, $1) ORDER BY name`,
    SEGMENTATION_QUEUE_PREFIX,
  );
  const names = [...Object.values(QUEUES), ...modelQueues.map((q) => q.name), DEAD_LETTER_QUEUE];
  const rows = await db.$queryRawUnsafe<{ name: string; state: string; n: number }[]>(
    `SELECT name, state::text AS state, count(*)::int AS n FROM ${BOSS_SCHEMA}.job WHERE name = ANY($1::text[]) GROUP BY name, state`,
    names,
  );
  return names.map((name) => {
    const n = (...states: string[]) => rows.filter((r) => r.name === name && states.includes(r.state)).reduce((a, r) => a + r.n, 0);
    return {
      name,
      model: modelOfSegmentationQueue(name),
      queued: n('created', 'retry'),
      active: n('active'),
      failed: n('failed'),
      total: n('created', 'retry', 'active', 'completed', 'cancelled', 'failed'),
    };
  });
}
