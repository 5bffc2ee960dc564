/**
 * Import of a synthetic 4D CT patient (10 phases, 48×48×24, an RTSTRUCT per phase written by
 * lib/dicom's writeRtStruct) into a real Postgres. The reference is the generator itself: every
 * stored mask must equal the generator's physician mask voxel for voxel, and every stored CT
 * volume the generator's HU.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMask, parseNifti } from '@/lib/nifti';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { countVoxels, writePhantomStudy, type PhantomStudy } from './phantom-fixture';

const REFS_PY = join(import.meta.dirname, '..', '..', 'reference', 'dicom', 'rtstruct_image_refs.py');
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST', ip: '10.0.0.1' };

describe('import of a generated 4D CT phantom patient', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let phantom: PhantomStudy;

  beforeAll(async () => {
    t = await createTestDatabase('import_phantom');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-import-phantom-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    phantom = await writePhantomStudy(join(tmp, 'patient'));
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stores patient, identity, study, 10 phase series and 11 structures in one go, with an audit event', async () => {
    const progress: string[] = [];
    const r = await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store, onProgress: (p) => progress.push(p.stage) });
    expect(r.alreadyImported).toBe(false);
    expect(r.source).toBe('DICOM');
    expect(r.seriesCount).toBe(10);
    expect(r.structureCount).toBe(11);
    expect(progress).toContain('loading');
    expect(progress).toContain('rasterising');
    expect(progress.at(-1)).toBe('done');
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);

    const spec = phantom.patient.spec;
    const patient = await t.db.patient.findUniqueOrThrow({ where: { id: r.patientId }, include: { identity: true, institution: true } });
    expect(patient.pseudonym).toMatch(/^P-[A-Z2-9]{12}$/);
    expect(patient.pseudonym).not.toContain(spec.patientId);
    expect(patient.identity).toMatchObject({ name: spec.name, mrn: spec.patientId });
    expect(patient.identity!.birthDate!.toISOString().slice(0, 10).replace(/-/g, '')).toBe(spec.birthDate);
    expect(patient.identity!.dateShiftDays).toBeLessThan(0);
    expect(patient.identity!.dateShiftDays).toBeGreaterThanOrEqual(-365);
    expect(patient.institution.name).toMatch(/Synthetic|Phantom|Simulated/);

    const study = await t.db.study.findUniqueOrThrow({
      where: { id: r.studyId },
      include: { series: true, physicianStructures: { include: { series: true } } },
    });
    expect(study.studyInstanceUid).toBe(phantom.written.studyInstanceUid);
    expect(study.studyDate!.toISOString().slice(0, 10).replace(/-/g, '')).toBe(spec.studyDate);
    expect(study.contentHash).toMatch(/^[0-9a-f]{64}$/);
    // 10 phases × 24 slices + 10 RTSTRUCTs.
    expect(study.fileCount).toBe(250);
    const phases = [...study.series].sort((a, b) => a.phaseIndex! - b.phaseIndex!);
    expect(phases.map((s) => s.phaseIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(phases.map((s) => s.phasePercent)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(phases.map((s) => s.seriesInstanceUid)).toEqual(phantom.written.phases.map((p) => p.seriesInstanceUid));
    for (const s of phases) {
      expect(s.dims).toEqual([48, 48, 24]);
      expect(s.spacingMm.map((v) => Number(v.toFixed(4)))).toEqual([6.5, 6.5, 8]);
      // The stored CT equals the generator's HU.
      const ct = parseNifti(await store.getVolume(s.volumeKey!));
      const truth = phantom.patient.phases[s.phaseIndex!].ct!.data;
      expect(ct.data.length).toBe(truth.length);
      let diff = 0;
      for (let n = 0; n < truth.length; n++) if (ct.data[n] !== truth[n]) diff++;
      expect(diff).toBe(0);
    }
    // Each slice's SOP Instance UID, in the stored volume's k order: pydicom reads the files and
    // sorts them along the slice normal (tests/reference/dicom/rtstruct_image_refs.py).
    const files = JSON.parse(execFileSync('/usr/bin/python3', [REFS_PY, phantom.dicomDir], { encoding: 'utf8' })).ct as Record<
      string,
      { sopClassUids: string[]; slices: { uid: string }[] }
    >;
    for (const s of phases) {
      const truth = files[s.seriesInstanceUid];
      expect(truth.slices).toHaveLength(24);
      expect(s.sliceSopInstanceUids).toEqual(truth.slices.map((x) => x.uid));
      expect(truth.sopClassUids).toEqual(['1.2.840.10008.5.1.4.1.1.2']);
      expect(s.sopClassUid).toBe(truth.sopClassUids[0]);
    }

    const gtvs = study.physicianStructures.filter((p) => p.kind === 'GTV').sort((a, b) => a.phaseIndex! - b.phaseIndex!);
    expect(gtvs.map((g) => g.name)).toEqual(phantom.patient.phases.map((p) => `GTV_${p.phasePercent}%`));
    for (const g of gtvs) {
      const phase = phantom.patient.phases[g.phaseIndex!];
      expect(g.phasePercent).toBe(phase.phasePercent);
      expect(g.series.phaseIndex).toBe(g.phaseIndex);
      const expected = countVoxels(phase.physicianGtv.data);
      expect(expected).toBeGreaterThan(0);
      expect(g.voxelCount).toBe(expected);
      expect(g.volumeCc).toBeCloseTo((expected * 6.5 * 6.5 * 8) / 1000, 9);
      const mask = parseMask(await store.getVolume(g.maskKey!), g.name);
      let diff = 0;
      for (let n = 0; n < mask.data.length; n++) if (mask.data[n] !== phase.physicianGtv.data[n]) diff++;
      expect(diff).toBe(0);
    }
    const itv = study.physicianStructures.filter((p) => p.kind === 'ITV');
    expect(itv).toHaveLength(1);
    expect(itv[0]).toMatchObject({ name: 'ITV', phaseIndex: null, phasePercent: null, voxelCount: countVoxels(phantom.patient.physicianItv.data) });
    expect(itv[0].series.phaseIndex).toBe(0);

    const audit = await t.db.auditEvent.findMany({ where: { action: 'study.import' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ userId: 'u-phys', role: 'PHYSICIST', patientId: r.patientId, target: `study:${r.studyId}`, ip: '10.0.0.1' });
    expect(audit[0].details).toMatchObject({ series: 10, structures: 11 });
  });

  it('re-importing the same files (any order, with a byte-for-byte duplicate) is a no-op', async () => {
    const before = {
      studies: await t.db.study.count(),
      series: await t.db.imageSeries.count(),
      structures: await t.db.physicianStructure.count(),
      audit: await t.db.auditEvent.count(),
    };
    const again = await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store });
    expect(again.alreadyImported).toBe(true);
    expect(again.seriesCount).toBe(10);
    expect(again.structureCount).toBe(11);

    // Same content as a reversed file list plus a duplicate copy of one slice.
    const copy = join(tmp, 'copy');
    cpSync(phantom.dicomDir, copy, { recursive: true });
    const phase0 = join(copy, 'phase_00');
    const first = readdirSync(phase0)[0];
    cpSync(join(phase0, first), join(phase0, `zz-copy-of-${first}`));
    const files = readdirSync(copy, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name))
      .reverse();
    const third = await importStudy({ db: t.db, caller: physicist, files, store });
    expect(third).toMatchObject({ alreadyImported: true, studyId: again.studyId, pseudonym: again.pseudonym });

    expect({
      studies: await t.db.study.count(),
      series: await t.db.imageSeries.count(),
      structures: await t.db.physicianStructure.count(),
      audit: await t.db.auditEvent.count(),
    }).toEqual(before);
  });

  it('refuses callers without the studies:import permission and writes nothing', async () => {
    const before = await t.db.study.count();
    await expect(importStudy({ db: t.db, caller: { ...physicist, role: 'RESEARCHER' }, dir: phantom.dicomDir, store })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(importStudy({ db: t.db, caller: null, dir: phantom.dicomDir, store })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await t.db.study.count()).toBe(before);
  });

  it('imports the same patient from NIfTI (phase images + masks) as a separate study with the masks unchanged', async () => {
    const niftiDir = join(tmp, 'nifti-only');
    cpSync(join(phantom.dir, 'nifti'), niftiDir, { recursive: true });
    // The generator writes masks; write the CT phases as images next to them.
    const { writeNifti } = await import('@/lib/nifti');
    for (const p of phantom.patient.phases)
      writeNifti(join(niftiDir, `ct_phase_${String(p.phasePercent).padStart(2, '0')}.nii.gz`), p.ct!, { intent: 'image' });
    const r = await importStudy({ db: t.db, caller: physicist, dir: niftiDir, store, patientId: phantom.patient.spec.patientId });
    expect(r.alreadyImported).toBe(false);
    expect(r.source).toBe('NIFTI');
    expect(r.seriesCount).toBe(10);
    // physician + truth GTV per phase (20) and two ITVs.
    expect(r.structureCount).toBe(22);
    const gtv20 = r.structures.find((s) => s.name === 'physician_gtv_phase_20')!;
    expect(gtv20).toMatchObject({ kind: 'GTV', phasePercent: 20, phaseIndex: 2, voxelCount: countVoxels(phantom.patient.phases[2].physicianGtv.data) });
    expect(r.structures.find((s) => s.name === 'truth_itv')).toMatchObject({ kind: 'ITV', voxelCount: countVoxels(phantom.patient.truthItv.data) });
    // A NIfTI image has no DICOM instances: no slice UIDs, no SOP class.
    const niftiSeries = await t.db.imageSeries.findMany({ where: { studyId: r.studyId } });
    expect(niftiSeries.map((s) => [s.sliceSopInstanceUids, s.sopClassUid])).toEqual(niftiSeries.map(() => [[], null]));
    const again = await importStudy({ db: t.db, caller: physicist, dir: niftiDir, store, patientId: phantom.patient.spec.patientId });
    expect(again).toMatchObject({ alreadyImported: true, studyId: r.studyId });
    // Same PatientID and institution? The NIfTI study has no institution, so it is its own patient
    // unless the IDs match in the same institution: here "Unassigned" vs the DICOM institution.
    const identity = await t.db.patientIdentity.findUniqueOrThrow({ where: { patientId: r.patientId } });
    expect(identity.mrn).toBe(phantom.patient.spec.patientId);
  });
});
