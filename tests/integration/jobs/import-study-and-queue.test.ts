/**
 * importStudyAndQueue, the one "import, then queue the default segmentation run" operation of
 * the upload route, the CLI and the demo seed, against a real Postgres, real pg-boss and real
 * DICOM: a failure between the import and the queueing leaves a study without a run only until
 * it is imported again, which queues the missing run (and only that one); a re-import of a study
 * with a run queues nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { TEST_MODELS_DIR } from '../helpers/test-models';
import { writePhantomStudy } from '../import/phantom-fixture';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { importStudyAndQueue } from '../../../lib/server/studies/import-study-and-queue';
import type { Caller } from '../../../lib/server/auth/roles';

// env() is read once per process: the configured model is the test fixture.
process.env.ISEG_MODEL = 'tiny-test';

const physicist: Caller = { userId: 'u1', email: 'p@example.org', name: 'P', role: 'PHYSICIST' };

async function jobExists(t: TestDatabase, id: string): Promise<boolean> {
  const rows = await t.db.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM pgboss.job WHERE id = $1::uuid', id);
  return rows[0]!.n === 1;
}

describe('importStudyAndQueue', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  let store: VolumeStore;
  beforeAll(async () => {
    t = await createTestDatabase('import_and_queue');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-import-queue-'));
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    await writePhantomStudy(path.join(tmp, 'A'), { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0, 50], index: 0, seed: 'import-queue-a' });
    await writePhantomStudy(path.join(tmp, 'B'), { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0, 50], index: 1, seed: 'import-queue-b' });
  });
  afterAll(async () => {
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('imports a study and queues its run with a job; a second import queues nothing', async () => {
    const r = await importStudyAndQueue({ db: t.db, boss, caller: physicist, dir: path.join(tmp, 'A'), store, modelsRoot: TEST_MODELS_DIR });
    expect(r.alreadyImported).toBe(false);
    expect(r.segmentation).toMatchObject({ queued: true, runId: expect.any(String) });
    const run = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: (r.segmentation as { runId: string }).runId } });
    expect(run).toMatchObject({ studyId: r.studyId, status: 'QUEUED' });
    expect(await jobExists(t, run.jobId!)).toBe(true);

    const again = await importStudyAndQueue({ db: t.db, boss, caller: physicist, dir: path.join(tmp, 'A'), store, modelsRoot: TEST_MODELS_DIR });
    expect(again).toMatchObject({ alreadyImported: true, studyId: r.studyId, segmentation: null });
    expect(await t.db.segmentationRun.count({ where: { studyId: r.studyId } })).toBe(1);
  });

  it('a failure between import and queueing leaves no study without a run once it is imported again', async () => {
    // The queue unreachable between the two steps: the CLI's pg-boss handle is created after the
    // import, here against a port where nothing listens.
    const unreachable = () => createBoss({ databaseUrl: 'postgresql://nobody@127.0.0.1:1/none', worker: false });
    await expect(importStudyAndQueue({ db: t.db, boss: unreachable, caller: physicist, dir: path.join(tmp, 'B'), store, modelsRoot: TEST_MODELS_DIR })).rejects.toThrow(/ECONNREFUSED|connect/);
    const study = await t.db.study.findFirstOrThrow({ where: { runs: { none: {} } } });
    // Imported, and no run row or job was written.
    expect(await t.db.segmentationRun.count({ where: { studyId: study.id } })).toBe(0);

    const retried = await importStudyAndQueue({ db: t.db, boss, caller: physicist, dir: path.join(tmp, 'B'), store, modelsRoot: TEST_MODELS_DIR });
    expect(retried).toMatchObject({ alreadyImported: true, studyId: study.id, segmentation: { queued: true } });
    const runs = await t.db.segmentationRun.findMany({ where: { studyId: study.id } });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('QUEUED');
    expect(await jobExists(t, runs[0]!.jobId!)).toBe(true);
    expect(await t.db.study.count({ where: { runs: { none: {} } } })).toBe(0);
  });

  it('without a pg-boss handle it only imports', async () => {
    const dir = path.join(tmp, 'C');
    await writePhantomStudy(dir, { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0], index: 2, seed: 'import-queue-c' });
    const r = await importStudyAndQueue({ db: t.db, boss: null, caller: physicist, dir, store });
    expect(r).toMatchObject({ alreadyImported: false, segmentation: null });
    expect(await t.db.segmentationRun.count({ where: { studyId: r.studyId } })).toBe(0);
  });
});
