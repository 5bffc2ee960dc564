/**
 * Issue 12, item 1: a run is only ever executed by a worker serving exactly its model version
 * (name + sha256). Two real worker processes serve two different models (tiny-test, and
 * tiny-b: other ONNX bytes and another output threshold) from one ISEG_MODELS_DIR; runs of both
 * and of a third model nobody serves are queued before either worker starts, so both workers
 * could take any of them. Afterwards:
 *   - each run was executed by the worker of its model (run.workerId → WorkerInstance with the
 *     run's model name and sha256), and its stored masks are the ones its own model produces
 *     (segmented again here with that model; the two models' masks differ);
 *   - a job queued by an older version in the single `segmentation.run` queue is moved to its
 *     model's queue and executed there by the right worker;
 *   - a job planted in the wrong model's queue is refused (never executed) and moved;
 *   - the run of the unserved model stays QUEUED, and the jobs page data and `iseg-qa doctor`
 *     say "waiting for a worker serving tiny-c 1.0.0";
 *   - executeSegmentationRun itself refuses a run of another model (MODEL_MISMATCH).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { QUEUES, segmentationQueueFor } from '../../../lib/server/jobs/queues';
import { sendJobInTransaction } from '../../../lib/server/jobs/send-job';
import { SEGMENTATION_RUN_JOB } from '../../../lib/server/jobs/job-definitions';
import { findSegmentationRuns } from '../../../lib/server/jobs/find-segmentation-runs';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun } from '../../../lib/server/runs/execute-segmentation-run';
import { registerModelVersion } from '../../../lib/server/runs/register-model-version';
import { loadModel, segmentVolume } from '../../../lib/inference';
import { parseNifti } from '../../../lib/nifti';
import { modelSegmenter } from '../../../workers/tasks/segmentation-run';
import { seedRunStudy } from './seed-run-study';
import { copyModel, type ModelCopy } from './model-copies';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };

async function jobOf(t: TestDatabase, jobId: string) {
  const rows = await t.db.$queryRawUnsafe<{ name: string; state: string }[]>('SELECT name, state::text FROM pgboss.job WHERE id = $1::uuid', jobId);
  return rows[0];
}

describe('runs are routed to the worker serving their model version', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  let store: VolumeStore;
  let tiny: ModelCopy;
  let tinyB: ModelCopy;
  let tinyC: ModelCopy;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    t = await createTestDatabase('routing');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-routing-'));
    const modelsDir = path.join(tmp, 'models');
    tiny = copyModel(modelsDir, { folder: 'tiny-test' });
    tinyB = copyModel(modelsDir, { folder: 'tiny-b', variant: 1, threshold: 0.9 });
    tinyC = copyModel(modelsDir, { folder: 'tiny-c', variant: 2 });
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    env = { ISEG_MODELS_DIR: modelsDir, ISEG_VOLUME_DIR: path.join(tmp, 'volumes') };
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('each run is executed only by the worker of its model; a run of an unserved model waits, visibly', async () => {
    // One at a time: seedRunStudy upserts the test institution, and Prisma's upsert is not atomic.
    const studies = [];
    for (const l of ['a1', 'a2', 'b1', 'b2', 'c1', 'legacy']) studies.push(await seedRunStudy(t, store, `route-${l}`));
    const [a1, a2, b1, b2, c1, legacy] = studies.map((s) => s.study);
    const runA1 = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: a1.id, modelDir: tiny.dir });
    const runB1 = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: b1.id, modelDir: tinyB.dir });
    const runC1 = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: c1.id, modelDir: tinyC.dir });
    const runA2 = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: a2.id, modelDir: tiny.dir });
    const runB2 = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: b2.id, modelDir: tinyB.dir });
    for (const [r, m] of [
      [runA1, tiny],
      [runB1, tinyB],
      [runC1, tinyC],
    ] as const) {
      expect((await jobOf(t, r.jobId!)).name).toBe(`segmentation.run/${m.name}/${m.sha256}`);
    }
    // A run queued by an older version: its job in the single legacy queue.
    const mvB = await registerModelVersion(t.db, { modelDir: tinyB.dir });
    const legacyRun = await t.db.segmentationRun.create({ data: { studyId: legacy.id, modelVersionId: mvB.id, status: 'QUEUED' } });
    const legacyJob = await t.db.$transaction((tx) =>
      sendJobInTransaction(boss, tx, SEGMENTATION_RUN_JOB, { runId: legacyRun.id }, { queue: QUEUES.segmentationRun }),
    );
    await t.db.segmentationRun.update({ where: { id: legacyRun.id }, data: { jobId: legacyJob } });

    const workerA = await startWorker(t.url, { ...env, ISEG_MODEL: 'tiny-test' });
    workers.push(workerA);
    const workerB = await startWorker(t.url, { ...env, ISEG_MODEL: 'tiny-b' });
    workers.push(workerB);
    expect(workerA.output()).toContain(`segmentation.run/tiny-test/${tiny.sha256}`);
    expect(workerB.output()).toContain(`segmentation.run/tiny-b/${tinyB.sha256}`);

    const served = [runA1.runId, runA2.runId, runB1.runId, runB2.runId, legacyRun.id];
    await waitFor(
      'the served runs to succeed',
      async () => {
        const failed = await t.db.segmentationRun.findFirst({ where: { id: { in: served }, status: 'FAILED' } });
        if (failed) throw new Error(`run failed: ${failed.error}\n${workerA.output()}\n${workerB.output()}`);
        return (await t.db.segmentationRun.count({ where: { id: { in: served }, status: 'SUCCEEDED' } })) === served.length;
      },
      180_000,
    );

    const instA = await t.db.workerInstance.findFirstOrThrow({ where: { pid: workerA.child.pid! } });
    const instB = await t.db.workerInstance.findFirstOrThrow({ where: { pid: workerB.child.pid! } });
    expect(instA).toMatchObject({ modelName: 'tiny-test', modelSha256: tiny.sha256 });
    expect(instB).toMatchObject({ modelName: 'tiny-b', modelSha256: tinyB.sha256 });
    const expectWorker = {
      [runA1.runId]: [instA.id, tiny],
      [runA2.runId]: [instA.id, tiny],
      [runB1.runId]: [instB.id, tinyB],
      [runB2.runId]: [instB.id, tinyB],
      [legacyRun.id]: [instB.id, tinyB],
    } as const;
    for (const [runId, [workerId, model]] of Object.entries(expectWorker)) {
      const run = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId }, include: { modelVersion: true } });
      expect(run.workerId, `run ${runId}`).toBe(workerId);
      expect(run.modelVersion).toMatchObject({ name: model.name, sha256: model.sha256 });
      expect(run.attempts).toBe(1);
      expect(await t.db.metricResult.count({ where: { runId } })).toBe(3 * 4);
    }

    // The stored masks are those of the run's own model: segment phase 0 of one study of each
    // model again here with both models (their masks differ), compare with what was stored.
    const [mA, mB] = await Promise.all([loadModel({ modelDir: tiny.dir, provider: 'cpu' }), loadModel({ modelDir: tinyB.dir, provider: 'cpu' })]);
    for (const [runId, own, other] of [
      [runA1.runId, mA, mB],
      [runB1.runId, mB, mA],
    ] as const) {
      const s = await t.db.machineStructure.findFirstOrThrow({ where: { runId, label: 'GTV:phase:0' }, include: { series: true } });
      const ct = parseNifti(await store.getVolume(s.series!.volumeKey!));
      const stored = Array.from(parseNifti(await store.getVolume(s.maskKey!)).data as ArrayLike<number>, (x) => (x ? 1 : 0));
      const byOwn = Array.from((await segmentVolume({ volume: ct, model: own })).mask.data);
      const byOther = Array.from((await segmentVolume({ volume: ct, model: other })).mask.data);
      expect(byOwn).not.toEqual(byOther);
      expect(stored).toEqual(byOwn);
    }

    // The legacy job was moved (audited) and completed in the old queue.
    // (awaited: pg-boss marks a job completed only after its handler returned)
    await waitFor('the legacy job to be completed', async () => (await jobOf(t, legacyJob!)).state === 'completed', 10_000);
    const moved = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: legacyRun.id } });
    expect((await jobOf(t, moved.jobId!)).name).toBe(segmentationQueueFor(tinyB));
    expect(await t.db.auditEvent.count({ where: { action: 'run.routed', target: `run:${legacyRun.id}` } })).toBe(1);

    // The run of the model nobody serves waits, and says for what.
    const c = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runC1.runId } });
    expect(c).toMatchObject({ status: 'QUEUED', attempts: 0, workerId: null });
    expect(await t.db.machineStructure.count({ where: { runId: runC1.runId } })).toBe(0);
    expect((await jobOf(t, c.jobId!)).state).toBe('created');
    const listed = (await findSegmentationRuns(t.db, { caller: physicist })).runs;
    expect(listed.find((r) => r.id === runC1.runId)!.waiting).toContain('Waiting for a worker serving tiny-c 1.0.0');
    expect(listed.filter((r) => r.waiting)).toHaveLength(1);

    const doctor = spawnSync(process.execPath, ['cli/iseg-qa.mjs', 'doctor', '--json'], {
      cwd: root,
      env: { ...process.env, ...env, DATABASE_URL: t.url, ISEG_MODEL: 'tiny-test' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const check = (JSON.parse(doctor.stdout).checks as { name: string; ok: boolean; detail: string }[]).find((x) => x.name === 'queued runs');
    expect(check).toMatchObject({ ok: false });
    expect(check!.detail).toContain('1 queued run(s) wait for a worker serving tiny-c 1.0.0');
    expect(check!.detail).not.toContain('tiny-test');
    expect(doctor.status).toBe(1);

    // A job of tiny-c planted in tiny-test's queue (as a bug could): worker A refuses it and
    // moves it to tiny-c's queue; the run is not executed.
    const planted = await t.db.$transaction((tx) =>
      sendJobInTransaction(boss, tx, SEGMENTATION_RUN_JOB, { runId: runC1.runId }, { queue: segmentationQueueFor(tiny) }),
    );
    await t.db.segmentationRun.update({ where: { id: runC1.runId }, data: { jobId: planted } });
    await waitFor('worker A to refuse the planted job', async () => (await jobOf(t, planted!)).state === 'completed', 60_000);
    expect(workerA.output()).toContain(`run ${runC1.runId} is for tiny-c 1.0.0`);
    const after = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runC1.runId } });
    expect(after).toMatchObject({ status: 'QUEUED', attempts: 0, workerId: null });
    expect((await jobOf(t, after.jobId!)).name).toBe(segmentationQueueFor(tinyC));
    expect(await t.db.machineStructure.count({ where: { runId: runC1.runId } })).toBe(0);

    // Defence in depth: the executor itself refuses a run of another model, before claiming it.
    await expect(
      executeSegmentationRun({
        db: t.db,
        store,
        runId: runC1.runId,
        segment: modelSegmenter(mA),
        attempt: 1,
        maxAttempts: 3,
        codeVersion: 'x',
        expectedModel: { name: mA.name, sha256: mA.sha256 },
      }),
    ).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    expect((await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runC1.runId } })).status).toBe('QUEUED');

    // A worker for tiny-c takes it.
    const workerC = await startWorker(t.url, { ...env, ISEG_MODEL: 'tiny-c' });
    workers.push(workerC);
    const done = await waitFor(
      'the tiny-c run to succeed',
      async () => {
        const r = await t.db.segmentationRun.findUnique({ where: { id: runC1.runId } });
        return r?.status === 'SUCCEEDED' ? r : null;
      },
      120_000,
    );
    const instC = await t.db.workerInstance.findFirstOrThrow({ where: { pid: workerC.child.pid! } });
    expect(done.workerId).toBe(instC.id);
    expect((await findSegmentationRuns(t.db, { caller: physicist })).runs.filter((r) => r.waiting)).toHaveLength(0);
  }, 400_000);
});
