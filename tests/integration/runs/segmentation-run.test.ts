/**
 * The segmentation pipeline with a real model through onnxruntime-node, a real Postgres and a
 * real worker process: phases → GTVs → ITV → metrics rows, idempotent and resumable.
 *
 * The model is tests/fixtures/models/tiny-test (a fixed filter, not a trained network), so these tests check
 * the pipeline's mechanics and bookkeeping, not segmentation quality; the metric values are
 * checked against computeMetrics run directly on the stored masks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore, putNiftiVolume, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun, type SegmentFn } from '../../../lib/server/runs/execute-segmentation-run';
import { generatePatient, samplePatientSpec } from '../../../lib/core/phantom';
import { computeMetrics } from '../../../lib/core/metrics';
import { voxelVolumeCc } from '../../../lib/core/volume';
import { parseNifti } from '../../../lib/nifti';
import { loadModel } from '../../../lib/inference';
import { modelSegmenter } from '../../../workers/tasks/segmentation-run';

const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };

async function seedStudy(
  t: TestDatabase,
  store: VolumeStore,
  label: string,
  size: { dims: [number, number, number]; spacingMm: [number, number, number]; phasePercents: number[] } = {
    dims: [40, 40, 20],
    spacingMm: [4, 4, 5],
    phasePercents: [0, 50],
  },
) {
  const patient = generatePatient(samplePatientSpec('run-test', 3), size);
  const inst = await t.db.institution.upsert({ where: { name: 'Test' }, create: { name: 'Test' }, update: {} });
  const p = await t.db.patient.create({ data: { pseudonym: `P-${label}`, institutionId: inst.id } });
  const study = await t.db.study.create({
    data: { patientId: p.id, studyInstanceUid: `2.25.${Date.now()}${label.length}`, contentHash: `hash-${label}-${Math.random()}` },
  });
  for (let i = 0; i < patient.phases.length; i++) {
    const ph = patient.phases[i];
    const ct = await putNiftiVolume(store, ph.ct!, { intent: 'image' });
    const series = await t.db.imageSeries.create({
      data: {
        studyId: study.id,
        seriesInstanceUid: `2.25.${i}${Date.now()}${label.length}`,
        modality: 'CT',
        phaseIndex: i,
        phasePercent: ph.phasePercent,
        dims: [...ph.ct!.grid.dims],
        spacingMm: [...ph.ct!.grid.spacingMm],
        originMm: [...ph.ct!.grid.originMm],
        direction: ph.ct!.grid.direction,
        volumeKey: ct.key,
        volumeSha256: ct.sha256,
      },
    });
    const gtv = await putNiftiVolume(store, ph.physicianGtv, { intent: 'mask' });
    await t.db.physicianStructure.create({
      data: { studyId: study.id, seriesId: series.id, name: `GTV_${ph.phasePercent}`, kind: 'GTV', phaseIndex: i, maskKey: gtv.key, maskSha256: gtv.sha256 },
    });
    if (i === 0) {
      const itv = await putNiftiVolume(store, patient.physicianItv, { intent: 'mask' });
      await t.db.physicianStructure.create({
        data: { studyId: study.id, seriesId: series.id, name: 'ITV', kind: 'ITV', maskKey: itv.key, maskSha256: itv.sha256 },
      });
    }
  }
  return { study, patient };
}

describe('segmentation runs', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let volumeDir: string;
  let store: VolumeStore;
  beforeAll(async () => {
    t = await createTestDatabase('runs');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    volumeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-vol-'));
    store = createVolumeStore({ dir: volumeDir });
  });
  afterAll(async () => {
    await boss.stop({ graceful: false });
    await t.drop();
    fs.rmSync(volumeDir, { recursive: true, force: true });
  });

  it('a worker segments every phase, builds the ITV and stores metrics that match a direct computation', async () => {
    const { study } = await seedStudy(t, store, 'worker');
    const worker = await startWorker(t.url, { ISEG_MODELS_DIR: path.dirname(MODEL_DIR), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: volumeDir });
    try {
      expect(worker.output()).toContain('model tiny-test 1.0.0');
      const { runId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: MODEL_DIR });
      // A second request while the first is queued or running is the same run.
      expect((await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: MODEL_DIR })).runId).toBe(runId);
      const run = await waitFor(
        'the run to finish',
        async () => {
          const r = await t.db.segmentationRun.findUnique({ where: { id: runId }, include: { modelVersion: true, structures: true } });
          if (r?.status === 'FAILED') throw new Error(`run failed: ${r.error}\n${worker.output()}`);
          return r?.status === 'SUCCEEDED' ? r : null;
        },
        120_000,
      );
      expect(run.progress).toBe(100);
      expect(run.modelVersion.sha256).toBe(JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'manifest.json'), 'utf8')).sha256);
      expect(run.structures.map((s) => s.label).sort()).toEqual(['GTV:phase:0', 'GTV:phase:1', 'ITV']);
      expect(Object.keys(run.timings as object)).toEqual(expect.arrayContaining(['GTV:phase:0:segment', 'itv']));

      // ITV = union of the stored phase GTVs.
      const masks = await Promise.all(run.structures.map(async (s) => ({ s, v: parseNifti(await store.getVolume(s.maskKey!)) })));
      const byLabel = Object.fromEntries(masks.map((m) => [m.s.label, m]));
      const union = byLabel['GTV:phase:0'].v.data.map((x, i) => (x || byLabel['GTV:phase:1'].v.data[i] ? 1 : 0));
      expect(Array.from(byLabel.ITV.v.data)).toEqual(Array.from(union));
      expect(byLabel.ITV.s.volumeCc).toBeCloseTo(byLabel.ITV.s.voxelCount! * voxelVolumeCc(byLabel.ITV.v.grid), 9);

      // Metric rows: GTV per phase and ITV, four conventions each; values equal a direct computation.
      const rows = await t.db.metricResult.findMany({ where: { runId }, include: { referenceStructure: true, testStructure: true } });
      expect(rows).toHaveLength(3 * 4);
      const itvOverlap = rows.find((r) => r.testStructure.label === 'ITV' && r.convention === 'overlap')!;
      const refItv = parseNifti(await store.getVolume(itvOverlap.referenceStructure.maskKey!));
      const direct = computeMetrics({ reference: Uint8Array.from(refItv.data), test: Uint8Array.from(byLabel.ITV.v.data), grid: refItv.grid });
      expect((itvOverlap.values as Record<string, number>).falsePositiveVoxels).toBe(direct.falsePositiveVoxels);
      expect((itvOverlap.values as Record<string, number>).dice).toBe(direct.dice);
      expect(itvOverlap.testSha256).toBe(byLabel.ITV.s.maskSha256);
      expect(itvOverlap.codeVersion).toMatch(/^iseg-qa /);
      const voxelRow = rows.find((r) => r.testStructure.label === 'ITV' && r.convention === 'voxel')!;
      expect((voxelRow.values as Record<string, number>).hd95Mm).toBe(direct.voxel!.hd95Mm);
      const disc = rows.find((r) => r.testStructure.label === 'ITV' && r.convention === 'discordance')!;
      const fpTotal = (disc.values as { falsePositive: { voxelCount: number }[] }).falsePositive.reduce((s, r) => s + r.voxelCount, 0);
      expect(fpTotal).toBe(direct.falsePositiveVoxels);

      // Running the finished run again changes nothing.
      const before = await t.db.metricResult.findMany({ where: { runId }, orderBy: { id: 'asc' } });
      const model = await loadModel({ modelDir: MODEL_DIR, provider: 'cpu' });
      expect(await executeSegmentationRun({ db: t.db, store, runId, segment: modelSegmenter(model), attempt: 1, maxAttempts: 3, codeVersion: 'x' })).toBe(
        'already-finished',
      );
      expect(await t.db.metricResult.findMany({ where: { runId }, orderBy: { id: 'asc' } })).toEqual(before);
    } finally {
      await worker.stop();
    }
  }, 180_000);

  it("hands the wall and CPU time of every stage to onTimings (bench:pipeline), the model's inner steps included", async () => {
    const { study } = await seedStudy(t, store, 'timings');
    const { runId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: MODEL_DIR });
    const model = await loadModel({ modelDir: MODEL_DIR, provider: 'cpu' });
    let timings: { wallMs: Record<string, number>; cpuMs: Record<string, number> } | null = null;
    const outcome = await executeSegmentationRun({
      db: t.db,
      store,
      runId,
      segment: modelSegmenter(model),
      attempt: 1,
      maxAttempts: 1,
      codeVersion: 'x',
      onTimings: (x) => (timings = x),
    });
    expect(outcome).toBe('succeeded');
    const references = await t.db.physicianStructure.findMany({ where: { studyId: study.id } });
    const steps = [
      ...['read', 'segment', 'write', 'resampleToModel', 'predict', 'slidingWindow', 'resampleToNative', 'postprocess', 'total'].flatMap((k) => [
        `GTV:phase:0:${k}`,
        `GTV:phase:1:${k}`,
      ]),
      'itv',
      'itv:write',
      ...references.map((r) => `reference:${r.id}:read`),
      ...references.map((r) => `metrics:${r.id}`),
      'summary',
      'persist',
      'dose',
      'observers',
    ];
    expect(Object.keys(timings!.wallMs)).toEqual(expect.arrayContaining(steps));
    expect(Object.keys(timings!.cpuMs)).toEqual(expect.arrayContaining(steps));
    for (const v of [...Object.values(timings!.wallMs), ...Object.values(timings!.cpuMs)]) expect(v).toBeGreaterThanOrEqual(0);
    expect(timings!.cpuMs['GTV:phase:0:predict']).toBeGreaterThan(0);
    // The run row keeps the wall times it had (CPU times are not stored), written before persist.
    const row = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(Object.keys(row.timings as object)).toEqual(expect.arrayContaining(['GTV:phase:0:write', 'itv:write', 'summary']));
    expect(Object.keys(row.timings as object)).not.toContain('persist');
  }, 120_000);

  it('writes the run row at most about once a second from inside a phase, not once per patch', async () => {
    const { study } = await seedStudy(t, store, 'throttle');
    const { runId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: MODEL_DIR });
    let rowWrites = 0;
    // The real client, counting the run row's updates (progress, stage, heartbeat).
    const db = t.db.$extends({
      query: {
        segmentationRun: {
          update: ({ args, query }) => {
            rowWrites++;
            return query(args);
          },
        },
      },
    }) as unknown as typeof t.db;
    const during: number[] = [];
    // A model of 2,000 patches (no network: an ellipsoid), reporting after each one, as the sliding window does.
    const segment: SegmentFn = async (ct, { onProgress }) => {
      const before = rowWrites;
      for (let p = 1; p <= 2000; p++) onProgress?.(p / 2000);
      await new Promise((r) => setTimeout(r, 50));
      during.push(rowWrites - before);
      const data = new Uint8Array(ct.data.length);
      data.fill(1, data.length / 2 - 50, data.length / 2 + 50);
      return { mask: { grid: ct.grid, data }, timingsMs: {} };
    };
    expect(await executeSegmentationRun({ db, store, runId, segment, attempt: 1, maxAttempts: 1, codeVersion: 'x' })).toBe('succeeded');
    expect(during).toHaveLength(2);
    for (const n of during) expect(n).toBeLessThanOrEqual(2);
  }, 120_000);

  it('a failed attempt is retried and resumes: phases already stored are not segmented again', async () => {
    const { study } = await seedStudy(t, store, 'resume');
    const model = await loadModel({ modelDir: MODEL_DIR, provider: 'cpu' });
    const real = modelSegmenter(model);
    const calls: number[] = [];
    let fail = true;
    const flaky: SegmentFn = async (ct, opts) => {
      calls.push(ct.grid.originMm[2]);
      if (calls.length === 2 && fail) throw new Error('simulated crash in phase 2');
      return real(ct, opts);
    };
    const { runId } = await createSegmentationRun(t.db, { send: async () => 'job-x' } as unknown as PgBoss, {
      caller: physicist,
      studyId: study.id,
      modelDir: MODEL_DIR,
    });
    await expect(executeSegmentationRun({ db: t.db, store, runId, segment: flaky, attempt: 1, maxAttempts: 3, codeVersion: 'x' })).rejects.toThrow(
      'simulated crash',
    );
    const waiting = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(waiting.status).toBe('QUEUED');
    expect(waiting.error).toContain('Attempt 1 of 3 failed, will retry: simulated crash');
    fail = false;
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment: flaky, attempt: 2, maxAttempts: 3, codeVersion: 'x' })).toBe('succeeded');
    expect(calls).toHaveLength(3); // phase 0 once, phase 1 twice
    const done = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId }, include: { structures: true } });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.error).toBeNull();
    expect(done.structures).toHaveLength(3);
  }, 120_000);

  it('kill -9 of the worker mid-run: another worker resumes it and it completes once, without duplicate rows', async () => {
    const { study } = await seedStudy(t, store, 'kill', { dims: [96, 96, 48], spacingMm: [3.3, 3.3, 4], phasePercents: [0, 20, 40, 60, 80] });
    const env = { ISEG_MODELS_DIR: path.dirname(MODEL_DIR), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: volumeDir };
    const first = await startWorker(t.url, env);
    const { runId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: MODEL_DIR });
    await waitFor(
      'the run to be part-way',
      async () => {
        const r = await t.db.segmentationRun.findUnique({ where: { id: runId }, include: { structures: true } });
        return r?.status === 'RUNNING' && r.structures.length >= 1 && r.structures.length < 5;
      },
      120_000,
    );
    await first.kill();
    const stored = await t.db.machineStructure.count({ where: { runId } });
    const second = await startWorker(t.url, env);
    try {
      // The job's heartbeat (30 s for this queue) lapses, and the live worker's supervisor retries it.
      const run = await waitFor(
        'the run to succeed after the retry',
        async () => {
          const r = await t.db.segmentationRun.findUnique({ where: { id: runId }, include: { structures: true } });
          if (r?.status === 'FAILED') throw new Error(`run failed: ${r.error}`);
          return r?.status === 'SUCCEEDED' ? r : null;
        },
        150_000,
      );
      expect(run.attempts).toBeGreaterThanOrEqual(2);
      expect(run.structures.map((s) => s.label).sort()).toEqual(['GTV:phase:0', 'GTV:phase:1', 'GTV:phase:2', 'GTV:phase:3', 'GTV:phase:4', 'ITV']);
      expect(await t.db.metricResult.count({ where: { runId } })).toBe(6 * 4);
      expect(stored).toBeGreaterThanOrEqual(1);
    } finally {
      await second.stop();
    }
  }, 300_000);

  it('two workers and concurrent requests: one run per study, processed once', async () => {
    const { study } = await seedStudy(t, store, 'two-workers');
    const env = { ISEG_MODELS_DIR: path.dirname(MODEL_DIR), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: volumeDir };
    const [w1, w2] = await Promise.all([startWorker(t.url, env), startWorker(t.url, env)]);
    try {
      const requests = await Promise.all([1, 2, 3].map(() => createSegmentationRun(t.db, boss, { caller: physicist, studyId: study.id, modelDir: MODEL_DIR })));
      expect(new Set(requests.map((r) => r.runId)).size).toBe(1);
      const runId = requests[0].runId;
      await waitFor('the run to succeed', async () => (await t.db.segmentationRun.findUnique({ where: { id: runId } }))?.status === 'SUCCEEDED', 120_000);
      expect(await t.db.segmentationRun.count({ where: { studyId: study.id } })).toBe(1);
      const run = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
      expect(run.attempts).toBe(1);
      expect(await t.db.machineStructure.count({ where: { runId } })).toBe(3);
      expect(await t.db.metricResult.count({ where: { runId } })).toBe(12);
    } finally {
      await Promise.all([w1.stop(), w2.stop()]);
    }
  }, 180_000);

  it('the last failed attempt marks the run FAILED with the reason', async () => {
    const { study } = await seedStudy(t, store, 'fail');
    const { runId } = await createSegmentationRun(t.db, { send: async () => 'job-y' } as unknown as PgBoss, {
      caller: physicist,
      studyId: study.id,
      modelDir: MODEL_DIR,
    });
    const broken: SegmentFn = async () => {
      throw Object.assign(new Error('model output has the wrong size'), { code: 'MODEL_OUTPUT_INVALID' });
    };
    await expect(executeSegmentationRun({ db: t.db, store, runId, segment: broken, attempt: 3, maxAttempts: 3, codeVersion: 'x' })).rejects.toThrow();
    const r = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(r).toMatchObject({ status: 'FAILED', errorCode: 'MODEL_OUTPUT_INVALID' });
    expect(r.error).toContain('model output has the wrong size');
    expect(r.finishedAt).not.toBeNull();
  });
});
