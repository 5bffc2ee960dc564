/**
 * De-identified export of a study with two observers (docs/observers.md): each structure set
 * names the reference observer's structures by their role ("GTV 0%", "ITV") and another
 * observer's with that observer's keyed pseudonym ("ITV (Physician K7Q2MX)", the one researchers
 * see on the study page), so two physicians' structures never share a name and a reader knows
 * whose each is. Before, the second was "ITV 2". Real DICOM from the demo generator (its second
 * observer), imported as a merge by OperatorsName and by ROI-name suffix; the export read back by
 * pydicom (/usr/bin/python3, python3-pydicom; deid-roi-names.py beside this file); the second
 * physician's real name is in no byte of the export.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicom, writeRtStruct } from '@/lib/dicom';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { exportDeidStudy } from '@/lib/server/deid/export-deid-study';
import { getPseudonymSecret } from '@/lib/server/deid/get-pseudonym-secret';
import { physicianPseudonym } from '@/lib/server/deid/present-free-text';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const researcher: Caller = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' };
const small = { dims: [32, 32, 12] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 50] };

describe('de-identified export: two observers, distinct ROI names', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  beforeAll(async () => {
    if (!existsSync('/usr/bin/python3')) {
      if (process.env.CI) throw new Error('/usr/bin/python3 with pydicom is needed: apt-get install python3-pydicom');
    }
    t = await createTestDatabase('deid_observer_names');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-deid-observers-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  let byName: string;
  it("the second observer's ITV and GTV carry the observer's pseudonym; pydicom reads unique names", async () => {
    const p = await writePhantomStudy(join(tmp, 'p'), { ...small, index: 2, seed: 'deid-observers' });
    const second = p.patient.spec.secondObserver!;
    expect(second).toBeTruthy();
    const first = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    const read = await readDicom(join(p.dicomDir, 'phase_00'));
    const series = read.series[0]!;
    // The second physician's ITV by OperatorsName, and a GTV by an observer suffix in its ROI name.
    byName = join(tmp, 'by-name');
    mkdirSync(byName);
    writeFileSync(
      join(byName, 'rs.dcm'),
      writeRtStruct({ series, structures: [{ name: 'ITV_B', mask: p.patient.secondObserverItv! }], operatorsName: second.name, label: 'OBS2' }).bytes,
    );
    expect(await importStudy({ db: t.db, caller: physicist, dir: byName, store })).toMatchObject({ studyId: first.studyId, merged: true });
    const bySuffix = join(tmp, 'by-suffix');
    mkdirSync(bySuffix);
    writeFileSync(
      join(bySuffix, 'rs.dcm'),
      writeRtStruct({ series, structures: [{ name: 'GTV_0% (obs b)', mask: p.patient.phases[0]!.secondObserverGtv! }] }).bytes,
    );
    expect(await importStudy({ db: t.db, caller: physicist, dir: bySuffix, store })).toMatchObject({ studyId: first.studyId, merged: true });
    const stored = await t.db.physicianStructure.findMany({ where: { studyId: first.studyId }, orderBy: { name: 'asc' } });
    expect(stored.filter((s) => !s.referenceObserver).map((s) => [s.name, s.observer])).toEqual([
      ['GTV_0% (obs b)', 'obsB'],
      ['ITV_B', second.name],
    ]);

    const out = await exportDeidStudy(t.db, { caller: researcher, studyId: first.studyId, store });
    const files = unzipSync(out.bytes);
    const dir = join(tmp, 'export');
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    const report = JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'deid-roi-names.py'), dir], { encoding: 'utf8' })) as Record<
      string,
      { rois: string[]; contoured: number }
    >;
    const secret = await getPseudonymSecret(t.db);
    const b = physicianPseudonym(secret, second.name);
    const obsB = physicianPseudonym(secret, 'obsB');
    expect(b).toMatch(/^Physician [A-Z2-9]{6}$/);
    const sets = Object.values(report);
    expect(sets).toHaveLength(2); // phase 0 and phase 50
    const phase0 = sets.find((s) => s.rois.includes('ITV'))!;
    expect([...phase0.rois].sort()).toEqual(['GTV 0%', `GTV 0% (${obsB})`, 'ITV', `ITV (${b})`].sort());
    expect(phase0.contoured).toBe(4);
    for (const s of sets) expect(new Set(s.rois).size, JSON.stringify(s.rois)).toBe(s.rois.length);
    // The second physician's name itself is in no file (only its keyed pseudonym).
    const forms = [second.name, second.name.replace(/\^/g, ' ').trim()];
    for (const [f, bytes] of Object.entries(files)) {
      const text = Buffer.from(bytes).toString('latin1');
      for (const form of forms) expect(text.includes(form), `${f} holds ${form}`).toBe(false);
    }
    // The check can fail: the imported RTSTRUCT does hold the name.
    expect(Buffer.from(readFileSync(join(byName, 'rs.dcm'))).toString('latin1')).toContain(second.name);
  }, 180_000);
});
