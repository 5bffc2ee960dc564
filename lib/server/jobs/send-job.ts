/**
 * Send a job of a definition (define-job.ts) with a typed payload. The payload is parsed with
 * the definition's schema first: one that does not match throws a JobPayloadError naming the job
 * and the field, and nothing is sent.
 *
 * sendJobInTransaction enqueues inside the caller's Prisma transaction, so the job exists if and
 * only if the domain write commits. pg-boss accepts any `executeSql`.
 *
 * `queue` sends to a queue other than the definition's name (a per-model segmentation queue); a
 * queue that does not exist yet is created first with the definition's policy. pg-boss looks
 * the queue up on its own connection before it writes anything, so a missing queue leaves the
 * caller's transaction intact; creating a queue is idempotent (ON CONFLICT DO NOTHING), so two
 * processes racing to create it are fine.
 */
import type { PgBoss, SendOptions } from 'pg-boss';
import type { z } from 'zod';
import type { Prisma } from '../db/generated/client';
import { parseJobPayload, type JobDefinition } from './define-job';

export type Tx = Prisma.TransactionClient;

/** The code pg-boss gives the error for a queue that does not exist. */
const QUEUE_NOT_FOUND = 'PGBOSS_QUEUE_NOT_FOUND';

export interface SendJobOptions {
  /** The queue to send to; default the definition's name. */
  queue?: string;
  options?: SendOptions;
}

export async function sendJob<S extends z.ZodType>(boss: PgBoss, def: JobDefinition<S>, payload: z.input<S>, o: SendJobOptions = {}): Promise<string | null> {
  return send(boss, def, payload, o, undefined);
}

export async function sendJobInTransaction<S extends z.ZodType>(
  boss: PgBoss,
  tx: Tx,
  def: JobDefinition<S>,
  payload: z.input<S>,
  o: SendJobOptions = {},
): Promise<string | null> {
  return send(boss, def, payload, o, tx);
}

async function send(
  boss: PgBoss,
  def: JobDefinition,
  payload: unknown,
  { queue = def.name, options }: SendJobOptions,
  tx: Tx | undefined,
): Promise<string | null> {
  const data = parseJobPayload(def, payload) as object;
  const db = tx && {
    async executeSql(text: string, values: unknown[] = []) {
      const rows = (await tx.$queryRawUnsafe(text, ...values)) as unknown[];
      return { rows };
    },
  };
  const attempt = () => boss.send(queue, data, { ...options, ...(db ? { db } : {}) });
  try {
    return await attempt();
  } catch (e) {
    if ((e as { code?: string }).code !== QUEUE_NOT_FOUND) throw e;
    await boss.createQueue(queue, def.policy);
    return attempt();
  }
}
