/**
 * A planning study whose ROIs are not named GTV or ITV (BODY, CTV, BrainStem, a marker), as a
 * real planning export is: written as real DICOM (CT series + RTSTRUCT), imported, segmented by
 * a real worker process (tests/fixtures/models/tiny-test). Before: the run "succeeded" and the viewer said "No
 * metrics yet: they appear when the run has finished" forever. Now the import says that no
 * reference is recognised (listing the names), the viewer says so, and a physicist's choice of
 * the reference structure (audited; refused to a researcher) queues the run that makes the
 * metrics against it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { importStudy } from '../../../lib/server/studies/import-study';
import { getStudyView } from '../../../lib/server/studies/get-study-view';
import { chooseReferenceStructure } from '../../../lib/server/studies/choose-reference-structure';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { readDicom, writeCtSeries, writeRtStruct } from '../../../lib/dicom';
import type { Grid } from '../../../lib/core/volume';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const MODELS = path.join(ROOT, 'tests', 'fixtures', 'models');
const physicist = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' as const };
const researcher = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' as const };

/** A 40×40×16 planning CT (air, a water body, a dense lesion) and an RTSTRUCT without GTV/ITV. */
async function writePlanningStudy(dir: string): Promise<void> {
  const ctDir = path.join(dir, 'ct');
  fs.mkdirSync(ctDir, { recursive: true });
  const grid: Grid = { dims: [40, 40, 16], spacingMm: [2, 2, 2.5], originMm: [-40, -40, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const [nx, ny, nz] = grid.dims;
  const at = (i: number, j: number, k: number) => i + nx * (j + ny * k);
  const hu = new Int16Array(nx * ny * nz).fill(-1000);
  const body = new Uint8Array(hu.length);
  const ctv = new Uint8Array(hu.length);
  const stem = new Uint8Array(hu.length);
  const marker = new Uint8Array(hu.length);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const inBody = (i - 20) ** 2 + (j - 20) ** 2 < 16 ** 2;
        const lesion = (i - 16) ** 2 + (j - 18) ** 2 + ((k - 8) * 1.25) ** 2 < 5 ** 2;
        hu[at(i, j, k)] = lesion ? 60 : inBody ? -800 : -1000;
        body[at(i, j, k)] = inBody && k >= 1 && k < nz - 1 ? 1 : 0;
        ctv[at(i, j, k)] = (i - 16) ** 2 + (j - 18) ** 2 + ((k - 8) * 1.25) ** 2 < 7 ** 2 ? 1 : 0;
        stem[at(i, j, k)] = i >= 24 && i < 28 && j >= 24 && j < 28 && k >= 3 && k < 12 ? 1 : 0;
        marker[at(i, j, k)] = i >= 10 && i < 12 && j >= 10 && j < 12 && k >= 7 && k < 9 ? 1 : 0;
      }
  writeCtSeries(
    ctDir,
    { grid, data: hu },
    {
      patientName: 'PLAN^STUDY',
      patientId: 'PLAN-0001',
      studyInstanceUid: '1.2.826.0.1.3680043.10.77.1',
      seriesInstanceUid: '1.2.826.0.1.3680043.10.77.1.1',
      frameOfReferenceUid: '1.2.826.0.1.3680043.10.77.1.2',
      studyDate: '20260102',
      seriesNumber: 1,
      seriesDescription: 'Planning CT',
      manufacturer: 'test',
      manufacturerModelName: 'test',
    },
  );
  const [series] = (await readDicom(ctDir)).series;
  const m = (data: Uint8Array) => ({ grid: series.grid!, data });
  const rt = writeRtStruct({
    series,
    label: 'PLAN',
    structures: [
      { name: 'BODY', mask: m(body), interpretedType: 'EXTERNAL' },
      { name: 'CTV', mask: m(ctv), interpretedType: 'CTV' },
      { name: 'BrainStem', mask: m(stem), interpretedType: 'ORGAN' },
      { name: 'Marker1', mask: m(marker), interpretedType: 'MARKER' },
    ],
  });
  fs.writeFileSync(path.join(dir, 'rs.dcm'), rt.bytes);
}

describe('a planning study without GTV/ITV names', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let boss: PgBoss;
  let worker: WorkerProcess;
  let studyId: string;

  beforeAll(async () => {
    t = await createTestDatabase('reference_choice');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-reference-'));
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
    await writePlanningStudy(path.join(tmp, 'PLAN'));
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
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const runDone = (runId: string) =>
    waitFor(
      `run ${runId} to finish`,
      async () => {
        const r = await t.db.segmentationRun.findUnique({ where: { id: runId } });
        if (r?.status === 'FAILED') throw new Error(`run failed: ${r.error}\n${worker.output()}`);
        return r?.status === 'SUCCEEDED' ? r : null;
      },
      120_000,
    );

  it('the import says no reference structure is recognised, naming the structures', async () => {
    const r = await importStudy({ db: t.db, caller: physicist, dir: path.join(tmp, 'PLAN'), store });
    studyId = r.studyId;
    expect(r.structures.map((s) => `${s.name}:${s.kind}`).sort()).toEqual(['BODY:OTHER', 'BrainStem:OTHER', 'CTV:OTHER', 'Marker1:OTHER']);
    const f = r.findings.filter((x) => x.code === 'NO_REFERENCE_STRUCTURE');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain('None of the 4 physician structures is recognised as the GTV or ITV by its name ("BODY", "CTV", "BrainStem", "Marker1")');
    expect(f[0].message).toContain('a physicist chooses the reference structure in the study viewer');
  });

  it('the run succeeds without metrics, and the viewer says why instead of "No metrics yet"', async () => {
    const { runId } = await createSegmentationRun(t.db, boss, { caller: physicist, studyId, modelDir: path.join(MODELS, 'tiny-test') });
    await runDone(runId);
    expect(await t.db.metricResult.count({ where: { runId } })).toBe(0);

    const v = await getStudyView(t.db, { caller: physicist, studyId });
    expect(v.metrics).toEqual([]);
    expect(v.reference).toMatchObject({ status: 'none', structures: [], canChoose: true });
    expect(v.reference.candidates.map((c) => c.name).sort()).toEqual(['BODY', 'BrainStem', 'CTV', 'Marker1']);

    // a researcher is told the same, without the free-text ROI names, and cannot choose
    const rv = await getStudyView(t.db, { caller: researcher, studyId });
    expect(rv.reference).toMatchObject({ status: 'none', canChoose: false });
    expect(rv.reference.candidates).toHaveLength(4);
    expect(JSON.stringify(rv.reference)).not.toMatch(/BrainStem|Marker1/);
  }, 180_000);

  it('a physicist chooses the CTV as the reference GTV (audited; a researcher is refused), and the re-queued run makes the metrics', async () => {
    const ctv = await t.db.physicianStructure.findFirstOrThrow({ where: { studyId, name: 'CTV' } });
    await expect(
      chooseReferenceStructure(t.db, boss, { caller: researcher, studyId, structureId: ctv.id, role: 'GTV', modelsRoot: MODELS }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      chooseReferenceStructure(t.db, boss, { caller: physicist, studyId, structureId: 'no-such-structure', role: 'GTV', modelsRoot: MODELS }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await t.db.physicianStructure.findUniqueOrThrow({ where: { id: ctv.id } })).toMatchObject({ kind: 'OTHER', kindChosenAt: null });

    const r = await chooseReferenceStructure(t.db, boss, { caller: physicist, studyId, structureId: ctv.id, role: 'GTV', modelsRoot: MODELS });
    expect(r).toMatchObject({
      changed: true,
      updated: [{ id: ctv.id, from: 'OTHER', to: 'GTV' }],
      run: { queued: true, created: true, model: 'tiny-test 1.0.0' },
    });
    const stored = await t.db.physicianStructure.findUniqueOrThrow({ where: { id: ctv.id } });
    expect(stored).toMatchObject({ kind: 'GTV', kindChosenBy: physicist.userId });
    expect(stored.kindChosenAt).toBeInstanceOf(Date);
    const audit = await t.db.auditEvent.findMany({ where: { action: 'study.reference_chosen' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      userEmail: physicist.email,
      role: 'PHYSICIST',
      target: `study:${studyId}`,
      details: { structureId: ctv.id, role: 'GTV' },
    });
    expect(JSON.stringify(audit[0].details)).not.toContain('CTV"'); // ids and kinds, not the ROI name

    if (!r.run.queued) throw new Error('no run queued');
    await runDone(r.run.runId);
    const rows = await t.db.metricResult.findMany({ where: { runId: r.run.runId } });
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((x) => x.referenceStructureId))).toEqual(new Set([ctv.id]));

    const v = await getStudyView(t.db, { caller: physicist, studyId });
    expect(v.reference.status).toBe('chosen');
    expect(v.reference.structures).toMatchObject([{ id: ctv.id, name: 'CTV', kind: 'GTV', chosen: true }]);
    const gtv = v.metrics.find((m) => m.scope === 'GTV');
    expect(gtv).toMatchObject({ referenceName: 'CTV', phaseIndex: null });
    expect(typeof gtv!.conventions.overlap.values.dice).toBe('number');

    // choosing it again changes nothing and queues nothing: its metrics exist
    const again = await chooseReferenceStructure(t.db, boss, { caller: physicist, studyId, structureId: ctv.id, role: 'GTV', modelsRoot: MODELS });
    expect(again).toMatchObject({ changed: false, run: { queued: false } });
    expect(await t.db.auditEvent.count({ where: { action: 'study.reference_chosen' } })).toBe(1);
  }, 240_000);

  it('choosing another structure as the GTV of the same CT replaces the first', async () => {
    const [ctv, stem] = await Promise.all(['CTV', 'BrainStem'].map((name) => t.db.physicianStructure.findFirstOrThrow({ where: { studyId, name } })));
    const r = await chooseReferenceStructure(t.db, boss, { caller: physicist, studyId, structureId: stem.id, role: 'GTV', modelsRoot: MODELS });
    expect(r.updated).toEqual([
      { id: stem.id, from: 'OTHER', to: 'GTV' },
      { id: ctv.id, from: 'GTV', to: 'OTHER' },
    ]);
    const kinds = await t.db.physicianStructure.findMany({ where: { studyId }, select: { name: true, kind: true }, orderBy: { name: 'asc' } });
    expect(kinds.filter((k) => k.kind === 'GTV').map((k) => k.name)).toEqual(['BrainStem']);
  });
});
