/** Count an instance the listener refused (answered with a failure status) on its association. */
import type { Db } from '../db/client';

export async function recordRefusedInstance(options: { db: Db; associationId: string }): Promise<void> {
  await options.db.dicomAssociation.update({ where: { id: options.associationId }, data: { instancesFailed: { increment: 1 } } });
}
