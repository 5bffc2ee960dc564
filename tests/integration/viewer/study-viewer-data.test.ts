/**
 * The study viewer's data access against a real Postgres and a real volume store: the view JSON
 * (identifiers for physicists only, audited), binary volumes looked up by id under the study,
 * per-phase volumes and centroids, the metrics CSV and the RTSTRUCT export.
 *
 * The "model" is injected: each phase's machine GTV is the physician GTV shifted one voxel along
 * i, plus a 2×2×2 block far from the tumour, so the FP regions include one we can predict.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { seedRunStudy } from '../runs/seed-run-study';
import { createVolumeStore, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { createSegmentationRun } from '../../../lib/server/runs/create-segmentation-run';
import { executeSegmentationRun, type SegmentFn } from '../../../lib/server/runs/execute-segmentation-run';
import { getStudyView } from '../../../lib/server/studies/get-study-view';
import { getStudyVolume } from '../../../lib/server/studies/get-study-volume';
import { getStudyRunStatus } from '../../../lib/server/studies/get-study-run-status';
import { getStudyPhaseSeries } from '../../../lib/server/studies/get-study-phase-series';
import { exportStudyMetricsCsv, METRICS_CSV_COLUMNS } from '../../../lib/server/studies/export-study-metrics-csv';
import { exportStudyRtStruct } from '../../../lib/server/studies/export-study-rtstruct';
import type { Mask } from '../../../lib/core/volume';
import { getStudyVolumeResponse } from '../../../lib/server/studies/get-study-volume-response';
import { parseVolumeResponse } from '../../../components/viewer/load-volume';
import { maskBox } from '../../../lib/core/viewer';

const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const physicist = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' as const };
const researcher = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' as const };
const admin = { userId: 'u-adm', email: 'adm@example.org', name: 'Adm', role: 'ADMIN' as const };
const BLOCK = [2, 3]; // i, j and k range of the extra machine block

describe('study viewer data', () => {
  let t: TestDatabase;
  let volumeDir: string;
  let store: VolumeStore;
  let studyId: string;
  let patientId: string;
  let physicianMasks: Mask[];
  let other: string;

  beforeAll(async () => {
    t = await createTestDatabase('viewer');
    volumeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-viewer-'));
    store = createVolumeStore({ dir: volumeDir });
    const { study, patient } = await seedRunStudy(t, store, 'viewer');
    studyId = study.id;
    patientId = study.patientId;
    physicianMasks = patient.phases.map((p) => p.physicianGtv);
    await t.db.patientIdentity.create({ data: { patientId, name: 'Doe^Jane', mrn: 'MRN-777001', dateShiftDays: 12 } });
    other = (await seedRunStudy(t, store, 'other')).study.id;

    let phase = 0;
    const segment: SegmentFn = async (ct) => {
      const ref = physicianMasks[phase++];
      const [nx, ny, nz] = ct.grid.dims;
      const out = new Uint8Array(nx * ny * nz);
      for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 1; i < nx; i++) out[i + nx * (j + ny * k)] = ref.data[i - 1 + nx * (j + ny * k)];
      for (const k of BLOCK) for (const j of BLOCK) for (const i of BLOCK) out[i + nx * (j + ny * k)] = 1;
      return { mask: { grid: ct.grid, data: out }, timingsMs: {} };
    };
    const fakeBoss = { send: async () => 'job-viewer' } as unknown as PgBoss;
    const { runId } = await createSegmentationRun(t.db, fakeBoss, { caller: physicist, studyId, modelDir: MODEL_DIR });
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment, attempt: 1, maxAttempts: 1, codeVersion: 'test' })).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await t.drop();
    fs.rmSync(volumeDir, { recursive: true, force: true });
  });

  it('the block lies outside every physician GTV (the premise of the FP check)', () => {
    for (const m of physicianMasks) {
      const [nx, ny] = m.grid.dims;
      for (const k of BLOCK) for (const j of BLOCK) for (const i of BLOCK) expect(m.data[i + nx * (j + ny * k)]).toBe(0);
    }
  });

  it('a physicist sees identifiers (audited); a researcher sees the pseudonym only (not audited)', async () => {
    const v = await getStudyView(t.db, { caller: physicist, studyId });
    expect(v.identity).toMatchObject({ name: 'Doe^Jane', mrn: 'MRN-777001' });
    const audits = await t.db.auditEvent.findMany({ where: { action: 'study.view.identified', patientId } });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ userId: 'u-phys', role: 'PHYSICIST', target: `study:${studyId}` });

    const r = await getStudyView(t.db, { caller: researcher, studyId });
    expect(r.identity).toBeNull();
    expect(r.canExportRtStruct).toBe(false);
    expect(JSON.stringify(r)).not.toMatch(/Doe\^Jane|MRN-777001|2\.25\./);
    expect(await t.db.auditEvent.count({ where: { action: 'study.view.identified' } })).toBe(1);
    await expect(getStudyView(t.db, { caller: null, studyId })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(getStudyView(t.db, { caller: researcher, studyId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists phases with their structures, the run with its model, metrics by convention and the discordance regions', async () => {
    const v = await getStudyView(t.db, { caller: researcher, studyId });
    expect(v.phases.map((p) => p.label)).toEqual(['0%', '50%']);
    expect(v.phases.every((p) => p.physicianGtvId && p.machineGtvId)).toBe(true);
    expect(v.physicianItvId).toBeTruthy();
    expect(v.machineItvId).toBeTruthy();
    expect(v.run).toMatchObject({ status: 'SUCCEEDED', progress: 100, model: { name: 'tiny-test', version: '1.0.0' } });
    expect(v.run!.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(v.metrics.map((m) => `${m.scope}:${m.phaseIndex}`)).toEqual(['GTV:0', 'GTV:1', 'ITV:null']);
    for (const m of v.metrics) expect(Object.keys(m.conventions).sort()).toEqual(['overlap', 'surfel', 'voxel']);

    // The block: 8 voxels, centroid at voxel (2.5, 2.5, 2.5) = origin + 2.5 · spacing (identity direction).
    const g = v.grid!;
    expect(g.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const expected = [0, 1, 2].map((a) => g.originMm[a] + 2.5 * g.spacingMm[a]);
    const gtv0 = v.metrics[0];
    const block = gtv0.discordance!.falsePositive.find((r) => r.voxelCount === 8 && Math.abs(r.centroidMm[0] - expected[0]) < 1e-6);
    expect(block, JSON.stringify(gtv0.discordance!.falsePositive.map((r) => [r.voxelCount, r.centroidMm]))).toBeDefined();
    expect(block!.centroidMm.map((x) => Number(x.toFixed(6)))).toEqual(expected.map((x) => Number(x.toFixed(6))));
    expect(block!.box).toEqual({ lo: [2, 2, 2], hi: [3, 3, 3] });

    // Dice read back equals 2|A∩B| / (|A| + |B|) counted here from the stored masks.
    const phys = await getStudyVolume(t.db, store, { caller: researcher, studyId, request: { kind: 'mask', structureId: v.phases[0].physicianGtvId! } });
    const mach = await getStudyVolume(t.db, store, { caller: researcher, studyId, request: { kind: 'mask', structureId: v.phases[0].machineGtvId! } });
    let a = 0,
      b = 0,
      both = 0;
    for (let q = 0; q < phys.bytes.length; q++) {
      a += phys.bytes[q];
      b += mach.bytes[q];
      both += phys.bytes[q] & mach.bytes[q];
    }
    expect(gtv0.conventions.overlap.values.dice).toBeCloseTo((2 * both) / (a + b), 12);
    expect(gtv0.conventions.overlap.values.falsePositiveVoxels).toBe(b - both);
  });

  it('serves volumes by id under the study only: CT as Int16 HU, masks as bytes', async () => {
    const v = await getStudyView(t.db, { caller: researcher, studyId });
    const ct = await getStudyVolume(t.db, store, { caller: researcher, studyId, request: { kind: 'ct', seriesId: v.phases[1].seriesId } });
    expect(ct.dataType).toBe('int16');
    expect(ct.grid.dims).toEqual(v.grid!.dims);
    expect(ct.bytes.length).toBe(2 * v.grid!.dims[0] * v.grid!.dims[1] * v.grid!.dims[2]);
    const hu = new Int16Array(ct.bytes.buffer.slice(ct.bytes.byteOffset, ct.bytes.byteOffset + ct.bytes.byteLength));
    expect(Math.min(...hu)).toBeLessThan(-500); // lung / air
    expect(Math.max(...hu)).toBeGreaterThan(0); // soft tissue
    const mask = await getStudyVolume(t.db, store, { caller: researcher, studyId, request: { kind: 'mask', structureId: v.machineItvId! } });
    expect(mask.dataType).toBe('uint8');
    expect(new Set(mask.bytes)).toEqual(new Set([0, 1]));
    // the bounding box sent with a mask, against a brute-force scan
    const [nx, ny] = mask.grid.dims;
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-1, -1, -1];
    mask.bytes.forEach((b, q) => {
      if (!b) return;
      const ijk = [q % nx, Math.floor(q / nx) % ny, Math.floor(q / (nx * ny))];
      ijk.forEach((x, a) => {
        lo[a] = Math.min(lo[a], x);
        hi[a] = Math.max(hi[a], x);
      });
    });
    expect(mask.box).toEqual({ lo, hi });
    expect(ct.box).toBeUndefined();

    // another study's series and structures are not reachable through this study
    const o = await getStudyView(t.db, { caller: researcher, studyId: other });
    await expect(getStudyVolume(t.db, store, { caller: researcher, studyId, request: { kind: 'ct', seriesId: o.phases[0].seriesId } })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      getStudyVolume(t.db, store, { caller: researcher, studyId, request: { kind: 'mask', structureId: o.phases[0].physicianGtvId! } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getStudyVolume(t.db, store, { caller: null, studyId, request: { kind: 'ct', seriesId: v.phases[0].seriesId } })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('the HTTP volume response decodes in the viewer to the same voxels, grid and box', async () => {
    const v = await getStudyView(t.db, { caller: researcher, studyId });
    for (const request of [
      { kind: 'ct' as const, seriesId: v.phases[0].seriesId },
      { kind: 'mask' as const, structureId: v.machineItvId! },
    ]) {
      const vol = await getStudyVolume(t.db, store, { caller: researcher, studyId, request });
      const res = await getStudyVolumeResponse(vol);
      expect(res.headers.get('content-encoding')).toBeNull();
      const got = await parseVolumeResponse(res);
      expect(got.dims).toEqual(vol.grid.dims);
      expect(got.spacingMm).toEqual(vol.grid.spacingMm);
      expect(got.originMm).toEqual(vol.grid.originMm);
      expect(got.direction).toEqual(vol.grid.direction);
      expect(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength)).toEqual(vol.bytes);
      if (request.kind === 'mask')
        expect(maskBox(got.data as Uint8Array, got.dims)).toEqual(vol.box); // primed from the header
      else expect(got.data).toBeInstanceOf(Int16Array);
      expect((await getStudyVolumeResponse(vol, `"${vol.sha256}"`)).status).toBe(304);
    }
    const bad = await parseVolumeResponse(Response.json({ error: { message: 'Structure x is not part of study y.' } }, { status: 404 })).catch(
      (e: Error) => e.message,
    );
    expect(bad).toBe('Structure x is not part of study y.');
  });

  it('run status for polling, and none for a study without a run', async () => {
    expect(await getStudyRunStatus(t.db, { caller: researcher, studyId })).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await getStudyRunStatus(t.db, { caller: researcher, studyId: other })).toBeNull();
    await expect(getStudyRunStatus(t.db, { caller: researcher, studyId: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('per-phase volumes and centroids computed from the masks when the run has no summary', async () => {
    const s = await getStudyPhaseSeries(t.db, store, { caller: researcher, studyId });
    const row = await t.db.segmentationRun.findFirstOrThrow({ where: { studyId }, include: { summary: true } });
    expect(s.source).toBe(row.summary ? 'summary' : 'computed');
    expect(s.phases.map((p) => p.phasePercent)).toEqual([0, 50]);
    for (let p = 0; p < 2; p++) {
      const m = physicianMasks[p];
      const [nx, ny] = m.grid.dims;
      let n = 0,
        sx = 0;
      for (let q = 0; q < m.data.length; q++)
        if (m.data[q]) {
          n++;
          sx += q % nx;
        }
      void ny;
      // the physician centroid's x: origin + mean(i) · spacing (identity direction)
      expect(s.phases[p].physicianCentroidMm![0]).toBeCloseTo(m.grid.originMm[0] + (sx / n) * m.grid.spacingMm[0], 6);
      expect(s.phases[p].machineCc).toBeGreaterThan(0);
    }
  });

  it('the metrics CSV has every metric value, no identifiers, and is open to every role', async () => {
    const { csv, rows } = await exportStudyMetricsCsv(t.db, { caller: researcher, studyId });
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(METRICS_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(rows + 1);
    expect(csv).not.toMatch(/Doe\^Jane|MRN-777001|2\.25\./);
    const dice = lines.filter((l) => l.includes(',GTV,0,0,overlap,dice,'));
    expect(dice).toHaveLength(1);
    const v = await getStudyView(t.db, { caller: researcher, studyId });
    expect(Number(dice[0].split(',')[13])).toBe(v.metrics[0].conventions.overlap.values.dice);
    expect(csv).toMatch(/,discordance,falsePositive#1\.centroidMm\[0\],/);
    expect(csv).toContain(',voxel,hd95Mm,');
    await expect(exportStudyMetricsCsv(t.db, { caller: null, studyId })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('the RTSTRUCT export: physicists only, references the frame of reference, audited; pydicom reads it', async () => {
    await expect(exportStudyRtStruct(t.db, store, { caller: researcher, studyId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(exportStudyRtStruct(t.db, store, { caller: admin, studyId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // the seeded series has no frame of reference: a clear refusal
    await expect(exportStudyRtStruct(t.db, store, { caller: physicist, studyId })).rejects.toThrow(/no FrameOfReferenceUID/);
    await t.db.imageSeries.updateMany({ where: { studyId }, data: { frameOfReferenceUid: '2.25.424242' } });
    await expect(exportStudyRtStruct(t.db, store, { caller: physicist, studyId, phaseIndex: 7 })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const { bytes, fileName } = await exportStudyRtStruct(t.db, store, { caller: physicist, studyId, phaseIndex: 1 });
    expect(fileName).toBe('rtstruct-P-viewer-50pct.dcm');
    const series = await t.db.imageSeries.findFirstOrThrow({ where: { studyId, phaseIndex: 1 } });
    const study = await t.db.study.findUniqueOrThrow({ where: { id: studyId } });
    const file = path.join(volumeDir, 'out.dcm');
    fs.writeFileSync(file, bytes);
    const py = [
      'import json, sys, pydicom',
      'd = pydicom.dcmread(sys.argv[1])',
      'ref = d.ReferencedFrameOfReferenceSequence[0]',
      'print(json.dumps({"modality": d.Modality, "patient": str(d.PatientName), "pid": d.PatientID, "study": d.StudyInstanceUID,',
      ' "for": ref.FrameOfReferenceUID, "studyReference": "RTReferencedStudySequence" in ref,',
      ' "rois": [r.ROIName for r in d.StructureSetROISequence],',
      ' "imageReferences": sum("ContourImageSequence" in c for rc in d.ROIContourSequence for c in rc.ContourSequence),',
      ' "contours": [len(c.ContourSequence) for c in d.ROIContourSequence]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' }));
    // The seeded series has no slice SOP UIDs (as a study imported before they were kept): the
    // file names its frame of reference only, and no contour carries an (empty) image reference.
    // tests/integration/viewer/rtstruct-image-references.test.ts covers a DICOM-imported study.
    expect(series.sliceSopInstanceUids).toEqual([]);
    expect(out).toMatchObject({
      modality: 'RTSTRUCT',
      patient: 'Doe^Jane',
      pid: 'MRN-777001',
      study: study.studyInstanceUid,
      for: '2.25.424242',
      studyReference: false,
      imageReferences: 0,
      rois: ['GTV_iSeg_50%', 'ITV_iSeg'],
    });
    expect(out.contours.every((n: number) => n > 0)).toBe(true);
    const audit = await t.db.auditEvent.findMany({ where: { action: 'study.export.rtstruct', patientId } });
    expect(audit).toHaveLength(1);
    expect(audit[0].details).toMatchObject({ seriesInstanceUid: series.seriesInstanceUid, structures: ['GTV_iSeg_50%', 'ITV_iSeg'], imageReferences: false });
  });
});
