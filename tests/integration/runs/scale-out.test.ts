/**
 * Scale-out (performance issue, item 3): worker processes that share nothing but the PostgreSQL
 * database and the volume store process one cohort together, and killing one mid-run loses
 * nothing. Each worker has its own data directory, temporary directory and models folder (a copy
 * of the same model, so the same model version and queue), as a worker on another machine would;
 * the only paths they have in common are ISEG_VOLUME_DIR and the database URL.
 *
 * Worker A holds its first run at the "ITV" stage (the fault hook) and is killed with SIGKILL
 * there; workers B and C take the rest of the cohort, and A's run is retried by one of them after
 * its heartbeat stops (10 s queue heartbeat here). Every run must succeed exactly once with a
 * complete set of rows. docs/scale-out.md describes the deployment; bench/scale-out measures
 * throughput with 1, 2 and 4 workers.
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
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { seedRunStudy } from './seed-run-study';
import { copyModel, type ModelCopy } from './model-copies';

const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };
const STUDIES = 8;
/** Two phases: GTV per phase + ITV = 3 machine structures; 3 pairs × 4 conventions = 12 metric rows. */
const METRIC_ROWS = 12;

describe('scale-out: workers sharing only the database and the volume store', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  let store: VolumeStore;
  let model: ModelCopy;
  const workers: WorkerProcess[] = [];

  /** A worker as on its own machine: private data, temp and models folders; shared volumes and database. */
  function workerEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
    const home = path.join(tmp, `machine-${name}`);
    fs.mkdirSync(path.join(home, 'tmp'), { recursive: true });
    copyModel(path.join(home, 'models'), { folder: 'tiny-test' });
    return {
      ISEG_DATA_DIR: path.join(home, 'data'),
      TMPDIR: path.join(home, 'tmp'),
      ISEG_MODELS_DIR: path.join(home, 'models'),
      ISEG_MODEL: 'tiny-test',
      ISEG_VOLUME_DIR: path.join(tmp, 'shared-volumes'),
      ...extra,
    };
  }

  beforeAll(async () => {
    t = await createTestDatabase('scale_out');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-scale-out-'));
    store = createVolumeStore({ dir: path.join(tmp, 'shared-volumes') });
    model = copyModel(path.join(tmp, 'web-models'), { folder: 'tiny-test' });
    await boss.createQueue(segmentationQueueFor(model), {
      ...SEGMENTATION_RUN_JOB.policy,
      heartbeatSeconds: 10,
      retryLimit: 2,
      retryDelay: 1,
      retryBackoff: false,
    });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) await w.stop();
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('three workers process one cohort; one killed mid-run loses nothing', async () => {
    const studies = [];
    for (let i = 0; i < STUDIES; i++) studies.push((await seedRunStudy(t, store, `scale-${i}`)).study);

    // A claims the first run and holds it at ITV (its phase GTVs stored), then dies.
    const a = await startWorker(t.url, workerEnv('a', { ISEG_FAULT_HOLD_AT_STAGE: 'ITV' }));
    workers.push(a);
    const runs: { runId: string }[] = [];
    runs.push(await createSegmentationRun(t.db, boss, { caller: physicist, studyId: studies[0]!.id, modelDir: model.dir }));
    await waitFor('worker A to hold its run at ITV', async () => a.output().includes('fault hold: stage "ITV"'), 90_000);
    for (const s of studies.slice(1)) runs.push(await createSegmentationRun(t.db, boss, { caller: physicist, studyId: s.id, modelDir: model.dir }));

    const b = await startWorker(t.url, workerEnv('b'));
    const c = await startWorker(t.url, workerEnv('c'));
    workers.push(b, c);
    await a.kill();

    const finished = await waitFor(
      'every run of the cohort to finish',
      async () => {
        const rows = await t.db.segmentationRun.findMany({ where: { id: { in: runs.map((r) => r.runId) } } });
        const failed = rows.find((r) => r.status === 'FAILED');
        if (failed) throw new Error(`run ${failed.id} failed: ${failed.error}\n${b.output()}\n${c.output()}`);
        return rows.every((r) => r.status === 'SUCCEEDED') ? rows : null;
      },
      240_000,
    );

    const instances = await t.db.workerInstance.findMany();
    const pidOf = new Map(instances.map((w) => [w.id, w.pid]));
    const byPid = new Map<number, number>();
    for (const r of finished) byPid.set(pidOf.get(r.workerId!)!, (byPid.get(pidOf.get(r.workerId!)!) ?? 0) + 1);
    console.log(
      `[scale-out] ${STUDIES} runs: ${[...byPid].map(([pid, n]) => `${pid === b.child.pid ? 'B' : pid === c.child.pid ? 'C' : `pid ${pid}`} ${n}`).join(', ')}`,
    );

    // The killed worker finished nothing; its run succeeded on a second attempt by B or C.
    expect(byPid.has(a.child.pid!)).toBe(false);
    const held = finished.find((r) => r.id === runs[0]!.runId)!;
    expect(held.attempts).toBe(2);
    expect([b.child.pid, c.child.pid]).toContain(pidOf.get(held.workerId!));
    for (const r of finished.filter((x) => x.id !== held.id)) expect(r.attempts).toBe(1);

    // Exactly one complete set of rows per run, masks readable from the shared store.
    for (const r of finished) {
      const structures = await t.db.machineStructure.findMany({ where: { runId: r.id } });
      expect(structures.map((s) => s.label).sort()).toEqual(['GTV:phase:0', 'GTV:phase:1', 'ITV']);
      for (const s of structures) expect((await store.getVolume(s.maskKey!)).byteLength).toBeGreaterThan(0);
      const metrics = await t.db.metricResult.findMany({ where: { runId: r.id } });
      expect(new Set(metrics.map((m) => `${m.referenceStructureId}|${m.testStructureId}|${m.convention}`)).size).toBe(METRIC_ROWS);
      expect(metrics).toHaveLength(METRIC_ROWS);
      expect(await t.db.runSummary.count({ where: { runId: r.id } })).toBe(1);
    }
    expect(await t.db.segmentationRun.count()).toBe(STUDIES);
    await waitFor(
      'no segmentation job waiting or active',
      async () => {
        const [open] = await t.db.$queryRawUnsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE starts_with(name, 'segmentation.run') AND state IN ('created', 'retry', 'active')`,
        );
        return open!.n === 0;
      },
      15_000,
    );
    // Nothing a worker wrote lies in another worker's private folders: each worker wrote only the shared store.
    for (const name of ['a', 'b', 'c']) {
      const data = path.join(tmp, `machine-${name}`, 'data');
      const files = fs.existsSync(data) ? fs.readdirSync(data, { recursive: true }) : [];
      expect(files.filter((f) => String(f).endsWith('.nii.gz'))).toEqual([]);
    }
  }, 400_000);
});
