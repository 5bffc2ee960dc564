/**
 * Enqueue a job inside the caller's Prisma transaction, so the job exists if and only if the
 * domain write commits. pg-boss accepts any `executeSql`.
 *
 * With `createQueue`, a queue that does not exist yet (a per-model segmentation queue on the
 * first run of a model) is created first with those options. pg-boss looks the queue up on its
 * own connection before it writes anything, so a missing queue leaves the caller's transaction
 * intact; creating a queue is idempotent (ON CONFLICT DO NOTHING), so two processes racing to
 * create it are fine.
 */
import type { PgBoss, Queue, SendOptions } from 'pg-boss';
import type { Prisma } from '../db/generated/client';

export type Tx = Prisma.TransactionClient;

/** The code pg-boss gives the error for a queue that does not exist. */
const QUEUE_NOT_FOUND = 'PGBOSS_QUEUE_NOT_FOUND';

export async function sendJobInTransaction(
  boss: PgBoss,
  tx: Tx,
  { queue, data, options, createQueue }: { queue: string; data: object; options?: SendOptions; createQueue?: Omit<Queue, 'name'> },
): Promise<string | null> {
  const send = () =>
    boss.send(queue, data, {
      ...options,
      db: {
        async executeSql(text: string, values: unknown[] = []) {
          const rows = (await tx.$queryRawUnsafe(text, ...values)) as unknown[];
          return { rows };
        },
      },
    });
  try {
    return await send();
  } catch (e) {
    if (!createQueue || (e as { code?: string }).code !== QUEUE_NOT_FOUND) throw e;
    await boss.createQueue(queue, createQueue);
    return send();
  }
}
