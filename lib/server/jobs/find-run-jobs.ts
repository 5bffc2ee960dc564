/**
 * The pg-boss jobs behind segmentation runs, read from pg-boss's job table by id: which queue
 * holds each (a per-model queue, or the legacy `segmentation.run`), its state, attempts and the
 * failure output, and for a job that failed for good, its copy in the dead-letter queue. The run
 * sweeper, Cancel and `doctor` use it; pg-boss's own findJobs needs the queue name up front.
 * Internal (no caller): callers authorise.
 */
import type { Db } from '../db/client';
import { BOSS_SCHEMA } from './boss';
import { DEAD_LETTER_QUEUE } from './queues';

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface RunJob {
  id: string;
  queue: string;
  state: JobState;
  /** Retries used so far (0 on the first attempt) and allowed in all. */
  retryCount: number;
  retryLimit: number;
  /** pg-boss's record of the last failure: `{ value: { message } }` or the handler's error. */
  output: unknown;
  startedOn: Date | null;
  completedOn: Date | null;
  heartbeatOn: Date | null;
  /** Set when a dead-letter copy of this job exists (it failed for good). */
  deadLettered: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when pg-boss's schema is installed in this database. */
export async function hasJobTable(db: Db): Promise<boolean> {
  const r = await db.$queryRawUnsafe<{ t: string | null }[]>(`SELECT to_regclass('${BOSS_SCHEMA}.job')::text AS t`);
  return !!r[0]?.t;
}

/** The jobs with these ids, keyed by id; ids that are not pg-boss job ids, or gone, are absent. */
export async function findRunJobs(db: Db, jobIds: (string | null)[]): Promise<Map<string, RunJob>> {
  const ids = [...new Set(jobIds.filter((id): id is string => !!id && UUID.test(id)))];
  const out = new Map<string, RunJob>();
  if (ids.length === 0) return out;
  const rows = await db.$queryRawUnsafe<
    {
      id: string;
      name: string;
      state: JobState;
      retry_count: number;
      retry_limit: number;
      output: unknown;
      started_on: Date | null;
      completed_on: Date | null;
      heartbeat_on: Date | null;
      dead: boolean;
    }[]
  >(
    `SELECT j.id::text, j.name, j.state::text AS state, j.retry_count, j.retry_limit, j.output, j.started_on, j.completed_on, j.heartbeat_on,
            EXISTS (SELECT 1 FROM ${BOSS_SCHEMA}.job d WHERE d.name = $2 AND d.source_id = j.id) AS dead
       FROM ${BOSS_SCHEMA}.job j WHERE j.id = ANY($1::uuid[])`,
    ids,
    DEAD_LETTER_QUEUE,
  );
  for (const r of rows) {
    out.set(r.id, {
      id: r.id,
      queue: r.name,
      state: r.state,
      retryCount: r.retry_count,
      retryLimit: r.retry_limit,
      output: r.output,
      startedOn: r.started_on,
      completedOn: r.completed_on,
      heartbeatOn: r.heartbeat_on,
      deadLettered: r.dead,
    });
  }
  return out;
}

/** For jobs no longer in the table: the failure output of their dead-letter copies, keyed by the original id. */
export async function findDeadLetters(db: Db, jobIds: string[]): Promise<Map<string, { output: unknown; retryCount: number | null }>> {
  const ids = [...new Set(jobIds.filter((id) => UUID.test(id)))];
  const out = new Map<string, { output: unknown; retryCount: number | null }>();
  if (ids.length === 0) return out;
  const rows = await db.$queryRawUnsafe<{ source_id: string; source_output: unknown; output: unknown; source_retry_count: number | null }[]>(
    `SELECT source_id::text, source_output, output, source_retry_count FROM ${BOSS_SCHEMA}.job WHERE name = $2 AND source_id = ANY($1::uuid[])`,
    ids,
    DEAD_LETTER_QUEUE,
  );
  for (const r of rows) out.set(r.source_id, { output: r.source_output ?? r.output, retryCount: r.source_retry_count });
  return out;
}

/** The message in a job's failure output (`{ value: { message } }`, `{ message }` or a string), or null. */
export function jobFailureMessage(output: unknown): string | null {
  if (output == null) return null;
  if (typeof output === 'string') return output;
  if (typeof output !== 'object') return String(output);
  const o = output as { message?: unknown; value?: unknown };
  if (typeof o.message === 'string') return o.message;
  if (o.value !== undefined) return jobFailureMessage(o.value);
  return null;
}
