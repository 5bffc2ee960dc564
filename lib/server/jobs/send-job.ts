/**
 * Enqueue a job inside the caller's Prisma transaction, so the job exists if and only if the
 * domain write commits (docs/conventions.md, item 11). pg-boss accepts any `executeSql`.
 */
import type { PgBoss, SendOptions } from 'pg-boss';
import type { Prisma } from '../db/generated/client';
import type { QueueName } from './queues';

export type Tx = Prisma.TransactionClient;

export async function sendJobInTransaction(
  boss: PgBoss,
  tx: Tx,
  { queue, data, options }: { queue: QueueName; data: object; options?: SendOptions },
): Promise<string | null> {
  return boss.send(queue, data, {
    ...options,
    db: {
      async executeSql(text: string, values: unknown[] = []) {
        const rows = (await tx.$queryRawUnsafe(text, ...values)) as unknown[];
        return { rows };
      },
    },
  });
}
