/**
 * Run summaries on a real run: the tiny-test model (onnxruntime-node) segments a 3-phase
 * phantom study in a real Postgres; the summary stored with SUCCEEDED is checked against the
 * metric rows and against centroids computed here directly from the stored masks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createVolumeStore, putNiftiVolume, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun } from '../../../lib/server/runs/execute-segmentation-run';
import { RUN_SUMMARY_INCLUDE, runSummaryFromRow } from '../../../lib/server/runs/run-summary.types';
import { generatePatient, samplePatientSpec } from '../../../lib/core/phantom';
import { indexToPatientMm } from '../../../lib/core/volume';
import { parseNifti } from '../../../lib/nifti';
import { loadModel } from '../../../lib/inference';
import { modelSegmenter } from '../../../workers/tasks/segmentation-run';

const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const physicist = { userId: 'u', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };
const noQueue = { send: async () => 'job-summary' } as unknown as PgBoss;

/** Centroid (mm) of a stored mask, computed the plain way. */
function centroidOf(v: ReturnType<typeof parseNifti>): [number, number, number] | null {
  const [nx, ny] = v.grid.dims;
  let n = 0,
    si = 0,
    sj = 0,
    sk = 0;
  v.data.forEach((x, q) => {
    if (!x) return;
    n++;
    si += q % nx;
    sj += Math.floor(q / nx) % ny;
    sk += Math.floor(q / (nx * ny));
  });
  return n ? indexToPatientMm(v.grid, si / n, sj / n, sk / n) : null;
}

describe('run summaries', () => {
  let t: TestDatabase;
  let dir: string;
  let store: VolumeStore;
  let runId: string;
  beforeAll(async () => {
    t = await createTestDatabase('run_summary');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-summary-'));
    store = createVolumeStore({ dir });
    const patient = generatePatient(samplePatientSpec('summary-test', 5), { dims: [40, 40, 20], spacingMm: [4, 4, 5], phasePercents: [0, 30, 60] });
    const inst = await t.db.institution.create({ data: { name: 'Summary Test' } });
    const p = await t.db.patient.create({ data: { pseudonym: 'P-SUMMARY', institutionId: inst.id } });
    const study = await t.db.study.create({ data: { patientId: p.id, studyInstanceUid: '2.25.777', contentHash: 'summary-hash' } });
    for (let i = 0; i < patient.phases.length; i++) {
      const ph = patient.phases[i];
      const ct = await putNiftiVolume(store, ph.ct!, { intent: 'image' });
      const g = ph.ct!.grid;
      const series = await t.db.imageSeries.create({
        data: {
          studyId: study.id,
          seriesInstanceUid: `2.25.777.${i}`,
          modality: 'CT',
          phaseIndex: i,
          phasePercent: ph.phasePercent,
          dims: [...g.dims],
          spacingMm: [...g.spacingMm],
          originMm: [...g.originMm],
          direction: g.direction,
          volumeKey: ct.key,
          volumeSha256: ct.sha256,
        },
      });
      const gtv = await putNiftiVolume(store, ph.physicianGtv, { intent: 'mask' });
      await t.db.physicianStructure.create({
        data: {
          studyId: study.id,
          seriesId: series.id,
          name: `GTV_${ph.phasePercent}`,
          kind: 'GTV',
          phaseIndex: i,
          phasePercent: ph.phasePercent,
          maskKey: gtv.key,
          maskSha256: gtv.sha256,
        },
      });
      if (i === 0) {
        const itv = await putNiftiVolume(store, patient.physicianItv, { intent: 'mask' });
        await t.db.physicianStructure.create({
          data: { studyId: study.id, seriesId: series.id, name: 'ITV', kind: 'ITV', maskKey: itv.key, maskSha256: itv.sha256 },
        });
      }
    }
    ({ runId } = await createSegmentationRun(t.db, noQueue, { caller: physicist, studyId: study.id, modelDir: MODEL_DIR }));
    const model = await loadModel({ modelDir: MODEL_DIR, provider: 'cpu' });
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment: modelSegmenter(model), attempt: 1, maxAttempts: 1, codeVersion: 'test' })).toBe(
      'succeeded',
    );
  }, 120_000);
  afterAll(async () => {
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a succeeded run stores its summary, consistent with its metric rows and masks', async () => {
    const run = await t.db.segmentationRun.findUniqueOrThrow({
      where: { id: runId },
      include: { structures: true, metricResults: { include: { referenceStructure: true } }, summary: { include: RUN_SUMMARY_INCLUDE } },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.summary).not.toBeNull();
    const s = runSummaryFromRow(run.summary!);
    expect(Object.keys(run.timings as object)).toContain('summary');

    const row = (label: string, convention: string) =>
      run.metricResults.find((m) => m.convention === convention && run.structures.find((x) => x.id === m.testStructureId)?.label === label)!.values as Record<
        string,
        number | null
      >;
    expect(s.phases.map((p) => p.phaseIndex)).toEqual([0, 1, 2]);
    expect(s.phases.map((p) => p.phasePercent)).toEqual([0, 30, 60]);
    const centroids: ([number, number, number] | null)[] = [];
    for (const p of s.phases) {
      const label = `GTV:phase:${p.phaseIndex}`;
      const m = run.structures.find((x) => x.label === label)!;
      expect(p.dice).toBe(row(label, 'overlap').dice);
      expect(p.fpCc).toBe(row(label, 'overlap').falsePositiveVolumeCc);
      expect(p.hd95Mm).toBe(row(label, 'voxel').hd95Mm);
      expect(p.machineCc).toBeCloseTo(m.volumeCc!, 9);
      const machine = parseNifti(await store.getVolume(m.maskKey!));
      const c = centroidOf(machine);
      centroids.push(c);
      if (c) p.machineCentroidMm!.forEach((x, a) => expect(x).toBeCloseTo(c[a], 6));
      const ref = run.metricResults.find((x) => x.testStructureId === m.id)!.referenceStructure;
      const rc = centroidOf(parseNifti(await store.getVolume(ref.maskKey!)));
      p.physicianCentroidMm!.forEach((x, a) => expect(x).toBeCloseTo(rc![a], 6));
    }
    const dices = s.phases.map((p) => p.dice!).sort((a, b) => a - b);
    expect(s.gtv.medianDice).toBe(dices[1]);
    expect(s.gtv.minDice).toBe(dices[0]);
    // Motion: peak-to-peak centroid range per axis.
    const present = centroids.filter((c) => c !== null) as [number, number, number][];
    expect(present).toHaveLength(3);
    const range = (a: number) => Math.max(...present.map((c) => c[a])) - Math.min(...present.map((c) => c[a]));
    expect(s.motion.machine!.SI).toBeCloseTo(range(2), 6);
    expect(s.motion.machine!.LR).toBeCloseTo(range(0), 6);
    expect(s.motion.physician!.SI).toBeGreaterThan(0); // the phantom tumour breathes

    const itv = row('ITV', 'overlap');
    expect(s.itv).toMatchObject({
      dice: itv.dice,
      fpCc: itv.falsePositiveVolumeCc,
      fnCc: itv.falseNegativeVolumeCc,
      machineCc: itv.testVolumeCc,
      physicianCc: itv.referenceVolumeCc,
      hd95Mm: row('ITV', 'voxel').hd95Mm,
    });
    const disc = run.metricResults.find((m) => m.convention === 'discordance' && run.structures.find((x) => x.id === m.testStructureId)?.label === 'ITV')!
      .values as unknown as { falsePositive: { volumeCc: number; maxDistanceMm: number | null }[] };
    expect(s.itv.largestFpRegionCc).toBe(Math.max(0, ...disc.falsePositive.map((r) => r.volumeCc)));
    // Flags follow the recorded thresholds.
    const th = s.thresholds;
    expect(s.flags.includes('LOW_DICE')).toBe(itv.dice! < th.itvDice);
    expect(s.flags.includes('LOW_PHASE_DICE')).toBe(dices[0] < th.phaseGtvDice);
    expect(s.flags.includes('LARGE_FP')).toBe(s.itv.largestFpRegionCc! > th.largeFpCc);
    expect(s.flags.includes('DISTANT_FP')).toBe((s.itv.maxFpDistanceMm ?? 0) > th.distantFpMm);
    expect(s.flags).not.toContain('NO_REFERENCE');
  });

  it('a second execution of the succeeded run writes nothing: still one summary, unchanged', async () => {
    const before = await t.db.runSummary.findUniqueOrThrow({ where: { runId }, include: RUN_SUMMARY_INCLUDE });
    const model = await loadModel({ modelDir: MODEL_DIR, provider: 'cpu' });
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment: modelSegmenter(model), attempt: 2, maxAttempts: 2, codeVersion: 'test' })).toBe(
      'already-finished',
    );
    expect(await t.db.runSummary.count()).toBe(1);
    expect(await t.db.runPhaseSummary.count({ where: { runId } })).toBe(3);
    expect(await t.db.runSummary.findUniqueOrThrow({ where: { runId }, include: RUN_SUMMARY_INCLUDE })).toEqual(before);
  });
});
