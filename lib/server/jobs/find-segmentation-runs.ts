/**
 * Segmentation runs for the jobs page: status, progress, stage, attempts, wall time, the
 * failure's code and reason, the model; newest first, optionally one status. Patients appear by
 * pseudonym only (no identifiers), so listing runs needs no audit event.
 *
 * A queued or running run whose model version (name + sha256) no live worker serves says so in
 * `waiting` ("Waiting for a worker serving tiny-test 1.0.0 …"): only such a worker takes it.
 *
 * Running runs come first (pinned, longest-running first, all of them whatever `limit`), then the
 * others newest first. Queued and running runs carry an estimate of the time left (`eta`, from
 * their progress and elapsed time, or the median run time of recent runs of their model:
 * lib/core/runs/estimate-run-eta.ts).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { liveWorkerWhere } from './live-worker';
import { findRecentRunDurations } from './find-recent-run-durations';
import { estimateRunEta, type RunEta } from '../../core/runs/estimate-run-eta';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatusName = (typeof RUN_STATUSES)[number];

export interface RunListItem {
  id: string;
  status: RunStatusName;
  /** 0..100 */
  progress: number;
  stage: string | null;
  attempts: number;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Wall time from start to finish (or to now while running), ms; null before it starts. */
  wallMs: number | null;
  /** The stored per-stage timings summed by stage (ms): reading volumes, segmenting, ITV, metrics. */
  stageMs: { read: number; segment: number; itv: number; metrics: number };
  errorCode: string | null;
  error: string | null;
  model: { name: string; version: string; sha256: string };
  study: { id: string; pseudonym: string };
  /** Set for a queued or running run that no live worker can take: none serves its model version. */
  waiting: string | null;
  /** Time left for a queued or running run, with its basis; null when finished or nothing to go on. */
  eta: RunEta | null;
}

/** Why a run waits, or null when a live worker serves its model (name and sha256). */
export function waitingReason(
  run: { status: string; model: { name: string; version: string; sha256: string } },
  liveModels: { modelName: string | null; modelSha256: string | null }[],
): string | null {
  if (run.status !== 'QUEUED' && run.status !== 'RUNNING') return null;
  const m = run.model;
  if (liveModels.some((w) => w.modelName === m.name && w.modelSha256 === m.sha256)) return null;
  const which = `${m.name} ${m.version} (sha256 ${m.sha256.slice(0, 12)}…)`;
  return run.status === 'QUEUED'
    ? `Waiting for a worker serving ${which}: no live worker serves this model. Start one with ISEG_MODEL set to its folder (\`npm run worker\`).`
    : `No live worker serves ${which} any more: the run resumes when one starts, or fails once its retries are used up.`;
}

/**
 * Sums a run's timings by stage. Keys as executeSegmentationRun writes them: `<label>:read`,
 * `<label>:segment` (its inner steps `<label>:<step>` are part of it and not added again),
 * `itv`, `metrics:<structure>`.
 */
export function sumStageTimings(timings: unknown): RunListItem['stageMs'] {
  const out = { read: 0, segment: 0, itv: 0, metrics: 0 };
  if (!timings || typeof timings !== 'object') return out;
  for (const [k, v] of Object.entries(timings as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (k.endsWith(':read')) out.read += v;
    else if (k.endsWith(':segment')) out.segment += v;
    else if (k === 'itv') out.itv += v;
    else if (k.startsWith('metrics:')) out.metrics += v;
  }
  return out;
}

export async function findSegmentationRuns(
  db: Db,
  { caller, status, limit = 200, now = new Date() }: { caller: Caller; status?: RunStatusName; limit?: number; now?: Date },
): Promise<{ runs: RunListItem[]; counts: Record<RunStatusName, number>; total: number }> {
  authorize(caller, 'jobs:view');
  const include = {
    modelVersion: { select: { name: true, version: true, sha256: true } },
    study: { select: { id: true, patient: { select: { pseudonym: true } } } },
  } as const;
  const pinRunning = !status || status === 'RUNNING';
  const [running, others, grouped, liveModels] = await Promise.all([
    pinRunning ? db.segmentationRun.findMany({ where: { status: 'RUNNING' }, orderBy: [{ startedAt: 'asc' }, { queuedAt: 'asc' }], take: 1000, include }) : [],
    status === 'RUNNING'
      ? []
      : db.segmentationRun.findMany({
          where: status ? { status } : { status: { not: 'RUNNING' } },
          orderBy: [{ queuedAt: 'desc' }],
          take: Math.min(Math.max(1, limit), 1000),
          include,
        }),
    db.segmentationRun.groupBy({ by: ['status'], _count: { _all: true } }),
    db.workerInstance.findMany({ where: liveWorkerWhere(now), select: { modelName: true, modelSha256: true } }),
  ]);
  const rows = [...running, ...others];
  const active = rows.filter((r) => r.status === 'RUNNING' || r.status === 'QUEUED');
  const durations = await findRecentRunDurations(db, { modelVersionIds: [...new Set(active.map((r) => r.modelVersionId))] });
  const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatusName, number>;
  for (const g of grouped) counts[g.status as RunStatusName] = g._count._all;
  const runs = rows.map((r): RunListItem => ({
    id: r.id,
    status: r.status as RunStatusName,
    progress: r.progress,
    stage: r.stage,
    attempts: r.attempts,
    queuedAt: r.queuedAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    wallMs: r.startedAt ? (r.finishedAt ?? (r.status === 'RUNNING' ? now : r.startedAt)).getTime() - r.startedAt.getTime() : null,
    stageMs: sumStageTimings(r.timings),
    errorCode: r.errorCode,
    error: r.error,
    model: r.modelVersion,
    study: { id: r.study.id, pseudonym: r.study.patient.pseudonym },
    waiting: waitingReason({ status: r.status, model: r.modelVersion }, liveModels),
    eta:
      r.status === 'RUNNING' || r.status === 'QUEUED'
        ? estimateRunEta({
            status: r.status,
            progress: r.progress,
            startedAt: r.startedAt,
            now,
            recentDurationsMs: durations.get(r.modelVersionId) ?? [],
            modelLabel: `${r.modelVersion.name} ${r.modelVersion.version}`,
          })
        : null,
  }));
  return { runs, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
}
