/**
 * One definition per job: its queue name, the zod schema of its payload and its queue policy
 * (retries, heartbeat, expiry). The sender (send-job.ts) and the worker (workJob below, used by
 * workers/main.ts) both take the definition, so a payload is checked against the same schema
 * when it is sent and again when a worker receives it: a job whose payload does not match fails
 * with a message naming the job and the field, and never reaches its handler.
 *
 * The handler is bound where the worker registers the definition (workJob), not in the
 * definition itself: the web process imports the definitions to send jobs and must not load the
 * worker's code (onnxruntime, the volume store).
 */
import type { Job, PgBoss, Queue, WorkOptions } from 'pg-boss';
import type { z } from 'zod';

export type QueuePolicy = Omit<Queue, 'name'>;

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  /** The pg-boss queue name (a job may also be sent to a queue derived from it, e.g. per model). */
  name: string;
  payload: S;
  policy: QueuePolicy;
}

export type JobPayload<D extends JobDefinition> = z.infer<D['payload']>;

export function defineJob<S extends z.ZodType>(d: { name: string; payload: S; policy: QueuePolicy }): JobDefinition<S> {
  return Object.freeze({ ...d });
}

/** A payload that does not match its job's schema (at send or at receipt). */
export class JobPayloadError extends Error {
  readonly code = 'INVALID_JOB_PAYLOAD';
  constructor(
    readonly job: string,
    readonly issues: string[],
    where: string,
  ) {
    super(
      `Job "${job}" ${where} has an invalid payload: ${issues.join('; ')}. Check what sends "${job}" jobs against its schema in lib/server/jobs/job-definitions.ts.`,
    );
    this.name = 'JobPayloadError';
  }
}

/** The payload parsed with the job's schema, or a JobPayloadError naming the job and each bad field. */
export function parseJobPayload<S extends z.ZodType>(def: JobDefinition<S>, data: unknown, where = 'sent'): z.infer<S> {
  const r = def.payload.safeParse(data);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`);
  throw new JobPayloadError(def.name, issues, where);
}

/** Attempts a job of this definition gets in all: the first plus its retries. */
export function maxAttempts(def: JobDefinition): number {
  return 1 + (def.policy.retryLimit ?? 2);
}

/**
 * Registers a worker for a job definition on its queue (or `queue`, e.g. a per-model queue).
 * Each job's payload is parsed with the definition's schema first; a job whose payload does not
 * match is failed with a JobPayloadError (pg-boss records the message, retries per the policy
 * and finally dead-letters it) and the handler is never called with it. Jobs are taken one at
 * a time (batchSize 1), so one bad job fails only itself.
 */
export async function workJob<S extends z.ZodType, O extends Omit<WorkOptions, 'batchSize'> = Omit<WorkOptions, 'batchSize'>>(
  boss: PgBoss,
  def: JobDefinition<S>,
  { queue = def.name, options }: { queue?: string; options?: O },
  handler: (job: Job<z.infer<S>> & (O extends { includeMetadata: true } ? import('pg-boss').JobWithMetadata<z.infer<S>> : unknown)) => Promise<void>,
): Promise<string> {
  const work = { ...options, batchSize: 1 } as WorkOptions;
  return boss.work<unknown>(queue, work, async (jobs: Job<unknown>[]) => {
    for (const job of jobs) {
      const data = parseJobPayload(def, job.data, `${job.id} (queue ${queue}) received`);
      await handler({ ...job, data } as Parameters<typeof handler>[0]);
    }
  });
}
