/**
 * Model versions with queued runs that no live worker serves. A run is only ever executed by a
 * worker serving exactly its model version (name + sha256; docs/architecture.md), so these runs
 * wait until such a worker starts: `iseg-qa doctor` and the jobs page say so.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { liveWorkerWhere } from './live-worker';

export interface UnservedModelVersion {
  name: string;
  version: string;
  sha256: string;
  queuedRuns: number;
}

export async function findUnservedModelVersions(
  db: Db,
  { caller, now = new Date() }: { caller: Caller | 'system'; now?: Date },
): Promise<UnservedModelVersion[]> {
  if (caller !== 'system') authorize(caller, 'jobs:view');
  const [queued, live] = await Promise.all([
    db.segmentationRun.groupBy({ by: ['modelVersionId'], where: { status: 'QUEUED' }, _count: { _all: true } }),
    db.workerInstance.findMany({ where: liveWorkerWhere(now), select: { modelName: true, modelSha256: true } }),
  ]);
  if (queued.length === 0) return [];
  const served = new Set(live.map((w) => `${w.modelName}\u0000${w.modelSha256}`));
  const versions = await db.modelVersion.findMany({ where: { id: { in: queued.map((q) => q.modelVersionId) } } });
  const byId = new Map(versions.map((v) => [v.id, v]));
  return queued
    .map((q) => ({ v: byId.get(q.modelVersionId), n: q._count._all }))
    .filter((x): x is { v: NonNullable<typeof x.v>; n: number } => !!x.v && !served.has(`${x.v.name}\u0000${x.v.sha256}`))
    .map(({ v, n }) => ({ name: v.name, version: v.version, sha256: v.sha256, queuedRuns: n }))
    .sort((a, b) => b.queuedRuns - a.queuedRuns || a.name.localeCompare(b.name));
}
