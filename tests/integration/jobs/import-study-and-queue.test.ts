/**
 * importStudyAndQueue, the one "import, then queue the default segmentation run" operation of
 * the upload route, the CLI and the demo seed, against a real Postgres, real pg-boss and real
 * DICOM: the study's rows, its run and the run's pg-boss job commit in one transaction, so a
 * failure while queueing (here pg-boss's job insert refused by a trigger the test installs)
 * leaves no study behind, and success leaves both; the volume files written before the
 * transaction are reused by the next import, not duplicated. A re-import of a study with a run
 * queues nothing; a stored study without any run (imported without a queue, or by an older
 * version) gets its run at the next import.
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

/** Every file under the volume store's root, sorted, without its temp folder. */
function listFiles(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith(`tmp${path.sep}`))
    .sort();
}

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

  it('a failure while queueing rolls the whole import back; the next import stores the study, its run and its job together', async () => {
    const dir = path.join(tmp, 'B');
    const ownStore = createVolumeStore({ dir: path.join(tmp, 'volumes-B') });
    const studies = await t.db.study.count();
    // pg-boss's insert of the job refused for real, inside the import's transaction.
    await t.db.$executeRawUnsafe(
      `CREATE FUNCTION pgboss.test_refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'job insert refused by the test'; END $$`,
    );
    await t.db.$executeRawUnsafe(
      `CREATE TRIGGER refuse_segmentation_jobs BEFORE INSERT ON pgboss.job FOR EACH ROW WHEN (starts_with(NEW.name, 'segmentation.run')) EXECUTE FUNCTION pgboss.test_refuse_job()`,
    );
    try {
      await expect(importStudyAndQueue({ db: t.db, boss, caller: physicist, dir, store: ownStore, modelsRoot: TEST_MODELS_DIR })).rejects.toThrow(
        /job insert refused by the test/,
      );
    } finally {
      await t.db.$executeRawUnsafe('DROP TRIGGER refuse_segmentation_jobs ON pgboss.job');
      await t.db.$executeRawUnsafe('DROP FUNCTION pgboss.test_refuse_job()');
    }
    // Nothing of the study was written: no study, series, structure, run, job or audit event.
    expect(await t.db.study.count()).toBe(studies);
    expect(await t.db.study.count({ where: { runs: { none: {} } } })).toBe(0);
    expect(
      await t.db.auditEvent.count({
        where: { action: 'study.import', target: { notIn: (await t.db.study.findMany({ select: { id: true } })).map((x) => `study:${x.id}`) } },
      }),
    ).toBe(0);
    // The volumes written before the transaction stay in the store (content-addressed).
    const afterFailure = listFiles(ownStore.root);
    expect(afterFailure.length).toBeGreaterThan(0);

    const r = await importStudyAndQueue({ db: t.db, boss, caller: physicist, dir, store: ownStore, modelsRoot: TEST_MODELS_DIR });
    expect(r).toMatchObject({ alreadyImported: false, segmentation: { queued: true } });
    const runs = await t.db.segmentationRun.findMany({ where: { studyId: r.studyId } });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('QUEUED');
    expect(await jobExists(t, runs[0]!.jobId!)).toBe(true);
    // The second import reused the first one's files: none added, and every one is the stored study's.
    expect(listFiles(ownStore.root)).toEqual(afterFailure);
    const series = await t.db.imageSeries.findMany({ where: { studyId: r.studyId }, select: { volumeKey: true } });
    const structures = await t.db.physicianStructure.findMany({ where: { studyId: r.studyId }, select: { maskKey: true } });
    const referenced = new Set([...series.map((x) => x.volumeKey), ...structures.map((x) => x.maskKey)]);
    expect(afterFailure.map((f) => path.basename(f)).filter((k) => !referenced.has(k))).toEqual([]);
  });

  it('with the queue unreachable nothing is imported', async () => {
    const dir = path.join(tmp, 'D');
    await writePhantomStudy(dir, { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0], index: 3, seed: 'import-queue-d' });
    const studies = await t.db.study.count();
    // The CLI's pg-boss handle is created lazily, here against a port where nothing listens.
    const unreachable = () => createBoss({ databaseUrl: 'postgresql://nobody@127.0.0.1:1/none', worker: false });
    await expect(importStudyAndQueue({ db: t.db, boss: unreachable, caller: physicist, dir, store, modelsRoot: TEST_MODELS_DIR })).rejects.toThrow(
      /ECONNREFUSED|connect/,
    );
    expect(await t.db.study.count()).toBe(studies);
  });

  it('a stored study without any run (imported without a queue) gets its run at the next import, once', async () => {
    const dir = path.join(tmp, 'E');
    await writePhantomStudy(dir, { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0], index: 4, seed: 'import-queue-e' });
    const first = await importStudyAndQueue({ db: t.db, boss: null, caller: physicist, dir, store });
    expect(await t.db.segmentationRun.count({ where: { studyId: first.studyId } })).toBe(0);
    const repaired = await importStudyAndQueue({ db: t.db, boss, caller: physicist, dir, store, modelsRoot: TEST_MODELS_DIR });
    expect(repaired).toMatchObject({ alreadyImported: true, studyId: first.studyId, segmentation: { queued: true } });
    const runs = await t.db.segmentationRun.findMany({ where: { studyId: first.studyId } });
    expect(runs).toHaveLength(1);
    expect(await jobExists(t, runs[0]!.jobId!)).toBe(true);
    const again = await importStudyAndQueue({ db: t.db, boss, caller: physicist, dir, store, modelsRoot: TEST_MODELS_DIR });
    expect(again).toMatchObject({ alreadyImported: true, segmentation: null });
    expect(await t.db.segmentationRun.count({ where: { studyId: first.studyId } })).toBe(1);
  });

  it('without a pg-boss handle it only imports', async () => {
    const dir = path.join(tmp, 'C');
    await writePhantomStudy(dir, { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0], index: 2, seed: 'import-queue-c' });
    const r = await importStudyAndQueue({ db: t.db, boss: null, caller: physicist, dir, store });
    expect(r).toMatchObject({ alreadyImported: false, segmentation: null });
    expect(await t.db.segmentationRun.count({ where: { studyId: r.studyId } })).toBe(0);
  });
});
