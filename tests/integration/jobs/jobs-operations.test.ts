/**
 * The jobs and models pages' operations against a real Postgres, real pg-boss and a real worker
 * process: cancel really stops a running run; retry starts one fresh run and never a second
 * concurrent one; queue counts agree with pg-boss's own job table; roles are enforced; the admin
 * "segment all" queues exactly the studies without a run and refuses folder names that are not
 * installed models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor } from '../helpers/worker-process';
import { seedRunStudy } from '../runs/seed-run-study';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun, RUN_PRIORITY } from '../../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun } from '../../../lib/server/runs/execute-segmentation-run';
import { cancelSegmentationRun } from '../../../lib/server/runs/cancel-segmentation-run';
import { retrySegmentationRun } from '../../../lib/server/runs/retry-segmentation-run';
import { findSegmentationRuns } from '../../../lib/server/jobs/find-segmentation-runs';
import { findLiveWorkers } from '../../../lib/server/jobs/find-live-workers';
import { getQueueCounts } from '../../../lib/server/jobs/get-queue-counts';
import { findModels } from '../../../lib/server/models/find-models';
import { segmentStudiesWithoutRun } from '../../../lib/server/runs/segment-studies-without-run';

const MODELS = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models');
const TINY = path.join(MODELS, 'tiny-test');
const physicist = { userId: 'u1', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };
const admin = { userId: 'u2', email: 'a@example.org', name: 'A', role: 'ADMIN' as const };
const researcher = { userId: 'u3', email: 'r@example.org', name: 'R', role: 'RESEARCHER' as const };
const reviewer = { userId: 'u4', email: 'v@example.org', name: 'V', role: 'REVIEWER' as const };

async function sql<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('jobs and models operations', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  let store: VolumeStore;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase('jobs_ops');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-jobs-'));
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    env = { ISEG_MODELS_DIR: MODELS, ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: path.join(tmp, 'volumes') };
  });
  afterAll(async () => {
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('cancel stops a running run between patches; the worker then takes the next run', async () => {
    const big = await seedRunStudy(t, store, 'cancel-big', { dims: [96, 96, 48], spacingMm: [3.3, 3.3, 4], phasePercents: [0, 20, 40, 60, 80, 90] });
    const small = await seedRunStudy(t, store, 'cancel-small');
    const worker = await startWorker(t.url, env);
    try {
      const workers = await findLiveWorkers(t.db, { caller: physicist });
      expect(workers).toHaveLength(1);
      expect(workers[0]).toMatchObject({ provider: 'cpu', concurrency: 1, model: { name: 'tiny-test', version: '1.0.0' } });
      expect(workers[0].model!.sha256).toBe(JSON.parse(fs.readFileSync(path.join(TINY, 'manifest.json'), 'utf8')).sha256);

      const { runId, jobId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: big.study.id, modelDir: TINY });
      await waitFor(
        'the run to be segmenting',
        async () => {
          const r = await t.db.segmentationRun.findUnique({ where: { id: runId } });
          return r?.status === 'RUNNING' && (r.stage ?? '').startsWith('segmenting');
        },
        120_000,
      );
      await expect(cancelSegmentationRun(t.db, boss, { caller: reviewer, runId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const instance = await t.db.workerInstance.findFirstOrThrow({ where: { pid: worker.child.pid! } });
      // The live worker running it is named: it is the one that stops it.
      expect(await cancelSegmentationRun(t.db, boss, { caller: physicist, runId })).toEqual({
        runId,
        previousStatus: 'RUNNING',
        runningOn: { id: instance.id, host: instance.host, pid: worker.child.pid },
      });
      await waitFor('the worker to stop the run', async () => worker.output().includes(`run ${runId} cancelled; stopped`), 30_000);
      const structures = await t.db.machineStructure.count({ where: { runId } });
      expect(structures).toBeLessThan(6); // not all phases, and no ITV
      expect(await t.db.machineStructure.count({ where: { runId, kind: 'ITV' } })).toBe(0);
      const cancelled = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
      expect(cancelled).toMatchObject({ status: 'CANCELLED', errorCode: 'CANCELLED' });
      expect(cancelled.error).toContain('Cancelled by p@example.org');
      expect((await sql<{ state: string }>(t.url, 'SELECT state::text FROM pgboss.job WHERE id = $1::uuid', [jobId]))[0].state).toBe('cancelled');
      await expect(cancelSegmentationRun(t.db, boss, { caller: physicist, runId })).rejects.toMatchObject({ code: 'CONFLICT' });
      const audit = await t.db.auditEvent.findFirst({ where: { action: 'run.cancelled', target: `run:${runId}` } });
      expect(audit).toMatchObject({ userEmail: 'p@example.org', patientId: big.study.patientId });

      // The worker is free again: the next run completes.
      const next = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: small.study.id, modelDir: TINY });
      await waitFor(
        'the next run to succeed',
        async () => (await t.db.segmentationRun.findUnique({ where: { id: next.runId } }))?.status === 'SUCCEEDED',
        120_000,
      );
      // Nothing more was written for the cancelled run meanwhile.
      expect(await t.db.machineStructure.count({ where: { runId } })).toBe(structures);
      expect((await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } })).status).toBe('CANCELLED');
    } finally {
      await worker.stop();
    }
  }, 300_000);

  it('an interactive run (a web upload, a retry) is taken before bulk runs queued earlier', async () => {
    // One at a time: seedRunStudy upserts the test institution, and Prisma's upsert is not atomic.
    const bulk = [await seedRunStudy(t, store, 'prio-bulk-1'), await seedRunStudy(t, store, 'prio-bulk-2')];
    const upload = await seedRunStudy(t, store, 'prio-upload');
    const bulkRuns = [];
    for (const b of bulk)
      bulkRuns.push(await createSegmentationRun(t.db, boss, { caller: 'system', studyId: b.study.id, modelDir: TINY, priority: RUN_PRIORITY.bulk }));
    const urgent = await createSegmentationRun(t.db, boss, { caller: 'system', studyId: upload.study.id, modelDir: TINY, priority: RUN_PRIORITY.interactive });
    const worker = await startWorker(t.url, env); // concurrency 1: one run at a time
    try {
      const ids = [...bulkRuns.map((r) => r.runId), urgent.runId];
      await waitFor(
        'all three runs to succeed',
        async () => (await t.db.segmentationRun.count({ where: { id: { in: ids }, status: 'SUCCEEDED' } })) === 3,
        120_000,
      );
      const runs = await t.db.segmentationRun.findMany({ where: { id: { in: ids } }, orderBy: { startedAt: 'asc' } });
      expect(runs[0].id).toBe(urgent.runId);
    } finally {
      await worker.stop();
    }
  }, 180_000);

  it('retry: one fresh run per failed run, never two at once; refused for other states and a model no longer installed', async () => {
    const s = await seedRunStudy(t, store, 'retry');
    // The failed run is made by executing its last attempt directly, so its job is a stand-in.
    const first = await createSegmentationRun(t.db, { send: async () => null } as unknown as PgBoss, {
      caller: physicist,
      studyId: s.study.id,
      modelDir: TINY,
    });
    await expect(
      executeSegmentationRun({
        db: t.db,
        store,
        runId: first.runId,
        attempt: 3,
        maxAttempts: 3,
        codeVersion: 'x',
        segment: async () => {
          throw Object.assign(new Error('simulated model failure'), { code: 'PREDICT_FAILED' });
        },
      }),
    ).rejects.toThrow('simulated');
    await expect(retrySegmentationRun(t.db, boss, { caller: researcher, runId: first.runId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // A model folder that no longer holds this version: the retry says so instead of guessing.
    await expect(retrySegmentationRun(t.db, boss, { caller: physicist, runId: first.runId, modelsRoot: tmp })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('tiny-test 1.0.0'),
    });

    const [a, b] = await Promise.all([
      retrySegmentationRun(t.db, boss, { caller: physicist, runId: first.runId, modelsRoot: MODELS }),
      retrySegmentationRun(t.db, boss, { caller: admin, runId: first.runId, modelsRoot: MODELS }),
    ]);
    expect(a.runId).toBe(b.runId);
    expect(a.runId).not.toBe(first.runId);
    expect([a.reused, b.reused].filter(Boolean)).toHaveLength(1);
    expect(await t.db.segmentationRun.count({ where: { studyId: s.study.id, status: { in: ['QUEUED', 'RUNNING'] } } })).toBe(1);
    const fresh = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: a.runId } });
    expect(fresh).toMatchObject({
      status: 'QUEUED',
      modelVersionId: (await t.db.segmentationRun.findUniqueOrThrow({ where: { id: first.runId } })).modelVersionId,
    });
    expect(fresh.jobId).toBeTruthy();
    expect((await t.db.segmentationRun.findUniqueOrThrow({ where: { id: first.runId } })).status).toBe('FAILED');
    expect(await t.db.auditEvent.count({ where: { action: 'run.retried', details: { path: ['previousRunId'], equals: first.runId } } })).toBe(2);
    await expect(retrySegmentationRun(t.db, boss, { caller: physicist, runId: a.runId, modelsRoot: MODELS })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(retrySegmentationRun(t.db, boss, { caller: physicist, runId: 'no-such-run' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // A cancelled queued run can be retried too.
    await cancelSegmentationRun(t.db, boss, { caller: physicist, runId: a.runId });
    const again = await retrySegmentationRun(t.db, boss, { caller: physicist, runId: a.runId, modelsRoot: MODELS });
    expect(again.reused).toBe(false);
    expect((await t.db.segmentationRun.findUniqueOrThrow({ where: { id: again.runId } })).status).toBe('QUEUED');
  }, 120_000);

  it('run list, status counts and queue counts agree with the database and pg-boss', async () => {
    await expect(findSegmentationRuns(t.db, { caller: researcher })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const all = await findSegmentationRuns(t.db, { caller: physicist });
    const direct = await sql<{ status: string; n: number }>(t.url, 'SELECT status::text, count(*)::int AS n FROM "SegmentationRun" GROUP BY status');
    for (const row of direct) expect(all.counts[row.status as keyof typeof all.counts]).toBe(row.n);
    expect(all.total).toBe(direct.reduce((a, r) => a + r.n, 0));
    expect(all.runs).toHaveLength(all.total);
    const failed = await findSegmentationRuns(t.db, { caller: physicist, status: 'FAILED' });
    expect(failed.runs.length).toBe(all.counts.FAILED);
    expect(failed.runs.every((r) => r.status === 'FAILED' && r.errorCode === 'PREDICT_FAILED' && r.error?.includes('simulated model failure'))).toBe(true);
    expect(failed.runs[0].study.pseudonym).toBe('P-retry');
    expect(failed.runs[0].model).toMatchObject({ name: 'tiny-test', version: '1.0.0' });

    await expect(getQueueCounts(t.db, { caller: reviewer })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const counts = await getQueueCounts(t.db, { caller: physicist });
    // Segmentation runs have one queue per model version; this file only ran tiny-test.
    const sha = JSON.parse(fs.readFileSync(path.join(TINY, 'manifest.json'), 'utf8')).sha256 as string;
    const seg = counts.find((q) => q.name === `segmentation.run/tiny-test/${sha}`)!;
    expect(seg.model).toEqual({ name: 'tiny-test', sha256: sha });
    expect(counts.find((q) => q.name === 'segmentation.run')).toMatchObject({ model: null, total: 0 }); // the legacy queue, unused
    // Independent of the job table: every QUEUED run (none is running now) has exactly one waiting job.
    expect(seg.queued).toBe(await t.db.segmentationRun.count({ where: { status: 'QUEUED' } }));
    expect(seg.queued).toBeGreaterThanOrEqual(1); // the retried run waits (no worker now)
    expect(seg.active).toBe(0);
    // And every run that got a job has it stored: waiting, cancelled or completed.
    expect(seg.total).toBe(await t.db.segmentationRun.count({ where: { jobId: { not: null } } }));
    expect(counts.map((q) => q.name).sort()).toEqual([
      'dead-letter',
      'dicom.send',
      'monitoring.alert.webhook',
      'pacs.retrieve',
      'segmentation.run',
      `segmentation.run/tiny-test/${sha}`,
      'study.export.deid',
      'worker.selftest',
    ]);
  });

  it('models: installed folders with their checks, registered versions with run counts; segment-all is admin-only and validated', async () => {
    const modelsRoot = path.join(tmp, 'models');
    for (const f of ['tiny-test', 'broken']) {
      fs.mkdirSync(path.join(modelsRoot, f), { recursive: true });
      fs.copyFileSync(path.join(TINY, 'model.onnx'), path.join(modelsRoot, f, 'model.onnx'));
      const m = JSON.parse(fs.readFileSync(path.join(TINY, 'manifest.json'), 'utf8'));
      fs.writeFileSync(path.join(modelsRoot, f, 'manifest.json'), JSON.stringify(f === 'broken' ? { ...m, name: 'broken', sha256: '0'.repeat(64) } : m));
    }
    fs.writeFileSync(path.join(modelsRoot, 'tiny-test', 'MODEL_CARD.md'), '# Tiny\nNot a trained model.\n');
    const r = await findModels(t.db, { caller: physicist, modelsRoot, defaultModel: 'tiny-test' });
    const tiny = r.installed.find((m) => m.folder === 'tiny-test')!;
    expect(tiny).toMatchObject({
      verified: true,
      isDefault: true,
      inputName: 'ct',
      outputName: 'logits',
      patchSizeXyz: [16, 12, 10],
      targetSpacingMm: [2, 2, 2.5],
      intendedStructure: 'lung GTV',
      modelCard: '# Tiny\nNot a trained model.\n',
    });
    expect(r.installed.find((m) => m.folder === 'broken')).toMatchObject({ verified: false, problem: { code: 'MODEL_HASH_MISMATCH' } });
    const reg = r.registered.find((v) => v.name === 'tiny-test')!;
    const direct = await sql<{ status: string; n: number }>(
      t.url,
      'SELECT status::text, count(*)::int AS n FROM "SegmentationRun" WHERE "modelVersionId" = $1 GROUP BY status',
      [reg.id],
    );
    for (const row of direct) expect(reg.runs[row.status as keyof typeof reg.runs]).toBe(row.n);
    expect(reg.installedFolder).toBe('tiny-test');
    expect(r.studies).toBe(await t.db.study.count());
    await expect(findModels(t.db, { caller: reviewer, modelsRoot })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    await expect(segmentStudiesWithoutRun(t.db, boss, { caller: physicist, modelFolder: 'tiny-test', modelsRoot })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(segmentStudiesWithoutRun(t.db, boss, { caller: admin, modelFolder: '../tiny-test', modelsRoot })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(segmentStudiesWithoutRun(t.db, boss, { caller: admin, modelFolder: 'broken', modelsRoot })).rejects.toMatchObject({ code: 'CONFLICT' });
    const extra = await seedRunStudy(t, store, 'segment-all');
    const withoutRun = await t.db.study.count({ where: { runs: { none: { modelVersionId: reg.id } } } });
    expect(withoutRun).toBe(1);
    const res = await segmentStudiesWithoutRun(t.db, boss, { caller: admin, modelFolder: 'tiny-test', modelsRoot });
    expect(res).toEqual({ model: 'tiny-test 1.0.0', queued: 1, studiesWithoutRun: 1 });
    expect(await t.db.segmentationRun.count({ where: { studyId: extra.study.id, status: 'QUEUED' } })).toBe(1);
    expect((await segmentStudiesWithoutRun(t.db, boss, { caller: admin, modelFolder: 'tiny-test', modelsRoot })).queued).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: 'model.segment-all', userEmail: 'a@example.org' } })).toBe(2);
  });
});
