/**
 * Segmentation jobs. A worker subscribes to the queue of the model it loaded
 * (`segmentation.run/<name>/<sha256>`, see lib/server/jobs/queues.ts) and executes those runs
 * with it; and to the legacy queue `segmentation.run` only to move each job there to its
 * model's queue. Before executing, the run's model version is checked against the loaded model
 * (name and sha256): a job of any other model is moved to its own queue, never executed here.
 */
import type { JobWithMetadata, PgBoss } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import type { VolumeStore } from '../../lib/server/storage/volume-store';
import { executeSegmentationRun, type SegmentFn } from '../../lib/server/runs/execute-segmentation-run';
import { evaluateMonitoringAlerts } from '../../lib/server/monitoring/evaluate-monitoring-alerts';
import { queueAlertWebhooks } from '../../lib/server/monitoring/queue-alert-webhooks';
import { queueAutomaticSends } from '../../lib/server/dicom-send/queue-automatic-sends';
import type { SegmentationJobData } from '../../lib/server/jobs/job-definitions';
import { routeSegmentationRun } from '../../lib/server/runs/route-segmentation-run';
import { buildStudySliceStore } from '../../lib/server/studies/build-study-slice-store';
import { segmentVolume, type LoadedModel } from '../../lib/inference';

/** How often a running job looks for a cancel on its run row (ms). */
const CANCEL_POLL_MS = 1_000;

export function modelSegmenter(model: LoadedModel): SegmentFn {
  return async (ct, { signal, onProgress }) => {
    const r = await segmentVolume({ volume: ct, model, signal, onProgress });
    return { mask: r.mask, timingsMs: r.timingsMs as unknown as Record<string, number>, cpuMs: r.cpuMs as unknown as Record<string, number> | undefined };
  };
}

/**
 * An abort signal that fires when the run is CANCELLED (the jobs page). pg-boss also aborts
 * job.signal when the cancelled job's next heartbeat finds its claim gone, but that can take
 * half the queue's heartbeat (15 s); the run row says so within a second.
 */
function watchForCancel(db: Db, runId: string): { signal: AbortSignal; stop: () => void } {
  const ac = new AbortController();
  const timer = setInterval(() => {
    db.segmentationRun
      .findUnique({ where: { id: runId }, select: { status: true } })
      .then((r) => {
        if (r?.status === 'CANCELLED') ac.abort(new Error(`Run ${runId} was cancelled.`));
      })
      .catch(() => undefined); // a database blip: the next poll tries again
  }, CANCEL_POLL_MS);
  return { signal: ac.signal, stop: () => clearInterval(timer) };
}

/**
 * Fault injection for the integration tests' kill -9 suite: with ISEG_FAULT_HOLD_AT_STAGE set,
 * the worker pauses for ISEG_FAULT_HOLD_MS (default 120 s) whenever a run enters a stage whose
 * name starts with it ("reading GTV:phase:0", "segmenting GTV:phase:1", "ITV", "metrics ITV",
 * "writing results"), after the stage is on the run row, and says so on stdout. Unset: nothing.
 */
export function faultHoldFromEnv(env: NodeJS.ProcessEnv = process.env): ((stage: string) => Promise<void>) | undefined {
  const at = env.ISEG_FAULT_HOLD_AT_STAGE;
  if (!at) return undefined;
  const ms = Number(env.ISEG_FAULT_HOLD_MS ?? 120_000);
  return async (stage) => {
    if (!stage.startsWith(at)) return;
    console.log(`[worker ${process.pid}] fault hold: stage "${stage}" for ${ms} ms`);
    await new Promise((r) => setTimeout(r, ms));
  };
}

export interface SegmentationJobContext {
  db: Db;
  boss: PgBoss;
  store: VolumeStore;
  model: LoadedModel;
  workerId: string;
  codeVersion: string;
  shutdown: AbortSignal;
  /** True for the legacy single queue: every job is moved to its model's queue, none executed. */
  legacy?: boolean;
  onStage?: (stage: string) => Promise<void> | void;
}

function log(msg: string): void {
  console.log(`[worker ${process.pid}] ${msg}`);
}

/** One job, its payload already checked against SEGMENTATION_RUN_JOB's schema (workJob). */
export async function runSegmentationJob(job: JobWithMetadata<SegmentationJobData>, ctx: SegmentationJobContext): Promise<void> {
  const { db, boss, store, model } = ctx;
  const runId = job.data.runId;
  const run = await db.segmentationRun.findUnique({
    where: { id: runId },
    select: { id: true, studyId: true, jobId: true, status: true, modelVersion: { select: { name: true, version: true, sha256: true } } },
  });
  if (!run) {
    log(`job ${job.id} (${job.name}): run ${runId} does not exist; job ignored`);
    return;
  }
  if (run.jobId && run.jobId !== job.id) {
    // A job the run no longer points at (moved to its model's queue, or replaced): its work is
    // done elsewhere.
    log(`job ${job.id} (${job.name}) is no longer the job of run ${run.id} (now ${run.jobId}); ignored`);
    return;
  }
  const mv = run.modelVersion;
  if (ctx.legacy || mv.sha256 !== model.sha256 || mv.name !== model.name) {
    if (!ctx.legacy)
      log(
        `run ${run.id} is for ${mv.name} ${mv.version} (${mv.sha256.slice(0, 12)}…), not this worker's ${model.name} (${model.sha256.slice(0, 12)}…): refused, moving it to its model's queue`,
      );
    const r = await routeSegmentationRun(db, boss, { runId: run.id, fromJobId: job.id, fromQueue: job.name, priority: job.priority });
    log(r.moved ? `run ${run.id} (${mv.name} ${mv.version}) moved from ${job.name} to ${r.queue}` : `run ${run.id} not moved: ${r.reason}`);
    return;
  }
  // The viewer's slice store of the study's first phase (docs/viewer.md, "First image"), built
  // beside the run so a new study's first image is quick; awaited before the job ends, and a
  // failure only leaves it to the first view.
  const sliceStore = buildStudySliceStore(db, store, { studyId: run.studyId }).then(
    (r) => r && log(`study ${run.studyId}: viewer slice store of series ${r.seriesId} ready`),
    (e: Error) => log(`study ${run.studyId}: viewer slice store not built: ${e.message}`),
  );
  const cancel = watchForCancel(db, run.id);
  // Abort on worker shutdown, when pg-boss gives up on the job (expiry, cancel) or when the
  // run is cancelled.
  const signal = AbortSignal.any([job.signal, ctx.shutdown, cancel.signal]);
  try {
    const outcome = await executeSegmentationRun({
      db,
      store,
      runId: run.id,
      segment: modelSegmenter(model),
      attempt: job.retryCount + 1,
      maxAttempts: job.retryLimit + 1,
      codeVersion: ctx.codeVersion,
      signal,
      workerId: ctx.workerId,
      expectedModel: { name: model.name, sha256: model.sha256 },
      onStage: ctx.onStage,
    });
    // Automatic sends of the machine RTSTRUCT (once per run and destination; a retry of this
    // job after a crash finds the run already finished and queues what is missing).
    if (outcome !== 'cancelled') {
      const { queued } = await queueAutomaticSends(db, boss, { runId: run.id });
      if (queued.length) log(`run ${run.id}: machine RTSTRUCT queued for automatic send to ${queued.join(', ')}`);
      // Drift alerts (docs/monitoring.md, "Alerts"): idempotent, so a retry evaluates again harmlessly;
      // a failure is logged and does not fail the finished run's job.
      await evaluateMonitoringAlerts(db, { triggeredByRunId: run.id }).then(
        (r) => r.created && log(`run ${run.id}: ${r.created} new drift alert(s) (monitoring configuration v${r.configVersion})`),
        (e: Error) => log(`run ${run.id}: drift alert evaluation failed: ${e.message}`),
      );
      // Their webhooks (docs/monitoring.md, "Webhooks"): once per alert and webhook, so a retry queues nothing twice.
      await queueAlertWebhooks(db, boss, { triggeredByRunId: run.id }).then(
        (r) => r.queued && log(`run ${run.id}: ${r.queued} alert webhook delivery(ies) queued`),
        (e: Error) => log(`run ${run.id}: queueing alert webhooks failed: ${e.message}`),
      );
    }
  } catch (e) {
    // A cancelled run is finished, not failed: the job ends without a retry.
    if (cancel.signal.aborted) {
      log(`run ${run.id} cancelled; stopped`);
      return;
    }
    throw e;
  } finally {
    cancel.stop();
    await sliceStore;
  }
}
