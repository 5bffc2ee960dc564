/**
 * Dose imported with a study (issue #15), on real Postgres with real DICOM written by our writers
 * (lib/dicom/dose-phantom.ts, write-rtdose.ts): RTDOSE and RTPLAN in the import folder are stored
 * with the study, the dose metrics of the physician regions equal `iseg-qa dose dvh`'s
 * (computeStructureDvhs, the command's code) and a constant dose gives Dmean = that dose; a dose on
 * another frame of reference and a corrupt RTDOSE are findings naming the file (the study still
 * imports, no dose stored); a re-import is a no-op and a later RTDOSE merges; a physicist's
 * prescription recomputes V95/V100 and is audited, a researcher's is refused; a run's machine ITV
 * gives FP and FN regions whose volumes match the masks counted by hand.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeStructureDvhs, deterministicUid, encodeRtDose, encodeRtPlan, writeDosePhantom, type DosePhantomFiles, type DosePhantomSpec } from '@/lib/dicom';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, putNiftiVolume, type VolumeStore } from '@/lib/server/storage/volume-store';
import { computeStudyDoseMetrics } from '@/lib/server/dose/compute-study-dose-metrics';
import { enterPrescription } from '@/lib/server/dose/enter-prescription';
import { getStudyDose } from '@/lib/server/dose/get-study-dose';
import { readRunMask } from '@/lib/server/runs/read-run-volume';
import { voxelVolumeCc } from '@/lib/core/volume';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { findOrphanVolumes } from '@/lib/server/storage/find-orphan-volumes';
import { TINY_TEST_DIR } from '../helpers/test-models';
import type { PgBoss } from 'pg-boss';
import { createSegmentationRun } from '@/lib/server/runs/create-segmentation-run';
import { executeSegmentationRun } from '@/lib/server/runs/execute-segmentation-run';
import { loadModel } from '@/lib/inference';
import { modelSegmenter } from '@/workers/tasks/segmentation-run';

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const researcher: Caller = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' };

/** A small phantom whose structures the importer classifies as the reference ITV and GTV. */
const spec = (seed: string): DosePhantomSpec => ({
  ctDims: [48, 48, 24],
  ctSpacingMm: [2, 2, 2.5],
  doseSpacingMm: [3, 3, 3],
  structures: [
    { name: 'ITV', centreMm: [2, -1, 0], radiiMm: [16, 15, 14], interpretedType: 'GTV' },
    { name: 'GTV', centreMm: [2, -1, 0], radiiMm: [9, 10, 8], interpretedType: 'GTV' },
    { name: 'OAR', centreMm: [-25, 10, 5], radiiMm: [6, 6, 6] },
  ],
  target: { centreMm: [2, -1, 0], radiusMm: 17, falloffMm: 3 },
  prescriptionGy: 60,
  fractions: 30,
  seed,
});
const meta = (seed: string) => ({
  patientName: 'DOSE^PHANTOM',
  patientId: seed,
  studyInstanceUid: deterministicUid(`${seed}/study`),
  frameOfReferenceUid: deterministicUid(`${seed}/for`),
  studyDate: '20261206',
  uidSeed: seed,
});

describe('dose import', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  const code = 'test-version';
  const phantom = async (seed: string): Promise<{ dir: string; files: DosePhantomFiles }> => {
    const dir = join(tmp, seed);
    return { dir, files: await writeDosePhantom(dir, spec(seed)) };
  };
  const studyFindings = async (studyId: string) =>
    (await t.db.study.findUniqueOrThrow({ where: { id: studyId }, select: { findings: true } })).findings as {
      code: string;
      severity: string;
      message: string;
      file?: string;
    }[];

  beforeAll(async () => {
    t = await createTestDatabase('dose_import');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-dose-import-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stores the RTDOSE and RTPLAN with the study; the physician ITV metrics equal iseg-qa dose dvh; a re-import is a no-op', async () => {
    const { dir, files } = await phantom('dose-import-a');
    const r = await importStudy({ db: t.db, caller: physicist, dir, store });
    expect(r.alreadyImported).toBe(false);
    const findings = await studyFindings(r.studyId);
    expect(findings.filter((f) => f.code === 'IGNORED_OBJECT')).toEqual([]);
    const grids = await t.db.doseGrid.findMany({ where: { studyId: r.studyId }, include: { series: true } });
    expect(grids).toHaveLength(1);
    expect(grids[0]).toMatchObject({ units: 'GY', frameOfReferenceUid: meta('dose-import-a').frameOfReferenceUid, dims: [...files.doseGrid.dims] });
    expect(grids[0]!.series.frameOfReferenceUid).toBe(grids[0]!.frameOfReferenceUid);
    expect(await store.has(grids[0]!.volumeKey)).toBe(true);
    // The dose volume is referenced (DoseGrid.volumeKey): the orphan sweep never removes it.
    const orphans = await findOrphanVolumes(t.db, { store, graceMs: 0, now: new Date(Date.now() + 60_000) });
    expect(orphans.columns).toContain('DoseGrid.volumeKey');
    expect(orphans.orphans.map((o) => o.key)).not.toContain(grids[0]!.volumeKey);
    const plans = await t.db.treatmentPlan.findMany({ where: { studyId: r.studyId } });
    expect(plans.map((p) => [p.prescriptionGy, p.fractions, p.source])).toEqual([[60, 30, 'RTPLAN']]);

    const rows = await t.db.doseMetricResult.findMany({ where: { studyId: r.studyId }, orderBy: { region: 'asc' } });
    expect(rows.map((x) => [x.region, x.runId, x.convention, x.prescriptionGy])).toEqual([
      ['PHYSICIAN_GTV', null, 'iseg', 60],
      ['PHYSICIAN_ITV', null, 'iseg', 60],
    ]);
    const cli = await computeStructureDvhs({
      ct: files.ctDir,
      rtstructFile: files.rtstruct,
      rtdoseFile: files.rtdose,
      rtplanFile: files.rtplan,
      rois: ['ITV'],
    });
    const ref = cli.structures[0]!;
    const itv = rows.find((x) => x.region === 'PHYSICIAN_ITV')!.values as Record<string, number>;
    expect(itv.volumeCc).toBeCloseTo(ref.volumeCc, 9);
    for (const [ours, theirs] of [
      ['dminGy', ref.dmin],
      ['dmeanGy', ref.dmean],
      ['dmaxGy', ref.dmax],
      ['d98Gy', ref.d98],
      ['d95Gy', ref.d95],
      ['d50Gy', ref.d50],
      ['d2Gy', ref.d2],
      ['v95Pct', ref.v95Percent],
      ['v100Pct', ref.v100Percent],
    ] as const)
      expect(itv[ours], ours).toBeCloseTo(theirs!, 9);
    expect(itv.volumeBelow95PctCc).toBeCloseTo(ref.volumeCc * (1 - ref.v95Percent! / 100), 6);
    // The phantom's ITV (r ≤ 16 mm) lies inside the target sphere (17 mm): mostly ≥ 95 %, never 0.
    expect(itv.dminGy).toBeGreaterThan(20);

    const audit = await t.db.auditEvent.count();
    const again = await importStudy({ db: t.db, caller: physicist, dir, store });
    expect(again).toMatchObject({ studyId: r.studyId, alreadyImported: true });
    expect(await t.db.doseGrid.count()).toBe(1);
    expect(await t.db.treatmentPlan.count()).toBe(1);
    expect(await t.db.doseMetricResult.count({ where: { studyId: r.studyId } })).toBe(2);
    expect(await t.db.auditEvent.count()).toBe(audit);

    const summary = await getStudyDose(t.db, { caller: researcher, studyId: r.studyId });
    expect(summary).toMatchObject({ convention: 'iseg', plan: { prescriptionGy: 60, fractions: 30, source: 'RTPLAN' }, canEnterPrescription: false });
    // The plan label is DICOM free text: shown to a physicist only.
    expect(summary!.plan!.label).toBeNull();
    expect((await getStudyDose(t.db, { caller: physicist, studyId: r.studyId }))!.plan!.label).toBe('Phantom');
    expect(summary!.regions.map((x) => x.region)).toEqual(['PHYSICIAN_ITV', 'PHYSICIAN_GTV']);
  });

  it('a constant dose field gives Dmin = Dmean = Dmax = that dose, V95 = 100 % and V100 = 0 % below it (by hand)', async () => {
    const seed = 'dose-import-const';
    const { dir, files } = await phantom(seed);
    const data = new Float32Array(files.doseGrid.dims[0] * files.doseGrid.dims[1] * files.doseGrid.dims[2]).fill(50);
    const plan = encodeRtPlan({ ...meta(seed), label: 'Const', prescriptionGy: 52, fractions: 26 });
    writeFileSync(files.rtplan, plan.bytes);
    writeFileSync(files.rtdose, encodeRtDose({ ...meta(seed), dose: { grid: files.doseGrid, data }, referencedPlanSopInstanceUid: plan.sopInstanceUid }).bytes);
    const r = await importStudy({ db: t.db, caller: physicist, dir, store });
    const itv = (await t.db.doseMetricResult.findFirstOrThrow({ where: { studyId: r.studyId, region: 'PHYSICIAN_ITV' } })).values as Record<string, number>;
    for (const k of ['dminGy', 'dmeanGy', 'dmaxGy', 'd98Gy', 'd50Gy', 'd2Gy']) expect(itv[k], k).toBeCloseTo(50, 4);
    // 95 % of 52 Gy = 49.4 Gy ≤ 50 everywhere; 52 Gy nowhere.
    expect(itv.v95Pct).toBe(100);
    expect(itv.v100Pct).toBe(0);
    expect(itv.volumeBelow95PctCc).toBe(0);
    // The ITV's volume is its voxels × the CT voxel volume (2 × 2 × 2.5 mm = 0.01 cc).
    const s = await t.db.physicianStructure.findFirstOrThrow({ where: { studyId: r.studyId, kind: 'ITV' } });
    expect(itv.volumeCc).toBeCloseTo(s.voxelCount! * 0.01, 9);
  });

  it('a dose on another frame of reference is a finding naming the file and both UIDs; nothing of it is stored, the study imports', async () => {
    const seed = 'dose-import-for';
    const { dir, files } = await phantom(seed);
    const otherFor = deterministicUid('some-other-frame');
    const data = new Float32Array(files.doseGrid.dims[0] * files.doseGrid.dims[1] * files.doseGrid.dims[2]).fill(10);
    writeFileSync(files.rtdose, encodeRtDose({ ...meta(seed), frameOfReferenceUid: otherFor, dose: { grid: files.doseGrid, data } }).bytes);
    const r = await importStudy({ db: t.db, caller: physicist, dir, store });
    expect(r.structureCount).toBe(3);
    const f = (await studyFindings(r.studyId)).find((x) => x.code === 'FRAME_OF_REFERENCE_MISMATCH');
    expect(f).toMatchObject({ severity: 'error', file: 'RD.dcm' });
    expect(f!.message).toContain(otherFor);
    expect(f!.message).toContain(meta(seed).frameOfReferenceUid);
    expect(f!.message).toContain('not used');
    expect(await t.db.doseGrid.count({ where: { studyId: r.studyId } })).toBe(0);
    expect(await t.db.doseMetricResult.count({ where: { studyId: r.studyId } })).toBe(0);
  });

  it('a corrupt RTDOSE is a finding naming the file; the study imports without a dose', async () => {
    const { dir, files } = await phantom('dose-import-corrupt');
    const bytes = readFileSync(files.rtdose);
    writeFileSync(files.rtdose, bytes.subarray(0, bytes.length - 4000)); // pixel data cut short
    const r = await importStudy({ db: t.db, caller: physicist, dir, store });
    expect(r.seriesCount).toBe(1);
    const bad = (await studyFindings(r.studyId)).filter((x) => x.severity === 'error' && x.file === 'RD.dcm');
    expect(bad.length, JSON.stringify(await studyFindings(r.studyId))).toBeGreaterThan(0);
    expect(bad[0]!.message).toContain('RD.dcm');
    expect(await t.db.doseGrid.count({ where: { studyId: r.studyId } })).toBe(0);
  });

  it('a later RTDOSE merges into the stored study; a plan without prescription asks for it; the entered prescription recomputes V95/V100 and is audited; a researcher cannot enter it', async () => {
    const seed = 'dose-import-later';
    const { dir, files } = await phantom(seed);
    const plan = encodeRtPlan({ ...meta(seed), label: 'NoRx', prescriptionGy: null, fractions: 30 });
    writeFileSync(files.rtplan, plan.bytes);
    const first = join(tmp, `${seed}-first`);
    cpSync(files.ctDir, join(first, 'CT'), { recursive: true });
    copyFileSync(files.rtstruct, join(first, 'RS.dcm'));
    const r1 = await importStudy({ db: t.db, caller: physicist, dir: first, store });
    expect(await t.db.doseGrid.count({ where: { studyId: r1.studyId } })).toBe(0);
    expect(await getStudyDose(t.db, { caller: physicist, studyId: r1.studyId })).toBeNull();

    const r2 = await importStudy({ db: t.db, caller: physicist, dir, store });
    expect(r2).toMatchObject({ studyId: r1.studyId, alreadyImported: false, merged: true });
    expect(await t.db.doseGrid.count({ where: { studyId: r1.studyId } })).toBe(1);
    const findings = await studyFindings(r1.studyId);
    const noRx = findings.find((x) => x.code === 'PLAN_WITHOUT_PRESCRIPTION');
    expect(noRx?.message).toContain('enter the prescription on the study page');
    expect(findings.find((x) => x.code === 'STUDY_MERGED')?.message).toContain('1 dose grid(s) and 1 plan(s)');
    let itv = await t.db.doseMetricResult.findFirstOrThrow({ where: { studyId: r1.studyId, region: 'PHYSICIAN_ITV' } });
    expect(itv.prescriptionGy).toBeNull();
    expect((itv.values as Record<string, unknown>).v95Pct).toBeNull();
    expect((itv.values as Record<string, unknown>).dmeanGy).toEqual(expect.any(Number));
    expect(itv.nullReasons).toMatchObject({ v95Pct: 'NO_PRESCRIPTION', v100Pct: 'NO_PRESCRIPTION', volumeBelow95PctCc: 'NO_PRESCRIPTION' });
    expect(await getStudyDose(t.db, { caller: physicist, studyId: r1.studyId })).toMatchObject({ canEnterPrescription: true, plan: { prescriptionGy: null } });
    expect(await getStudyDose(t.db, { caller: researcher, studyId: r1.studyId })).toMatchObject({ canEnterPrescription: false });

    await expect(enterPrescription({ db: t.db, store, caller: researcher, studyId: r1.studyId, prescriptionGy: 60, codeVersion: code })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(enterPrescription({ db: t.db, store, caller: physicist, studyId: r1.studyId, prescriptionGy: -3, codeVersion: code })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    const res = await enterPrescription({ db: t.db, store, caller: physicist, studyId: r1.studyId, prescriptionGy: 60, codeVersion: code });
    expect(res).toMatchObject({ prescriptionGy: 60, fractions: 30, recomputedRows: 2 });
    expect(await t.db.treatmentPlan.findUniqueOrThrow({ where: { id: res.planId } })).toMatchObject({
      prescriptionGy: 60,
      source: 'entered by phys@example.org',
    });
    itv = await t.db.doseMetricResult.findFirstOrThrow({ where: { studyId: r1.studyId, region: 'PHYSICIAN_ITV' } });
    expect(itv.prescriptionGy).toBe(60);
    expect(itv.nullReasons).toEqual({});
    // Same numbers as the full phantom with its 60 Gy plan.
    const cli = await computeStructureDvhs({
      ct: files.ctDir,
      rtstructFile: files.rtstruct,
      rtdoseFile: files.rtdose,
      rtplanFile: files.rtplan,
      rois: ['ITV'],
      prescriptionGy: 60,
    });
    expect((itv.values as Record<string, number>).v95Pct).toBeCloseTo(cli.structures[0]!.v95Percent!, 6);
    const events = await t.db.auditEvent.findMany({ where: { action: 'study.prescription_entered' } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ userEmail: 'phys@example.org', target: `study:${r1.studyId}` });
    expect(events[0]!.details).toMatchObject({ prescriptionGy: 60, before: { prescriptionGy: null, source: 'RTPLAN' } });
  });

  it('an RTDOSE and RTPLAN exported alone, after the CT: linked to the stored CT by frame of reference and merged; again: a no-op; a dose with no stored CT: INVALID_INPUT naming it', async () => {
    const seed = 'dose-import-alone';
    const { files } = await phantom(seed);
    const ctOnly = join(tmp, `${seed}-ct`);
    cpSync(files.ctDir, join(ctOnly, 'CT'), { recursive: true });
    copyFileSync(files.rtstruct, join(ctOnly, 'RS.dcm'));
    const r1 = await importStudy({ db: t.db, caller: physicist, dir: ctOnly, store });
    const doseOnly = join(tmp, `${seed}-dose`);
    cpSync(files.rtdose, join(doseOnly, 'RD.dcm'));
    cpSync(files.rtplan, join(doseOnly, 'RP.dcm'));
    const r2 = await importStudy({ db: t.db, caller: physicist, dir: doseOnly, store });
    expect(r2).toMatchObject({ studyId: r1.studyId, alreadyImported: false, merged: true, seriesCount: 1, structureCount: 3 });
    const grid = await t.db.doseGrid.findFirstOrThrow({ where: { studyId: r1.studyId }, include: { series: true } });
    expect(grid.series.studyId).toBe(r1.studyId);
    expect(await t.db.treatmentPlan.count({ where: { studyId: r1.studyId } })).toBe(1);
    const rows = await t.db.doseMetricResult.findMany({ where: { studyId: r1.studyId } });
    expect(rows.map((x) => x.region).sort()).toEqual(['PHYSICIAN_GTV', 'PHYSICIAN_ITV']);
    const cli = await computeStructureDvhs({
      ct: files.ctDir,
      rtstructFile: files.rtstruct,
      rtdoseFile: files.rtdose,
      rtplanFile: files.rtplan,
      rois: ['ITV'],
    });
    expect((rows.find((x) => x.region === 'PHYSICIAN_ITV')!.values as Record<string, number>).dmeanGy).toBeCloseTo(cli.structures[0]!.dmean!, 9);
    expect((await studyFindings(r1.studyId)).some((f) => f.code === 'DOSE_ON_STORED_CT')).toBe(true);

    const again = await importStudy({ db: t.db, caller: physicist, dir: doseOnly, store });
    expect(again).toMatchObject({ studyId: r1.studyId, alreadyImported: true });
    expect(await t.db.doseGrid.count({ where: { studyId: r1.studyId } })).toBe(1);

    const orphanSeed = 'dose-import-orphan';
    const orphan = join(tmp, orphanSeed);
    const data = new Float32Array(files.doseGrid.dims[0] * files.doseGrid.dims[1] * files.doseGrid.dims[2]).fill(1);
    mkdirSync(orphan, { recursive: true });
    writeFileSync(join(orphan, 'RD.dcm'), encodeRtDose({ ...meta(orphanSeed), dose: { grid: files.doseGrid, data } }).bytes);
    const studies = await t.db.study.count();
    await expect(importStudy({ db: t.db, caller: physicist, dir: orphan, store })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`RD.dcm (frame of reference ${meta(orphanSeed).frameOfReferenceUid})`),
    });
    expect(await t.db.study.count()).toBe(studies);
  });

  it('the RTPLAN alone, after CT, RTSTRUCT and RTDOSE: merged, and the dose metrics get its prescription', async () => {
    const seed = 'dose-import-plan-later';
    const { files } = await phantom(seed);
    const first = join(tmp, `${seed}-first`);
    cpSync(files.ctDir, join(first, 'CT'), { recursive: true });
    copyFileSync(files.rtstruct, join(first, 'RS.dcm'));
    copyFileSync(files.rtdose, join(first, 'RD.dcm'));
    const r1 = await importStudy({ db: t.db, caller: physicist, dir: first, store });
    const before = await t.db.doseMetricResult.findFirstOrThrow({ where: { studyId: r1.studyId, region: 'PHYSICIAN_ITV' } });
    expect(before.prescriptionGy).toBeNull();
    expect(before.nullReasons).toMatchObject({ v95Pct: 'NO_PRESCRIPTION' });
    const planOnly = join(tmp, `${seed}-plan`);
    mkdirSync(planOnly, { recursive: true });
    copyFileSync(files.rtplan, join(planOnly, 'RP.dcm'));
    const r2 = await importStudy({ db: t.db, caller: physicist, dir: planOnly, store });
    expect(r2).toMatchObject({ studyId: r1.studyId, merged: true });
    const after = await t.db.doseMetricResult.findFirstOrThrow({ where: { studyId: r1.studyId, region: 'PHYSICIAN_ITV' } });
    expect(after.prescriptionGy).toBe(60);
    const cli = await computeStructureDvhs({
      ct: files.ctDir,
      rtstructFile: files.rtstruct,
      rtdoseFile: files.rtdose,
      rtplanFile: files.rtplan,
      rois: ['ITV'],
    });
    expect((after.values as Record<string, number>).v95Pct).toBeCloseTo(cli.structures[0]!.v95Percent!, 9);
  });

  it("a segmentation run of a study with a dose ends with the dose stage: machine ITV/GTV, FP and FN rows whose volumes are the run's own FP/FN volumes", async () => {
    const { dir } = await phantom('dose-import-exec');
    const r = await importStudy({ db: t.db, caller: physicist, dir, store });
    const { runId } = await createSegmentationRun(t.db, { send: async () => 'job-x' } as unknown as PgBoss, {
      caller: physicist,
      studyId: r.studyId,
      modelDir: TINY_TEST_DIR,
    });
    const model = await loadModel({ modelDir: TINY_TEST_DIR, provider: 'cpu' });
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment: modelSegmenter(model), attempt: 1, maxAttempts: 1, codeVersion: code })).toBe(
      'succeeded',
    );
    const all = await t.db.doseMetricResult.findMany({ where: { studyId: r.studyId, runId }, orderBy: { componentIndex: 'asc' } });
    const rows = all.filter((x) => x.componentIndex === null);
    expect(rows.map((x) => x.region).sort()).toEqual(['FN', 'FP', 'MACHINE_GTV', 'MACHINE_ITV']);
    // Component n of FP / FN is the run's discordance region n (same masks, same order).
    const disc = (await t.db.metricResult.findFirstOrThrow({ where: { runId, convention: 'discordance', testStructure: { kind: 'ITV' } } })).values as {
      falsePositive: { volumeCc: number }[];
      falseNegative: { volumeCc: number }[];
    };
    for (const [region, regions] of [
      ['FP', disc.falsePositive],
      ['FN', disc.falseNegative],
    ] as const) {
      const comps = all.filter((x) => x.region === region && x.componentIndex !== null);
      expect(comps.length, region).toBe(Math.min(10, regions.length));
      comps.forEach((c, n) => expect((c.values as Record<string, number>).volumeCc, `${region} ${n}`).toBeCloseTo(regions[n]!.volumeCc, 9));
    }
    const overlap = await t.db.metricResult.findFirstOrThrow({ where: { runId, convention: 'overlap', testStructure: { kind: 'ITV' } } });
    const ov = overlap.values as Record<string, number>;
    const vol = (region: string) => (rows.find((x) => x.region === region)!.values as Record<string, number>).volumeCc;
    expect(vol('FP')).toBeGreaterThan(0);
    expect(vol('FP')).toBeCloseTo(ov.falsePositiveVolumeCc!, 9);
    expect(vol('FN')).toBeCloseTo(ov.falseNegativeVolumeCc!, 9);
    expect(await t.db.doseMetricResult.count({ where: { studyId: r.studyId, runId: null } })).toBe(2);
  }, 120_000);

  it("a run's machine ITV gives MACHINE_ITV, FP and FN rows; FP and FN volumes are the mask differences counted by hand; a rerun is idempotent", async () => {
    const { dir } = await phantom('dose-import-run');
    const r = await importStudy({ db: t.db, caller: physicist, dir, store });
    const pItv = await t.db.physicianStructure.findFirstOrThrow({ where: { studyId: r.studyId, kind: 'ITV' } });
    const physicianMask = await readRunMask({ store, key: pItv.maskKey!, what: 'physician ITV' });
    // The machine ITV: the physician ITV shifted 3 voxels along x (FP on one side, FN on the other).
    const [nx, ny, nz] = physicianMask.grid.dims;
    const machine = new Uint8Array(physicianMask.data.length);
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++) for (let i = 3; i < nx; i++) machine[i + nx * (j + ny * k)] = physicianMask.data[i - 3 + nx * (j + ny * k)]!;
    let fp = 0;
    let fn = 0;
    for (let q = 0; q < machine.length; q++) {
      if (machine[q] && !physicianMask.data[q]) fp++;
      if (!machine[q] && physicianMask.data[q]) fn++;
    }
    expect(fp).toBeGreaterThan(0);
    const stored = await putNiftiVolume(store, { grid: physicianMask.grid, data: machine }, { intent: 'mask' });
    const model = await t.db.modelVersion.create({ data: { name: 'test', version: '1', sha256: 'x'.repeat(64), manifest: {} } });
    const run = await t.db.segmentationRun.create({ data: { studyId: r.studyId, modelVersionId: model.id, status: 'SUCCEEDED', finishedAt: new Date() } });
    await t.db.machineStructure.create({
      data: { runId: run.id, seriesId: pItv.seriesId, kind: 'ITV', label: 'ITV', maskKey: stored.key, maskSha256: stored.sha256, voxelCount: fp, volumeCc: 0 },
    });
    const out = await computeStudyDoseMetrics({ db: t.db, store, studyId: r.studyId, codeVersion: code });
    const all = await t.db.doseMetricResult.findMany({ where: { studyId: r.studyId } });
    expect(out).toMatchObject({ runId: run.id, rows: all.length });
    const again = await computeStudyDoseMetrics({ db: t.db, store, studyId: r.studyId, codeVersion: code });
    expect(again.rows).toBe(all.length);
    expect(await t.db.doseMetricResult.count({ where: { studyId: r.studyId } })).toBe(all.length);
    const rows = all.filter((x) => x.componentIndex === null);
    expect(rows).toHaveLength(5);
    // The shift leaves one FP crescent and one FN crescent: one component each, the whole region.
    const comps = all.filter((x) => x.componentIndex !== null);
    expect(comps.map((x) => [x.region, x.componentIndex]).sort()).toEqual([
      ['FN', 0],
      ['FP', 0],
    ]);
    expect((comps.find((x) => x.region === 'FP')!.values as Record<string, number>).volumeCc).toBeCloseTo(fp * voxelVolumeCc(physicianMask.grid), 9);
    const byRegion = new Map(rows.map((x) => [x.region, x]));
    expect([...byRegion.keys()].sort()).toEqual(['FN', 'FP', 'MACHINE_ITV', 'PHYSICIAN_GTV', 'PHYSICIAN_ITV']);
    expect(byRegion.get('FP')!.runId).toBe(run.id);
    expect(byRegion.get('PHYSICIAN_ITV')!.runId).toBeNull();
    const cc = voxelVolumeCc(physicianMask.grid);
    expect((byRegion.get('FP')!.values as Record<string, number>).volumeCc).toBeCloseTo(fp * cc, 9);
    expect((byRegion.get('FN')!.values as Record<string, number>).volumeCc).toBeCloseTo(fn * cc, 9);
    const fpv = byRegion.get('FP')!.values as Record<string, number>;
    // The FP rim lies at the target's edge: colder than the ITV's mean, and part of it below 95 %.
    expect(fpv.dmeanGy).toBeLessThan((byRegion.get('PHYSICIAN_ITV')!.values as Record<string, number>).dmeanGy);
    expect(fpv.volumeBelow95PctCc).toBeGreaterThan(0);
    expect(fpv.volumeBelow95PctCc).toBeLessThanOrEqual(fpv.volumeCc + 1e-9);
    const summary = await getStudyDose(t.db, { caller: physicist, studyId: r.studyId });
    expect(summary!.regions.map((x) => `${x.region}${x.componentIndex === null ? '' : `#${x.componentIndex}`}`)).toEqual([
      'PHYSICIAN_ITV',
      'MACHINE_ITV',
      'PHYSICIAN_GTV',
      'FP',
      'FP#0',
      'FN',
      'FN#0',
    ]);
  });
});
