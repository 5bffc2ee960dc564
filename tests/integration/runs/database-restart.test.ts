/**
 * The database restarts in the middle of a segmentation run: the worker keeps running,
 * reconnects, and the run completes (retried after its heartbeat lapses if the restart broke
 * the attempt). Uses its own embedded Postgres so the restart touches no other test.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../lib/server/db/embedded-postgres';
import { migrateDatabase } from '../../../lib/server/db/migrate';
import { createDb } from '../../../lib/server/db/client';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore, putNiftiVolume } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { generatePatient, samplePatientSpec } from '../../../lib/core/phantom';
import { startWorker, waitFor } from '../helpers/worker-process';

const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('database restart mid-run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-dbrestart-'));
  fs.chmodSync(dir, 0o755);
  let pg: EmbeddedPostgres | undefined;
  afterAll(async () => {
    await pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the worker reconnects and the run completes', async () => {
    const port = await freePort();
    pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });
    const url = pg.url;
    await migrateDatabase({ databaseUrl: url });
    const boss = await createBoss({ databaseUrl: url, worker: false });
    const db = createDb(url);
    const store = createVolumeStore({ dir: path.join(dir, 'volumes') });
    const patient = generatePatient(samplePatientSpec('db-restart', 1), { dims: [96, 96, 48], spacingMm: [3.3, 3.3, 4], phasePercents: [0, 20, 40, 60, 80] });
    const inst = await db.institution.create({ data: { name: 'Restart' } });
    const p = await db.patient.create({ data: { pseudonym: 'R-1', institutionId: inst.id } });
    const study = await db.study.create({ data: { patientId: p.id, studyInstanceUid: '2.25.4242', contentHash: 'restart' } });
    for (let i = 0; i < patient.phases.length; i++) {
      const ct = await putNiftiVolume(store, patient.phases[i].ct!, { intent: 'image' });
      const g = patient.phases[i].ct!.grid;
      await db.imageSeries.create({
        data: {
          studyId: study.id,
          seriesInstanceUid: `2.25.4242.${i}`,
          modality: 'CT',
          phaseIndex: i,
          phasePercent: patient.phases[i].phasePercent,
          dims: [...g.dims],
          spacingMm: [...g.spacingMm],
          originMm: [...g.originMm],
          direction: g.direction,
          volumeKey: ct.key,
          volumeSha256: ct.sha256,
        },
      });
    }
    const { runId } = await createSegmentationRun(db, boss, { caller: 'system', studyId: study.id, modelDir: MODEL_DIR });
    await boss.stop({ graceful: false });
    await db.$disconnect();

    const worker = await startWorker(url, { ISEG_MODELS_DIR: path.dirname(MODEL_DIR), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: path.join(dir, 'volumes') });
    try {
      const watch = createDb(url);
      await waitFor('the run to start', async () => (await watch.segmentationRun.findUnique({ where: { id: runId } }))?.status === 'RUNNING', 60_000);
      await watch.$disconnect();

      await pg.stop();
      await new Promise((r) => setTimeout(r, 3000));
      pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });

      const after = createDb(url);
      const run = await waitFor(
        'the run to succeed after the restart',
        async () => {
          const r = await after.segmentationRun.findUnique({ where: { id: runId }, include: { structures: true } }).catch(() => null);
          if (r?.status === 'FAILED') throw new Error(`run failed: ${r.error}\n${worker.output()}`);
          return r?.status === 'SUCCEEDED' ? r : null;
        },
        180_000,
      );
      expect(run.structures).toHaveLength(6);
      expect(worker.child.exitCode).toBeNull(); // the worker survived the outage
      await after.$disconnect();
    } finally {
      await worker.stop();
    }
  }, 300_000);
});
