/**
 * When a worker counts as live: it heartbeats its WorkerInstance row every 5 s (workers/main.ts),
 * so a row seen within this window belongs to a running process. One window for the jobs page,
 * the models page, `iseg-qa doctor` and the run bookkeeping alike.
 */
export const LIVE_WORKER_MS = 60_000;

/** Prisma filter on WorkerInstance for the workers live at `now`. */
export function liveWorkerWhere(now: Date = new Date()) {
  return { stoppedAt: null, lastSeenAt: { gt: new Date(now.getTime() - LIVE_WORKER_MS) } };
}
