/**
 * Issue #6 fault test: a corrupt model file. A worker whose model fails its start-up check
 * exits 3 with a clear error, and the runs queued for that model are marked FAILED with
 * errorCode MODEL_INVALID and the reason (their jobs cancelled), instead of waiting forever.
 * Real worker processes, a real Postgres, and a copy of tests/fixtures/models/tiny-test in a temporary
 * ISEG_MODELS_DIR that the test then breaks in three ways:
 *   - bytes of model.onnx changed (hash mismatch: both hashes in the reason; the actual one
 *     checked against `sha256sum`, an independent implementation),
 *   - the ONNX file missing (unreadable),
 *   - the manifest naming an input tensor the model does not have (re-hashed so only the name is wrong).
 * Runs of another model stay queued.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { failRunsOfInvalidModel } from '../../../lib/server/runs/fail-runs-of-invalid-model';
import { seedRunStudy } from './seed-run-study';

const TINY = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };

function copyModel(modelsDir: string, folder: string, name = folder): string {
  const dir = path.join(modelsDir, folder);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(TINY, 'model.onnx'), path.join(dir, 'model.onnx'));
  const manifest = JSON.parse(fs.readFileSync(path.join(TINY, 'manifest.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, name }, null, 2));
  return dir;
}

async function jobState(url: string, jobId: string): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query('SELECT state::text FROM pgboss.job WHERE id = $1::uuid', [jobId])).rows[0]?.state;
  } finally {
    await c.end();
  }
}

describe('a worker whose model fails its start-up check', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let tmp: string;
  let modelsDir: string;
  let store: VolumeStore;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase('model_invalid');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-badmodel-'));
    modelsDir = path.join(tmp, 'models');
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    env = { ISEG_MODELS_DIR: modelsDir, ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: path.join(tmp, 'volumes') };
  });
  afterAll(async () => {
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('corrupt file: exits 3 naming both hashes, and the queued runs of that model fail with MODEL_INVALID and the reason', async () => {
    const good = copyModel(modelsDir, 'tiny-test');
    const other = copyModel(modelsDir, 'other', 'other-model');
    const a = await seedRunStudy(t, store, 'bad-a');
    const b = await seedRunStudy(t, store, 'bad-b');
    const runA = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: a.study.id, modelDir: good });
    const runB = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: b.study.id, modelDir: good });
    const runOther = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: a.study.id, modelDir: other });

    // Corrupt the file after the runs were queued (a bad copy on the worker's machine).
    const file = path.join(good, 'model.onnx');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const actual = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    const expected = JSON.parse(fs.readFileSync(path.join(good, 'manifest.json'), 'utf8')).sha256 as string;
    expect(actual).not.toBe(expected);

    const err = await startWorker(t.url, env).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain('worker exited with 3 before ready');
    expect(err?.message).toContain(`has sha256 ${actual} but`);
    expect(err?.message).toContain(`expects ${expected}`);
    expect(err?.message).toContain('marked 2 queued run(s)');

    for (const id of [runA.runId, runB.runId]) {
      const r = await t.db.segmentationRun.findUniqueOrThrow({ where: { id } });
      expect(r).toMatchObject({ status: 'FAILED', errorCode: 'MODEL_INVALID' });
      expect(r.error).toContain('MODEL_HASH_MISMATCH');
      expect(r.error).toContain(actual);
      expect(r.error).toContain(expected);
      expect(r.finishedAt).not.toBeNull();
      expect(await jobState(t.url, r.jobId!)).toBe('cancelled');
    }
    const untouched = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runOther.runId } });
    expect(untouched.status).toBe('QUEUED');
    expect(await jobState(t.url, untouched.jobId!)).toBe('created');
    const audit = await t.db.auditEvent.findFirst({ where: { action: 'run.failed.model-invalid' } });
    expect((audit?.details as { runIds: string[] }).runIds.sort()).toEqual([runA.runId, runB.runId].sort());
  }, 120_000);

  it('unreadable file and a tensor-name mismatch: each fails the queued run with its own reason', async () => {
    // A fresh copy, so the model registers (hash verified) before it is broken.
    const dir = copyModel(modelsDir, 'tiny-test');
    const s = await seedRunStudy(t, store, 'bad-c');
    const missing = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: s.study.id, modelDir: dir });
    fs.renameSync(path.join(dir, 'model.onnx'), path.join(dir, 'model.onnx.moved'));
    await expect(startWorker(t.url, env)).rejects.toThrow(/exited with 3 before ready/);
    const r1 = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: missing.runId } });
    expect(r1).toMatchObject({ status: 'FAILED', errorCode: 'MODEL_INVALID' });
    expect(r1.error).toMatch(/MODEL_NOT_FOUND.*model\.onnx.*cannot be read \(ENOENT\)/);

    // The file is back but the manifest names an input tensor the model does not have.
    fs.renameSync(path.join(dir, 'model.onnx.moved'), path.join(dir, 'model.onnx'));
    const renamed = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: s.study.id, modelDir: dir });
    expect(renamed.runId).not.toBe(missing.runId);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, input: { ...manifest.input, name: 'image' } }, null, 2));
    await expect(startWorker(t.url, env)).rejects.toThrow(/exited with 3 before ready/);
    const r2 = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: renamed.runId } });
    expect(r2).toMatchObject({ status: 'FAILED', errorCode: 'MODEL_INVALID' });
    expect(r2.error).toContain('MODEL_SIGNATURE_MISMATCH');
    expect(r2.error).toContain('input(s) [ct]');
    expect(r2.error).toContain('names input "image"');
  }, 120_000);

  it('leaves the runs queued when another live worker serves the same model', async () => {
    const dir = copyModel(modelsDir, 'tiny-test');
    const s = await seedRunStudy(t, store, 'bad-d');
    const run = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: s.study.id, modelDir: dir });
    await t.db.workerInstance.create({
      data: {
        id: 'other-host:1:abc',
        host: 'other-host',
        pid: 1,
        provider: 'cpu',
        concurrency: 1,
        modelName: 'tiny-test',
        modelVersion: '1.0.0',
        modelSha256: 'x',
      },
    });
    const r = await failRunsOfInvalidModel(t.db, boss, { modelNames: ['tiny-test'], problemCode: 'MODEL_HASH_MISMATCH', reason: 'test' });
    expect(r).toEqual({ failedRunIds: [], servedBy: 'other-host:1:abc' });
    expect((await t.db.segmentationRun.findUniqueOrThrow({ where: { id: run.runId } })).status).toBe('QUEUED');
    // Once that worker is gone (no heartbeat for over a minute), the runs are failed.
    await t.db.workerInstance.update({ where: { id: 'other-host:1:abc' }, data: { lastSeenAt: new Date(Date.now() - 120_000) } });
    const r2 = await failRunsOfInvalidModel(t.db, boss, { modelNames: ['tiny-test'], problemCode: 'MODEL_HASH_MISMATCH', reason: 'test' });
    expect(r2.failedRunIds).toEqual([run.runId]);
  });
});
