/**
 * Re-import with added files, on real Postgres: a study exported once and again later with the
 * RTSTRUCTs or more 4D CT phases gets the new series and structures added to the stored study;
 * a re-import that would change a stored series or structure is a CONFLICT naming it, and on any
 * failure nothing is written (every table compared before and after).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicom, writeRtStruct } from '@/lib/dicom';
import { parseDicomBytes } from '@/lib/dicom/parse-file';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { parseMask } from '@/lib/nifti';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { countVoxels, writePhantomStudy, type PhantomStudy } from './phantom-fixture';

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const small = { dims: [32, 32, 12] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 20, 50] };

describe('re-import with added files', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  const snapshot = async () => ({
    patients: await t.db.patient.count(),
    studies: await t.db.study.findMany({ orderBy: { id: 'asc' }, select: { id: true, contentHash: true, findings: true, fileCount: true } }),
    series: await t.db.imageSeries.findMany({ orderBy: { id: 'asc' }, select: { id: true, seriesInstanceUid: true, phaseIndex: true, volumeSha256: true } }),
    structures: await t.db.physicianStructure.findMany({ orderBy: { id: 'asc' }, select: { id: true, name: true, phaseIndex: true, maskSha256: true } }),
    audit: await t.db.auditEvent.count(),
  });
  /** A folder with copies of some of a phantom's folders (phase_00, phase_20, phase_50, rtstruct). */
  const subset = (p: PhantomStudy, name: string, parts: string[], rtstructPercents: number[] = []) => {
    const dir = join(tmp, name);
    for (const part of parts) cpSync(join(p.dicomDir, part), join(dir, part), { recursive: true });
    if (rtstructPercents.length) mkdirSync(join(dir, 'rtstruct'), { recursive: true });
    for (const pc of rtstructPercents) cpSync(p.rtstructs[pc], join(dir, 'rtstruct', `rs_${pc}.dcm`));
    return dir;
  };

  beforeAll(async () => {
    t = await createTestDatabase('import_reimport_merge');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-import-merge-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('CT first, then the RTSTRUCTs and another phase: added to the stored study, stored rows untouched, phases renumbered, masks exact', async () => {
    const p = await writePhantomStudy(join(tmp, 'p1'), { ...small, index: 1 });
    const first = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p1-ct', ['phase_00', 'phase_50']), store });
    expect(first).toMatchObject({ alreadyImported: false, seriesCount: 2, structureCount: 0 });
    expect(first.merged).toBeUndefined();
    const storedBefore = await t.db.imageSeries.findMany({ where: { studyId: first.studyId }, orderBy: { phasePercent: 'asc' } });
    expect(storedBefore.map((s) => [s.phasePercent, s.phaseIndex])).toEqual([
      [0, 0],
      [50, 1],
    ]);

    // The full export: all three phases (20% is new, between the stored two) and every RTSTRUCT.
    const r = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    expect(r).toMatchObject({ studyId: first.studyId, alreadyImported: false, merged: true, seriesCount: 3, structureCount: 4 });
    expect(await t.db.study.count()).toBe(1);
    const series = await t.db.imageSeries.findMany({ where: { studyId: r.studyId }, orderBy: { phasePercent: 'asc' } });
    expect(series.map((s) => [s.phasePercent, s.phaseIndex])).toEqual([
      [0, 0],
      [20, 1],
      [50, 2],
    ]);
    // The stored series are the same rows (ids, volumes), only the 50% one renumbered.
    expect(series[0]).toMatchObject({ id: storedBefore[0].id, volumeSha256: storedBefore[0].volumeSha256 });
    expect(series[2]).toMatchObject({ id: storedBefore[1].id, volumeSha256: storedBefore[1].volumeSha256 });
    expect(series.map((s) => s.seriesInstanceUid)).toEqual(p.written.phases.map((x) => x.seriesInstanceUid));

    const structures = await t.db.physicianStructure.findMany({ where: { studyId: r.studyId }, include: { series: true }, orderBy: { name: 'asc' } });
    expect(structures.map((x) => [x.name, x.kind, x.phaseIndex, x.series.phasePercent])).toEqual([
      ['GTV_0%', 'GTV', 0, 0],
      ['GTV_20%', 'GTV', 1, 20],
      ['GTV_50%', 'GTV', 2, 50],
      ['ITV', 'ITV', null, 0],
    ]);
    for (const x of structures) {
      const truth = x.kind === 'ITV' ? p.patient.physicianItv : p.patient.phases.find((ph) => ph.phasePercent === x.phasePercent)!.physicianGtv;
      const mask = parseMask(await store.getVolume(x.maskKey!), x.name);
      expect(x.voxelCount).toBe(countVoxels(truth.data));
      let diff = 0;
      for (let n = 0; n < mask.data.length; n++) if (mask.data[n] !== truth.data[n]) diff++;
      expect(diff).toBe(0);
    }
    const merged = r.findings.find((f) => f.code === 'STUDY_MERGED')!;
    expect(merged.severity).toBe('info');
    expect(merged.message).toMatch(
      /added 1 series .* and 4 structure\(s\) .*; 2 stored series and 0 stored structure\(s\) were in it unchanged; 1 stored phase\(s\) renumbered/,
    );
    const audit = await t.db.auditEvent.findMany({ where: { action: 'study.import', target: `study:${r.studyId}` }, orderBy: { at: 'asc' } });
    expect(audit).toHaveLength(2);
    expect(audit[1].details).toMatchObject({
      merged: true,
      addedSeries: [p.written.phases[1].seriesInstanceUid],
      addedStructures: 4,
      unchangedSeries: 2,
      renumberedPhases: 1,
    });

    // The same full export again, and the first (smaller) export again: no-ops, nothing written.
    const before = await snapshot();
    const again = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    expect(again).toMatchObject({ studyId: r.studyId, alreadyImported: true });
    const older = await importStudy({ db: t.db, caller: physicist, dir: join(tmp, 'p1-ct'), store });
    expect(older).toMatchObject({ studyId: r.studyId, alreadyImported: true, seriesCount: 3, structureCount: 4 });
    expect(older.merged).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('a stored series whose voxels changed (same UIDs): CONFLICT naming the series, nothing written', async () => {
    const p = await writePhantomStudy(join(tmp, 'p2'), { ...small, index: 2 });
    await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p2-ct', ['phase_00']), store });
    // Re-export: phase_20 added, and one phase_00 slice altered (pixel values, same UIDs).
    const dir = subset(p, 'p2-changed', ['phase_00', 'phase_20'], [0, 20]);
    const sliceFile = join(dir, 'phase_00', readdirSync(join(dir, 'phase_00')).sort()[5]);
    const bytes = new Uint8Array(readFileSync(sliceFile));
    const { parsed } = parseDicomBytes(bytes, sliceFile);
    const px = parsed!.dataSet.elements.x7fe00010;
    bytes[px.dataOffset + 2 * (32 * 16 + 16)] ^= 0x40;
    writeFileSync(sliceFile, bytes);
    const before = await snapshot();
    const err = await importStudy({ db: t.db, caller: physicist, dir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(err.message).toContain(`series ${p.written.phases[0].seriesInstanceUid}`);
    expect(err.message).toMatch(/other voxels than the stored one.*Nothing was written/);
    expect(await snapshot()).toEqual(before);
  });

  it('a stored structure whose contour changed: CONFLICT naming the structure, nothing written', async () => {
    const p = await writePhantomStudy(join(tmp, 'p3'), { ...small, index: 3 });
    await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p3-first', ['phase_00'], [0]), store });
    // Re-export with phase_20 and a re-drawn GTV_0% (one voxel layer grown: another mask).
    const dir = subset(p, 'p3-redrawn', ['phase_00', 'phase_20'], [20]);
    const read = await readDicom(join(dir, 'phase_00'));
    const gtv = p.patient.phases[0].physicianGtv;
    const grown = { grid: gtv.grid, data: Uint8Array.from(gtv.data) };
    const [nx] = gtv.grid.dims;
    for (let n = 0; n < grown.data.length; n++) if (gtv.data[n] && n + 1 < grown.data.length && n % nx < nx - 1) grown.data[n + 1] = 1;
    expect(countVoxels(grown.data)).toBeGreaterThan(countVoxels(gtv.data));
    const { bytes } = writeRtStruct({ series: read.series[0], structures: [{ name: 'GTV_0%', mask: grown }], label: 'REDRAWN' });
    writeFileSync(join(dir, 'rtstruct', 'rs_redrawn.dcm'), bytes);
    const before = await snapshot();
    const err = await importStudy({ db: t.db, caller: physicist, dir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(err.message).toMatch(/structure "GTV_0%" on series .* with another mask than the stored one/);
    expect(await snapshot()).toEqual(before);
  });

  it('a new series that cannot be stored (its UID is taken by another study): the whole merge rolls back', async () => {
    const p = await writePhantomStudy(join(tmp, 'p4'), { ...small, index: 4 });
    const first = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p4-ct', ['phase_00']), store });
    const inst = await t.db.institution.create({ data: { name: 'Elsewhere-merge' } });
    const otherPatient = await t.db.patient.create({ data: { pseudonym: 'P-OTHER-MERGE', institutionId: inst.id } });
    const otherStudy = await t.db.study.create({ data: { patientId: otherPatient.id, studyInstanceUid: '1.2.3.other.merge', contentHash: 'm'.repeat(64) } });
    // phase_50's UID is held elsewhere, phase_20's is free: the 20% series must not be left behind.
    await t.db.imageSeries.create({
      data: {
        studyId: otherStudy.id,
        seriesInstanceUid: p.written.phases[2].seriesInstanceUid,
        modality: 'CT',
        dims: [1, 1, 1],
        spacingMm: [1, 1, 1],
        originMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
    });
    const before = await snapshot();
    const err = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(err.message).toContain('Nothing was written');
    expect(await snapshot()).toEqual(before);
    expect(await t.db.imageSeries.count({ where: { studyId: first.studyId } })).toBe(1);
  });

  it('the same StudyInstanceUID from another patient: CONFLICT, nothing written', async () => {
    const p = await writePhantomStudy(join(tmp, 'p5'), { ...small, index: 5 });
    await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p5-ct', ['phase_00']), store });
    const dir = subset(p, 'p5-other-patient', ['phase_20']);
    for (const f of readdirSync(join(dir, 'phase_20'))) {
      const file = join(dir, 'phase_20', f);
      const b = Buffer.from(readFileSync(file));
      const { parsed } = parseDicomBytes(new Uint8Array(b), file);
      const el = parsed!.dataSet.elements.x00100020; // PatientID: same length, other value
      b.fill('X', el.dataOffset, el.dataOffset + el.length - 1);
      writeFileSync(file, b);
    }
    const before = await snapshot();
    const err = await importStudy({ db: t.db, caller: physicist, dir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(err.message).toMatch(/belongs to another patient/);
    expect(await snapshot()).toEqual(before);
  });

  it('the RTSTRUCTs alone, exported after the CT: rasterised on the stored CT grid and added; a later full export adds only what is new', async () => {
    const p = await writePhantomStudy(join(tmp, 'p6'), { ...small, index: 6 });
    const first = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p6-ct', ['phase_00', 'phase_20']), store });
    expect(first).toMatchObject({ seriesCount: 2, structureCount: 0 });
    const rtOnly = subset(p, 'p6-rt', [], [0, 20]);
    const r = await importStudy({ db: t.db, caller: physicist, dir: rtOnly, store });
    expect(r).toMatchObject({ studyId: first.studyId, merged: true, alreadyImported: false, seriesCount: 2, structureCount: 3 });
    expect(r.findings.find((f) => f.code === 'STRUCTURES_ON_STORED_CT')!.message).toContain(p.written.phases[0].seriesInstanceUid);
    const structures = await t.db.physicianStructure.findMany({ where: { studyId: r.studyId }, include: { series: true }, orderBy: { name: 'asc' } });
    expect(structures.map((x) => [x.name, x.phaseIndex, x.series.phasePercent])).toEqual([
      ['GTV_0%', 0, 0],
      ['GTV_20%', 1, 20],
      ['ITV', null, 0],
    ]);
    for (const x of structures) {
      const truth = x.kind === 'ITV' ? p.patient.physicianItv : p.patient.phases.find((ph) => ph.phasePercent === x.phasePercent)!.physicianGtv;
      const mask = parseMask(await store.getVolume(x.maskKey!), x.name);
      let diff = 0;
      for (let n = 0; n < mask.data.length; n++) if (mask.data[n] !== truth.data[n]) diff++;
      expect(diff).toBe(0);
    }
    // The same RTSTRUCTs again: nothing to add.
    const before = await snapshot();
    expect(await importStudy({ db: t.db, caller: physicist, dir: rtOnly, store })).toMatchObject({ alreadyImported: true });
    expect(await snapshot()).toEqual(before);
    // The full export: the 50% phase and its GTV are new; the masks made on the stored grid
    // equal those made with the CT files (with their image references), so nothing conflicts.
    const full = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    expect(full).toMatchObject({ merged: true, seriesCount: 3, structureCount: 4 });
    expect(full.findings.filter((f) => f.code === 'STUDY_MERGED').at(-1)!.message).toMatch(
      /added 1 series .* and 1 structure\(s\) \(GTV_50%\); 2 stored series and 3 stored structure\(s\) were in it unchanged/,
    );
  });

  it('an RTSTRUCT alone of another patient (PatientID differs) on a stored CT: CONFLICT, nothing written', async () => {
    const p = await writePhantomStudy(join(tmp, 'p7'), { ...small, index: 7 });
    await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p7-ct', ['phase_00']), store });
    const dir = subset(p, 'p7-rt-other', [], [0]);
    const file = join(dir, 'rtstruct', 'rs_0.dcm');
    const b = Buffer.from(readFileSync(file));
    const { parsed } = parseDicomBytes(new Uint8Array(b), file);
    const el = parsed!.dataSet.elements.x00100020;
    b.fill('Y', el.dataOffset, el.dataOffset + el.length - 1);
    writeFileSync(file, b);
    const before = await snapshot();
    const err = await importStudy({ db: t.db, caller: physicist, dir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(err.message).toMatch(/rs_0\.dcm is of another patient/);
    expect(await snapshot()).toEqual(before);
  });
});
