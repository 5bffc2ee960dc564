/**
 * Issue 12, item 2: a run must never stay RUNNING (or QUEUED) after its job has ended. Real
 * kills: the worker is killed with SIGKILL during the run on every attempt until pg-boss's
 * retries are used up and the job fails for good ("job heartbeat timeout", then dead-lettered);
 * the run must end FAILED with that reason, and Retry must then queue a fresh run that a worker
 * completes. Cancel of a run whose worker was killed must not claim a worker will stop it.
 * Other ways a job ends without its run (cancelled or deleted in the queue) are swept too.
 *
 * The model's queue is created here with a 10 s heartbeat (pg-boss's minimum) and a 1 s retry
 * delay, so a lost worker is noticed in seconds; the worker pauses at a stage (the fault hook,
 * ISEG_FAULT_HOLD_AT_STAGE) so each kill lands while the run is segmenting.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { segmentationQueueFor } from '../../../lib/server/jobs/queues';
import { SEGMENTATION_RUN_JOB } from '../../../lib/server/jobs/job-definitions';
import { findSegmentationRuns } from '../../../lib/server/jobs/find-segmentation-runs';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { cancelSegmentationRun } from '../../../lib/server/runs/cancel-segmentation-run';
import { retrySegmentationRun } from '../../../lib/server/runs/retry-segmentation-run';
import { sweepStrandedRuns } from '../../../lib/server/runs/sweep-stranded-runs';
import { seedRunStudy } from './seed-run-study';
import { copyModel, type ModelCopy } from './model-copies';

const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };

async function job(t: TestDatabase, jobId: string) {
  const rows = await t.db.$queryRawUnsafe<{ state: string; retry_count: number; output: unknown }[]>(
    'SELECT state::text, retry_count, output FROM pgboss.job WHERE id = $1::uuid',
    jobId,
  );
  return rows[0];
}

describe('runs whose job ends without them', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  let modelsDir: string;
  let store: VolumeStore;
  let tiny: ModelCopy;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const w = await startWorker(t.url, { ...env, ...extra });
    workers.push(w);
    return w;
  };
  beforeAll(async () => {
    t = await createTestDatabase('stranded');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-stranded-'));
    modelsDir = path.join(tmp, 'models');
    tiny = copyModel(modelsDir, { folder: 'tiny-test' });
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    env = { ISEG_MODELS_DIR: modelsDir, ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: path.join(tmp, 'volumes') };
    await boss.createQueue(segmentationQueueFor(tiny), {
      ...SEGMENTATION_RUN_JOB.policy,
      heartbeatSeconds: 10,
      retryLimit: 2,
      retryDelay: 1,
      retryBackoff: false,
    });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('killed on every attempt: the job fails for good and the run ends FAILED with the reason; Retry then completes it', async () => {
    const { study } = await seedRunStudy(t, store, 'killed-thrice');
    const { runId, jobId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: tiny.dir });
    let kills = 0;
    for (let attempt = 1; attempt <= 3; attempt++) {
      // The next worker starts while the previous one's job is still active: its supervisor
      // notices the missed heartbeats and pg-boss retries the job, which it then takes.
      const w = await start({ ISEG_FAULT_HOLD_AT_STAGE: 'segmenting' });
      await waitFor(`attempt ${attempt} to reach segmenting`, async () => w.output().includes('fault hold: stage "segmenting'), 90_000);
      const run = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
      expect(run).toMatchObject({ status: 'RUNNING', attempts: attempt });
      await w.kill();
      kills++;
    }
    expect(kills).toBe(3);
    // Retries are used up: the next worker's supervisor fails the job, its sweeper the run.
    const last = await start();
    const failed = await waitFor(
      'the run to be marked FAILED',
      async () => {
        const r = await t.db.segmentationRun.findUnique({ where: { id: runId } });
        return r?.status === 'FAILED' ? r : null;
      },
      120_000,
    );
    expect(failed.errorCode).toBe('WORKER_LOST');
    expect(failed.error).toContain('job heartbeat timeout');
    expect(failed.error).toContain('after 3 attempts');
    expect(failed.finishedAt).not.toBeNull();
    const j = await job(t, jobId!);
    expect(j).toMatchObject({ state: 'failed', retry_count: 2 });
    const deadLetter = await t.db.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'dead-letter' AND source_id = $1::uuid`,
      jobId,
    );
    expect(deadLetter[0].n).toBe(1);
    expect(last.output()).toContain(`run ${runId}: RUNNING → FAILED (WORKER_LOST)`);
    expect(await t.db.auditEvent.count({ where: { action: 'run.failed.stranded', target: `run:${runId}` } })).toBe(1);
    // Nothing more happens to it: a second sweep changes nothing.
    expect(await sweepStrandedRuns(t.db, { runIds: [runId] })).toEqual([]);

    const retried = await retrySegmentationRun(t.db, boss, { caller: physicist, runId, modelsRoot: modelsDir });
    expect(retried.reused).toBe(false);
    const done = await waitFor(
      'the retried run to succeed',
      async () => {
        const r = await t.db.segmentationRun.findUnique({ where: { id: retried.runId } });
        if (r?.status === 'FAILED') throw new Error(`retried run failed: ${r.error}`);
        return r?.status === 'SUCCEEDED' ? r : null;
      },
      120_000,
    );
    expect(done.attempts).toBe(1);
    expect(await t.db.metricResult.count({ where: { runId: retried.runId } })).toBe(3 * 4);
    await last.stop();
  }, 420_000);

  it('cancel of a run whose worker was killed marks it CANCELLED and says no worker was running it', async () => {
    const { study } = await seedRunStudy(t, store, 'cancel-dead');
    const w = await start({ ISEG_FAULT_HOLD_AT_STAGE: 'segmenting' });
    const { runId, jobId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: tiny.dir });
    await waitFor('the run to be segmenting', async () => w.output().includes('fault hold: stage "segmenting'), 60_000);
    const instance = await t.db.workerInstance.findFirstOrThrow({ where: { pid: w.child.pid! } });
    expect((await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } })).workerId).toBe(instance.id);
    await w.kill();
    // No worker is left to notice: the job stays active and the run RUNNING, its worker silent.
    await waitFor(
      'the killed worker to be silent for 20 s',
      async () => Date.now() - (await t.db.workerInstance.findUniqueOrThrow({ where: { id: instance.id } })).lastSeenAt.getTime() > 21_000,
      40_000,
    );
    expect((await job(t, jobId!)).state).toBe('active');
    const listed = (await findSegmentationRuns(t.db, { caller: physicist, status: 'RUNNING' })).runs.find((r) => r.id === runId)!;
    expect(listed.waiting).toBeNull(); // its WorkerInstance still counts as live for a minute
    const r = await cancelSegmentationRun(t.db, boss, { caller: physicist, runId });
    expect(r).toEqual({ runId, previousStatus: 'RUNNING', runningOn: null });
    const run = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe('CANCELLED');
    expect(run.error).toContain('No live worker was running it');
    expect((await job(t, jobId!)).state).toBe('cancelled');
  }, 120_000);

  it('a job cancelled or deleted in the queue behind the run: the run is marked FAILED once, by whoever sweeps first', async () => {
    const a = await seedRunStudy(t, store, 'job-cancelled');
    const b = await seedRunStudy(t, store, 'job-deleted');
    const ra = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: a.study.id, modelDir: tiny.dir });
    const rb = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: b.study.id, modelDir: tiny.dir });
    const queue = segmentationQueueFor(tiny);
    await boss.cancel(queue, ra.jobId!);
    await boss.deleteJob(queue, rb.jobId!);
    // Two processes sweep at once (the jobs page and a worker): each run is marked once.
    const [s1, s2] = await Promise.all([sweepStrandedRuns(t.db), sweepStrandedRuns(t.db)]);
    const swept = [...s1, ...s2];
    expect(swept.map((s) => s.runId).sort()).toEqual([ra.runId, rb.runId].sort());
    expect(swept.find((s) => s.runId === ra.runId)).toMatchObject({ from: 'QUEUED', to: 'FAILED', code: 'JOB_CANCELLED' });
    expect(swept.find((s) => s.runId === rb.runId)).toMatchObject({ from: 'QUEUED', to: 'FAILED', code: 'JOB_MISSING' });
    const rows = await t.db.segmentationRun.findMany({ where: { id: { in: [ra.runId, rb.runId] } } });
    expect(rows.every((r) => r.status === 'FAILED' && r.error!.includes('nothing will run it'))).toBe(true);
    expect(await t.db.auditEvent.count({ where: { action: 'run.failed.stranded', target: { in: [`run:${ra.runId}`, `run:${rb.runId}`] } } })).toBe(2);
    // Retry works on both.
    for (const id of [ra.runId, rb.runId])
      expect((await retrySegmentationRun(t.db, boss, { caller: physicist, runId: id, modelsRoot: modelsDir })).reused).toBe(false);
  });

  it('Retry of a run still shown RUNNING whose job has failed sweeps it first and retries it', async () => {
    const { study } = await seedRunStudy(t, store, 'retry-stranded');
    const { runId, jobId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: tiny.dir });
    // As a killed worker leaves it: claimed, then the job failed for good by pg-boss.
    await t.db.segmentationRun.update({
      where: { id: runId },
      data: { status: 'RUNNING', attempts: 3, progress: 36.6, stage: 'segmenting GTV:phase:1', startedAt: new Date(), heartbeatAt: new Date() },
    });
    await t.db.$executeRawUnsafe(
      `UPDATE pgboss.job SET state = 'failed', retry_count = 2, completed_on = now(), output = '{"value":{"message":"job heartbeat timeout"}}' WHERE id = $1::uuid`,
      jobId,
    );
    const r = await retrySegmentationRun(t.db, boss, { caller: physicist, runId, modelsRoot: modelsDir });
    expect(r.reused).toBe(false);
    const old = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(old).toMatchObject({ status: 'FAILED', errorCode: 'WORKER_LOST' });
    expect((await t.db.segmentationRun.findUniqueOrThrow({ where: { id: r.runId } })).status).toBe('QUEUED');
  });
});
