/**
 * Issue #6 item 6: a worker that cannot read a volume (here: a worker on "another machine" whose
 * ISEG_VOLUME_DIR is not the shared directory) fails the attempt with VOLUME_UNREADABLE and a
 * reason naming the volume, the store and the variable to check; the last attempt marks the
 * run FAILED with that reason. Real worker process, real Postgres.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun } from '../../../lib/server/runs/execute-segmentation-run';
import { loadModel } from '../../../lib/inference';
import { modelSegmenter } from '../../../workers/tasks/segmentation-run';
import { seedRunStudy } from './seed-run-study';

const TINY = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };

describe('a worker that cannot read a volume', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  beforeAll(async () => {
    t = await createTestDatabase('volume_unreadable');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-novol-'));
  });
  afterAll(async () => {
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('fails the attempt with VOLUME_UNREADABLE and the reason; the last attempt marks the run FAILED', async () => {
    const shared = createVolumeStore({ dir: path.join(tmp, 'shared') });
    const elsewhere = path.join(tmp, 'not-mounted');
    fs.mkdirSync(elsewhere);
    const { study } = await seedRunStudy(t, shared, 'novol');
    const { runId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: TINY });
    const worker = await startWorker(t.url, { ISEG_MODELS_DIR: path.dirname(TINY), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: elsewhere });
    let waiting;
    try {
      waiting = await waitFor(
        'the first attempt to fail',
        async () => {
          const r = await t.db.segmentationRun.findUnique({ where: { id: runId } });
          return r?.errorCode ? r : null;
        },
        60_000,
      );
    } finally {
      await worker.stop();
    }
    expect(waiting).toMatchObject({ status: 'QUEUED', errorCode: 'VOLUME_UNREADABLE', attempts: 1 });
    expect(waiting.error).toContain('Attempt 1 of 3 failed, will retry: Cannot read CT series');
    expect(waiting.error).toContain(`from the volume store at ${elsewhere}`);
    expect(waiting.error).toContain('check that ISEG_VOLUME_DIR points at the shared directory');

    // The last attempt (pg-boss's third) ends the run with the same reason.
    const model = await loadModel({ modelDir: TINY, provider: 'cpu' });
    await expect(
      executeSegmentationRun({
        db: t.db,
        store: createVolumeStore({ dir: elsewhere }),
        runId,
        segment: modelSegmenter(model),
        attempt: 3,
        maxAttempts: 3,
        codeVersion: 'x',
      }),
    ).rejects.toThrow(/Cannot read CT series/);
    const failed = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'VOLUME_UNREADABLE' });
    expect(failed.error).toMatch(/^Failed: Cannot read CT series .* ISEG_VOLUME_DIR/);
    expect(failed.finishedAt).not.toBeNull();
    expect(await t.db.machineStructure.count({ where: { runId } })).toBe(0);
  }, 120_000);
});
