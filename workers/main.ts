/**
 * The worker process: takes jobs from the pg-boss queues in our Postgres. Run one per core or
 * machine (`npm run worker`); `npm start` starts one beside the web server.
 *
 * - Registers itself in WorkerInstance and heartbeats every HEARTBEAT_MS.
 * - pg-boss heartbeats each active job; a killed worker's job is retried elsewhere after
 *   the queue's heartbeatSeconds.
 * - Takes segmentation jobs only from the queue of the model it loaded
 *   (`segmentation.run/<name>/<sha256>`), so every run is executed by its own model; jobs in the
 *   legacy single queue are moved to their model's queue (workers/tasks/segmentation-run.ts).
 * - Every SWEEP_MS (and at start) marks FAILED the runs whose job has ended without them
 *   (lib/server/runs/sweep-stranded-runs.ts), so no run stays QUEUED or RUNNING forever.
 *   The same sweep covers DICOM sends and prepared de-identified exports (expired ones deleted
 *   after 24 h, stranded ones failed: lib/server/exports/sweep-deid-exports.ts).
 * - Each job definition (lib/server/jobs/job-definitions.ts) is registered with workJob, which
 *   checks every payload against the definition's schema before the handler sees it.
 * - SIGTERM/SIGINT: stop taking work, let active jobs finish (up to STOP_TIMEOUT_MS), exit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseEnv, ConfigError } from '../lib/server/env';
import { createDb, type Db } from '../lib/server/db/client';
import { resolveDatabaseUrl } from '../lib/server/db/resolve-database-url';
import { createBoss } from '../lib/server/jobs/boss';
import { QUEUES, segmentationQueueFor } from '../lib/server/jobs/queues';
import { workJob } from '../lib/server/jobs/define-job';
import { ALERT_WEBHOOK_JOB, DICOM_SEND_JOB, SEGMENTATION_RUN_JOB, WORKER_SELF_TEST_JOB } from '../lib/server/jobs/job-definitions';
import { runDicomSendJob } from './tasks/dicom-send';
import { runAlertWebhookJob } from './tasks/alert-webhook';
import { workPacsRetrievals } from './tasks/pacs-retrieve';
import { workDeidExports } from './tasks/deid-export';
import { sweepDeidExports } from '../lib/server/exports/sweep-deid-exports';
import { runWorkerSelfTest } from './tasks/worker-self-test';
import { faultHoldFromEnv, runSegmentationJob } from './tasks/segmentation-run';
import { sweepStrandedRuns } from '../lib/server/runs/sweep-stranded-runs';
import { sweepStrandedSends } from '../lib/server/dicom-send/sweep-stranded-sends';
import { createVolumeStore } from '../lib/server/storage/volume-store';
import { loadModel, readModelManifest, type LoadedModel } from '../lib/inference';
import { failRunsOfInvalidModel, MODEL_PROBLEM_CODES } from '../lib/server/runs/fail-runs-of-invalid-model';
import { codeVersion } from '../lib/server/code-version';

/** Exit code when the configured model or execution provider cannot start (not retried). */
export const EXIT_MODEL_UNAVAILABLE = 3;

const HEARTBEAT_MS = 5_000;
const STOP_TIMEOUT_MS = 30_000;
/** How often the worker looks for runs whose job ended without them (ms). */
const SWEEP_MS = 15_000;

function log(msg: string): void {
  console.log(`[worker ${process.pid}] ${msg}`);
}

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`[worker] ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const databaseUrl = resolveDatabaseUrl(env);
  if (!databaseUrl) {
    console.error('[worker] No database: set DATABASE_URL, or start `npm start` first so the embedded Postgres exists.');
    process.exit(2);
  }
  const db = createDb(databaseUrl);
  const workerId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const abort = new AbortController();

  // The model is loaded (hash, tensor names, provider) before any job is taken: a worker that
  // cannot run its model stops with a clear error instead of failing every run. If the model
  // itself is bad (not the provider), the runs queued for it are marked FAILED with the reason
  // first, so they do not wait forever with none (fail-runs-of-invalid-model.ts).
  const modelDir = path.join(env.modelsDir, env.ISEG_MODEL);
  let model: LoadedModel | null = null;
  if (fs.existsSync(path.join(modelDir, 'manifest.json'))) {
    try {
      model = await loadModel({ modelDir, provider: env.ISEG_EXECUTION_PROVIDER });
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'MODEL_NOT_FOUND';
      console.error(`[worker] cannot start model "${env.ISEG_MODEL}" on ${env.ISEG_EXECUTION_PROVIDER}: ${(e as Error).message}`);
      if ((MODEL_PROBLEM_CODES as readonly string[]).includes(code))
        await failQueuedRuns(db, databaseUrl, modelDir, env.ISEG_MODEL, code, (e as Error).message);
      process.exit(EXIT_MODEL_UNAVAILABLE);
    }
  } else {
    log(`no model at ${modelDir}: segmentation runs wait for a worker that has one (set ISEG_MODEL, ISEG_MODELS_DIR)`);
  }

  const boss = await createBoss({ databaseUrl, worker: true });
  await db.workerInstance.create({
    data: {
      id: workerId,
      host: os.hostname(),
      pid: process.pid,
      provider: env.ISEG_EXECUTION_PROVIDER,
      concurrency: env.ISEG_WORKER_CONCURRENCY,
      modelName: model?.name ?? null,
      modelVersion: model?.version ?? null,
      modelSha256: model?.sha256 ?? null,
    },
  });
  const heartbeat = setInterval(() => {
    db.workerInstance
      .update({ where: { id: workerId }, data: { lastSeenAt: new Date() } })
      .catch((e: Error) => log(`heartbeat failed (will retry): ${e.message}`));
  }, HEARTBEAT_MS);

  await workJob(boss, WORKER_SELF_TEST_JOB, { options: { localConcurrency: env.ISEG_WORKER_CONCURRENCY } }, (job) =>
    runWorkerSelfTest(db, job, { workerId, signal: abort.signal }),
  );
  const queues: string[] = [WORKER_SELF_TEST_JOB.name];
  // Sending machine RTSTRUCTs needs no model: every worker takes them.
  const sendStore = createVolumeStore({ dir: env.volumeDir });
  await workJob(boss, DICOM_SEND_JOB, { options: { localConcurrency: 2, includeMetadata: true } }, (job) => runDicomSendJob(job, { db, store: sendStore }));
  queues.push(DICOM_SEND_JOB.name);
  // Drift alerts POSTed to an admin's webhook (lib/server/monitoring/execute-alert-webhook.ts): every worker takes them.
  const baseUrl = env.NEXTAUTH_URL ?? null;
  await workJob(boss, ALERT_WEBHOOK_JOB, { options: { localConcurrency: 2, includeMetadata: true } }, (job) => runAlertWebhookJob(job, { db, baseUrl }));
  queues.push(ALERT_WEBHOOK_JOB.name);
  // Studies retrieved from a PACS over DICOMweb, imported as uploads are (lib/server/pacs).
  queues.push(await workPacsRetrievals(boss, { db, store: sendStore, signal: abort.signal, log }));
  // Prepared de-identified exports (lib/server/exports): every worker takes them.
  queues.push(await workDeidExports(boss, { db, store: sendStore, log, onStage: faultHoldFromEnv() }));
  if (model) {
    const store = createVolumeStore({ dir: env.volumeDir });
    const context = { db, boss, store, model, workerId, codeVersion: codeVersion(), shutdown: abort.signal, onStage: faultHoldFromEnv() };
    // Only this model's queue: a run of any other model version never reaches this worker.
    const modelQueue = segmentationQueueFor(model);
    if (!(await boss.getQueue(modelQueue))) await boss.createQueue(modelQueue, SEGMENTATION_RUN_JOB.policy);
    const options = { localConcurrency: env.ISEG_WORKER_CONCURRENCY, includeMetadata: true } as const;
    await workJob(boss, SEGMENTATION_RUN_JOB, { queue: modelQueue, options }, (job) => runSegmentationJob(job, context));
    // Jobs queued by an older version in the single queue: moved to their model's queue, not run.
    await workJob(boss, SEGMENTATION_RUN_JOB, { queue: QUEUES.segmentationRun, options: { ...options, localConcurrency: 1 } }, (job) =>
      runSegmentationJob(job, { ...context, legacy: true }),
    );
    queues.push(modelQueue, `${QUEUES.segmentationRun} (legacy: moved to their model's queue)`);
  }
  const sweep = () =>
    Promise.all([
      sweepStrandedRuns(db)
        .then((swept) => {
          for (const s of swept) log(`run ${s.runId}: ${s.from} → ${s.to} (${s.code}): ${s.reason}`);
        })
        .catch((e: Error) => log(`sweep of stranded runs failed (will retry): ${e.message}`)),
      sweepStrandedSends(db)
        .then((swept) => {
          for (const s of swept) log(`dicom send ${s.sendId}: → ${s.to}: ${s.reason}`);
        })
        .catch((e: Error) => log(`sweep of stranded DICOM sends failed (will retry): ${e.message}`)),
      sweepDeidExports(db, sendStore)
        .then((s) => {
          for (const id of s.expired) log(`deid export ${id}: expired, file deleted`);
          for (const f of s.failed) log(`deid export ${f.exportId}: → FAILED: ${f.reason}`);
          for (const id of s.requeued) log(`deid export ${id}: interrupted, → QUEUED for its retry`);
          for (const f of s.filesRemoved) log(`deid export leftover removed: ${f}`);
        })
        .catch((e: Error) => log(`sweep of de-identified exports failed (will retry): ${e.message}`)),
    ]);
  await sweep();
  const sweeper = setInterval(() => void sweep(), SWEEP_MS);
  log(
    `ready (${workerId}), model ${model ? `${model.name} ${model.version} (${model.sha256.slice(0, 12)}…) on ${model.provider}` : 'none'}, queues: ${queues.join(', ')}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing active jobs, taking no new ones`);
    clearInterval(heartbeat);
    clearInterval(sweeper);
    const force = setTimeout(() => abort.abort(), STOP_TIMEOUT_MS - 2_000);
    try {
      await boss.stop({ graceful: true, timeout: STOP_TIMEOUT_MS });
    } catch (e) {
      log(`stop: ${(e as Error).message}`);
    }
    clearTimeout(force);
    await db.workerInstance.update({ where: { id: workerId }, data: { stoppedAt: new Date() } }).catch(() => {});
    await db.$disconnect();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Marks the runs queued for this model FAILED (MODEL_INVALID) with the reason; never throws. */
async function failQueuedRuns(db: Db, databaseUrl: string, modelDir: string, folder: string, code: string, reason: string): Promise<void> {
  const names = new Set([folder]);
  // The runs name the model by its manifest name, which may differ from the folder's.
  const manifestName = await readModelManifest(modelDir).then(
    (m) => m.manifest.name,
    () => null,
  );
  if (manifestName) names.add(manifestName);
  let boss: Awaited<ReturnType<typeof createBoss>> | null = null;
  try {
    boss = await createBoss({ databaseUrl, worker: false });
    const r = await failRunsOfInvalidModel(db, boss, { modelNames: [...names], problemCode: code, reason });
    if (r.servedBy) console.error(`[worker] queued runs of "${[...names].join('", "')}" left queued: live worker ${r.servedBy} serves this model.`);
    else console.error(`[worker] marked ${r.failedRunIds.length} queued run(s) of model "${[...names].join('", "')}" FAILED (MODEL_INVALID).`);
  } catch (e) {
    console.error(`[worker] could not mark the queued runs failed: ${(e as Error).message}`);
  } finally {
    await boss?.stop({ graceful: false }).catch(() => undefined);
    await db.$disconnect().catch(() => undefined);
  }
}

main().catch((e: unknown) => {
  console.error(`[worker] failed to start: ${(e as Error).message}`);
  process.exit(1);
});
