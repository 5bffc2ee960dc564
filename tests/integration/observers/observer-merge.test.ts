/**
 * A second physician's RTSTRUCT imported after the study (a merge; docs/observers.md): by its
 * OperatorsName (another name than the stored reference observer's) or by observer suffixes in its
 * ROI names, it is stored as that observer's, not as the reference; the machine's reference stays
 * the first physician's. Real DICOM from the demo generator (its second observer's contours).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicom, writeRtStruct } from '@/lib/dicom';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const small = { dims: [32, 32, 12] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 50] };

describe('a second observer added to a stored study', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  beforeAll(async () => {
    t = await createTestDatabase('observer_merge');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-observer-merge-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('by OperatorsName and by ROI-name suffix: stored as the other observer, the reference unchanged', async () => {
    const p = await writePhantomStudy(join(tmp, 'p'), { ...small, index: 2, seed: 'observer-merge' });
    const second = p.patient.spec.secondObserver!;
    expect(second).toBeTruthy();
    const first = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    const reference = await t.db.physicianStructure.findMany({ where: { studyId: first.studyId } });
    expect(reference.every((x) => x.referenceObserver)).toBe(true);
    expect(reference).toHaveLength(3);

    // The second physician's ITV, exported later with its OperatorsName and another ROI name.
    const read = await readDicom(join(p.dicomDir, 'phase_00'));
    const series = read.series[0]!;
    const byName = join(tmp, 'by-name');
    mkdirSync(byName);
    writeFileSync(
      join(byName, 'rs.dcm'),
      writeRtStruct({ series, structures: [{ name: 'ITV_B', mask: p.patient.secondObserverItv! }], operatorsName: second.name, label: 'OBS2' }).bytes,
    );
    const r1 = await importStudy({ db: t.db, caller: physicist, dir: byName, store });
    expect(r1).toMatchObject({ studyId: first.studyId, merged: true });
    const added1 = await t.db.physicianStructure.findFirstOrThrow({ where: { studyId: first.studyId, name: 'ITV_B' } });
    expect(added1).toMatchObject({ kind: 'ITV', observer: second.name, referenceObserver: false });

    // The same GTV by a suffix in the ROI name, no OperatorsName.
    const bySuffix = join(tmp, 'by-suffix');
    mkdirSync(bySuffix);
    cpSync(join(p.dicomDir, 'phase_00'), join(bySuffix, 'phase_00'), { recursive: true });
    writeFileSync(
      join(bySuffix, 'rs.dcm'),
      writeRtStruct({ series, structures: [{ name: 'GTV_0% (obs b)', mask: p.patient.phases[0]!.secondObserverGtv! }] }).bytes,
    );
    await importStudy({ db: t.db, caller: physicist, dir: bySuffix, store });
    const added2 = await t.db.physicianStructure.findFirstOrThrow({ where: { studyId: first.studyId, name: 'GTV_0% (obs b)' } });
    expect(added2).toMatchObject({ kind: 'GTV', observer: 'obsB', referenceObserver: false, phasePercent: 0 });

    // The first physician's structures are still the only reference ones.
    const now = await t.db.physicianStructure.findMany({ where: { studyId: first.studyId, referenceObserver: true }, orderBy: { id: 'asc' } });
    expect(now.map((x) => x.id)).toEqual(reference.map((x) => x.id).sort());
  }, 120_000);

  it('an observer named at import (--observer) replaces the OperatorsName; a later import by another named observer is not the reference', async () => {
    const p = await writePhantomStudy(join(tmp, 'q'), { ...small, index: 1, seed: 'observer-explicit' });
    const first = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store, observer: ' Dr One ' });
    const stored = await t.db.physicianStructure.findMany({ where: { studyId: first.studyId } });
    expect(stored.map((x) => [x.observer, x.referenceObserver])).toEqual(stored.map(() => ['Dr One', true]));

    const read = await readDicom(join(p.dicomDir, 'phase_00'));
    const later = join(tmp, 'explicit-later');
    mkdirSync(later);
    writeFileSync(join(later, 'rs.dcm'), writeRtStruct({ series: read.series[0]!, structures: [{ name: 'ITV second', mask: p.patient.physicianItv }] }).bytes);
    await importStudy({ db: t.db, caller: physicist, dir: later, store, observer: 'Dr Two' });
    expect(await t.db.physicianStructure.findFirstOrThrow({ where: { studyId: first.studyId, name: 'ITV second' } })).toMatchObject({
      kind: 'ITV',
      observer: 'Dr Two',
      referenceObserver: false,
    });
  }, 120_000);
});
