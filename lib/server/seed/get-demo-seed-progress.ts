/**
 * The demo seed's progress for the cohort page's banner: null when no seed ran or it finished
 * more than a day ago. Any signed-in role may see it (it holds counts, no patient data).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';

export interface DemoSeedProgress {
  state: 'writing' | 'importing' | 'done' | 'failed';
  patients: number;
  imported: number;
  error: string | null;
}

export async function getDemoSeedProgress(db: Db, { caller }: { caller: Caller | null }): Promise<DemoSeedProgress | null> {
  authorize(caller, 'cohort:view');
  const row = await db.demoSeed.findUnique({ where: { id: 1 } });
  if (!row || (row.state === 'done' && row.finishedAt && Date.now() - row.finishedAt.getTime() > 86_400_000)) return null;
  return { state: row.state as DemoSeedProgress['state'], patients: row.patients, imported: row.imported, error: row.error };
}
