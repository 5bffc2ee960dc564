/** Worker processes with a heartbeat in the last minute, with their provider, concurrency and model. */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { liveWorkerWhere } from './live-worker';

export interface LiveWorker {
  id: string;
  host: string;
  pid: number;
  provider: string;
  concurrency: number;
  model: { name: string; version: string; sha256: string } | null;
  startedAt: string;
  lastSeenAt: string;
}

export async function findLiveWorkers(db: Db, { caller, now = new Date() }: { caller: Caller | 'system'; now?: Date }): Promise<LiveWorker[]> {
  if (caller !== 'system') authorize(caller, 'jobs:view');
  const rows = await db.workerInstance.findMany({
    where: liveWorkerWhere(now),
    orderBy: { startedAt: 'asc' },
  });
  return rows.map((w) => ({
    id: w.id,
    host: w.host,
    pid: w.pid,
    provider: w.provider,
    concurrency: w.concurrency,
    model: w.modelName ? { name: w.modelName, version: w.modelVersion ?? '?', sha256: w.modelSha256 ?? '' } : null,
    startedAt: w.startedAt.toISOString(),
    lastSeenAt: w.lastSeenAt.toISOString(),
  }));
}
