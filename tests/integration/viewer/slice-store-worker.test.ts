/**
 * The worker builds the viewer's slice store of a study's first phase when it runs the study's
 * segmentation (workers/tasks/segmentation-run.ts → buildStudySliceStore), so a new study's
 * first image is read from the store rather than from the whole volume (issue #19). A real
 * 4D study (two phases) from real DICOM, a real worker process (tests/fixtures/models/tiny-test).
 * The store is built for the first phase only (the first image is its middle slice), and each
 * of its slices equals the volume's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { writePhantomStudy } from '../import/phantom-fixture';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { readStoredSlice, sliceStoreDir } from '../../../lib/server/storage/slice-store';
import { importStudy } from '../../../lib/server/studies/import-study';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { parseNifti } from '../../../lib/nifti';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const MODELS = path.join(ROOT, 'tests', 'fixtures', 'models');
const physicist = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' as const };

describe('worker: the slice store of the first phase, built with the segmentation run', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let boss: PgBoss;
  let worker: WorkerProcess;

  beforeAll(async () => {
    t = await createTestDatabase('slice_store_worker');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-slice-worker-'));
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    worker = await startWorker(t.url, {
      ISEG_VOLUME_DIR: path.join(tmp, 'volumes'),
      ISEG_DATA_DIR: path.join(tmp, 'data'),
      ISEG_MODEL: 'tiny-test',
      ISEG_MODELS_DIR: MODELS,
    });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false });
    await t?.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('after the run’s job, the first phase has its store (each slice equal to the volume’s), the second none', async () => {
    const a = await writePhantomStudy(path.join(tmp, 'a'), {
      dims: [24, 20, 8],
      spacingMm: [4, 4.5, 5],
      phasePercents: [0, 50],
      index: 1,
      seed: 'slice-worker',
    });
    const { studyId } = await importStudy({ db: t.db, caller: physicist, dir: a.dicomDir, store });
    const series = await t.db.imageSeries.findMany({ where: { studyId }, orderBy: { phaseIndex: 'asc' } });
    expect(series.map((s) => s.phaseIndex)).toEqual([0, 1]);
    expect(series.every((s) => s.sliceManifestSha256 === null)).toBe(true);
    const { runId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId, modelDir: path.join(MODELS, 'tiny-test') });
    // The job is completed only after its handler returned, which awaits the store's build (the
    // run's SUCCEEDED comes before that). The run's job id is read each time: it may be moved to
    // its model's queue.
    await waitFor(
      `the job of run ${runId} to complete`,
      async () => {
        const r = await t.db.segmentationRun.findUnique({ where: { id: runId } });
        if (r?.status === 'FAILED') throw new Error(`run failed: ${r.error}\n${worker.output()}`);
        if (r?.status !== 'SUCCEEDED' || !r.jobId) return null;
        const rows = await t.db.$queryRawUnsafe<{ state: string }[]>('SELECT state::text FROM pgboss.job WHERE id = $1::uuid', r.jobId);
        return rows[0]?.state === 'completed' ? r : null;
      },
      120_000,
    );
    const [first, second] = await t.db.imageSeries.findMany({ where: { studyId }, orderBy: { phaseIndex: 'asc' } });
    expect(first!.sliceManifestSha256, worker.output()).toMatch(/^[0-9a-f]{64}$/);
    expect(worker.output()).toContain(`viewer slice store of series ${first!.id} ready`);
    expect(second!.sliceManifestSha256).toBeNull();
    expect(fs.existsSync(sliceStoreDir(store, second!.volumeKey!))).toBe(false);
    const volume = parseNifti(await store.getVolume(first!.volumeKey!));
    const [nx, ny, nz] = volume.grid.dims;
    for (let k = 0; k < nz; k++) {
      const s = await readStoredSlice(store, { volumeKey: first!.volumeKey!, manifestSha256: first!.sliceManifestSha256!, index: k, what: 'phase 0' });
      expect(Array.from(s.hu)).toEqual(Array.from(volume.data.subarray(k * nx * ny, (k + 1) * nx * ny)));
    }
  }, 180_000);
});
