/**
 * De-identified DICOM export (lib/server/deid/export-deid-study.ts) of a phantom 4D CT study
 * imported with identifiers:
 * - no byte of the zip holds the seeded name, MRN, birth date, real study date or any real UID
 *   (study, series, frame of reference, the original SOP instances);
 * - pydicom (independent reader, /usr/bin/python3, recipe in deid-export-read.py next to this
 *   file) reads every file and finds the pseudonym, PatientIdentityRemoved = YES, the PS3.15 codes
 *   113100 and 113107, study dates equal to the real ones + dateShiftDays (computed in Python),
 *   and every RTSTRUCT contour referencing a CT image of the export (UIDs remapped consistently);
 * - importing the export again gives voxel-identical physician masks and CT values: the contours
 *   still attach to their CT;
 * - reviewers and admins are refused; each export writes an audit event.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicom } from '@/lib/dicom';
import { parseNifti } from '@/lib/nifti';
import type { Caller } from '@/lib/server/auth/roles';
import { exportDeidStudy } from '@/lib/server/deid/export-deid-study';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const researcher: Caller = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER', ip: '10.0.0.7', userAgent: 'vitest' };

describe('de-identified DICOM export', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let phantom: PhantomStudy;
  let studyId: string;
  let exportDir: string;
  let files: Record<string, Uint8Array>;
  let identifiers: string[];
  let shiftDays: number;
  let realStudyDate: string;

  beforeAll(async () => {
    t = await createTestDatabase('deid_export');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-deid-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    phantom = await writePhantomStudy(join(tmp, 'src'), { dims: [32, 32, 16], spacingMm: [10, 10, 12], phasePercents: [0, 50], index: 3 });
    const imported = await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store });
    studyId = imported.studyId;
    const study = await t.db.study.findUniqueOrThrow({ where: { id: studyId }, include: { patient: { include: { identity: true } }, series: true } });
    const identity = study.patient.identity!;
    expect(identity.name && identity.mrn && identity.birthDate && study.studyDate, 'the phantom has identifiers to hide').toBeTruthy();
    shiftDays = identity.dateShiftDays;
    expect(shiftDays).not.toBe(0);
    realStudyDate = study.studyDate!.toISOString().slice(0, 10);
    const original = await readDicom(phantom.dicomDir);
    const dob = identity.birthDate!.toISOString().slice(0, 10);
    identifiers = [
      identity.name!,
      identity.name!.replace(/\^/g, ' '),
      identity.mrn!,
      dob,
      dob.replace(/-/g, ''),
      realStudyDate.replace(/-/g, ''),
      study.studyInstanceUid,
      ...study.series.flatMap((s) => [s.seriesInstanceUid.split('#')[0], s.frameOfReferenceUid ?? '']),
      ...original.series.flatMap((s) => s.slices.map((x) => x.sopInstanceUid)),
      ...original.structureSets.map((r) => r.sopInstanceUid),
    ].filter((s) => s && s.length >= 6);

    const out = await exportDeidStudy(t.db, { caller: researcher, studyId, store });
    expect(out.series).toBe(2);
    expect(out.structures).toBe(3); // GTV_0%, ITV (phase 0), GTV_50%
    files = unzipSync(out.bytes);
    exportDir = join(tmp, 'export');
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(exportDir, name)), { recursive: true });
      writeFileSync(join(exportDir, name), bytes);
    }
  }, 180_000);

  afterAll(async () => {
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('contains none of the identifiers, in any byte of any file', () => {
    expect(identifiers.length).toBeGreaterThan(30);
    expect(Object.keys(files).filter((f) => f.endsWith('.dcm')).length).toBe(16 * 2 + 2);
    const leaks: string[] = [];
    for (const [name, bytes] of Object.entries(files)) {
      const text = Buffer.from(bytes).toString('latin1');
      for (const id of identifiers) if (text.includes(id)) leaks.push(`${name}: ${id}`);
    }
    expect(leaks).toEqual([]);
    // the check can fail: the source files do hold these identifiers
    const source = readdirSync(phantom.dicomDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const sourceText = source.map((e) => readFileSync(join(e.parentPath, e.name)).toString('latin1')).join('');
    for (const id of identifiers.filter((x) => !x.includes(' ') && !/^\d{4}-/.test(x)).slice(0, 8)) expect(sourceText, `source holds ${id}`).toContain(id);
    // and the zip's own entry names carry only the pseudonym
    expect(Object.keys(files).every((f) => !identifiers.some((id) => f.includes(id)))).toBe(true);
  });

  it('pydicom reads every file: pseudonym, PS3.15 attributes, shifted dates, consistent UIDs', async () => {
    const pseudonym = (await t.db.study.findUniqueOrThrow({ where: { id: studyId }, include: { patient: true } })).patient.pseudonym;
    const script = join(import.meta.dirname, 'deid-export-read.py');
    const report = JSON.parse(execFileSync('/usr/bin/python3', [script, exportDir, realStudyDate, String(shiftDays)], { encoding: 'utf8' })) as {
      files: number;
      unreadable: string[];
      patientNames: string[];
      patientIds: string[];
      birthDates: string[];
      identityRemoved: string[];
      methodCodes: string[];
      longitudinal: string[];
      studyDates: string[];
      expectedStudyDate: string;
      studyUids: string[];
      danglingContourRefs: number;
      contourRefs: number;
      rtReferencedSeriesMissing: number;
      frameOfReferenceMismatch: number;
    };
    expect(report.unreadable).toEqual([]);
    expect(report.files).toBe(34);
    expect(report.patientNames).toEqual([pseudonym]);
    expect(report.patientIds).toEqual([pseudonym]);
    expect(report.birthDates).toEqual(['']);
    expect(report.identityRemoved).toEqual(['YES']);
    expect(report.longitudinal).toEqual(['MODIFIED']);
    expect(report.methodCodes).toEqual(expect.arrayContaining(['113100', '113107']));
    expect(report.studyDates).toEqual([report.expectedStudyDate]);
    expect(report.studyUids).toHaveLength(1);
    expect(report.studyUids[0]).toMatch(/^2\.25\.\d{1,39}$/);
    expect(report.contourRefs).toBeGreaterThan(5);
    expect(report.danglingContourRefs).toBe(0);
    expect(report.rtReferencedSeriesMissing).toBe(0);
    expect(report.frameOfReferenceMismatch).toBe(0);
  });

  it('imports again with the same masks, voxel for voxel, and the same CT values', async () => {
    const again = await importStudy({ db: t.db, caller: physicist, dir: exportDir, store });
    expect(again.alreadyImported).toBe(false);
    const load = async (id: string) => {
      const s = await t.db.study.findUniqueOrThrow({ where: { id }, include: { physicianStructures: { include: { series: true } }, series: true } });
      return s;
    };
    const a = await load(studyId);
    const b = await load(again.studyId);
    expect(b.studyInstanceUid).not.toBe(a.studyInstanceUid);
    // the export names ROIs by role and phase ("GTV 50%", "ITV"), never by the original ROI name
    expect(b.physicianStructures.map((p) => p.name).sort()).toEqual(['GTV 0%', 'GTV 50%', 'ITV']);
    const key = (p: { kind: string; phasePercent: number | null; series: { phasePercent: number | null } }) =>
      `${p.kind}:${p.phasePercent}@${p.series.phasePercent}`;
    expect(b.physicianStructures.map(key).sort()).toEqual(a.physicianStructures.map(key).sort());
    for (const pa of a.physicianStructures) {
      const pb = b.physicianStructures.find((x) => key(x) === key(pa))!;
      expect(pb.kind).toBe(pa.kind);
      const ma = parseNifti(await store.getVolume(pa.maskKey!), { source: 'a' });
      const mb = parseNifti(await store.getVolume(pb.maskKey!), { source: 'b' });
      expect(mb.grid.dims).toEqual(ma.grid.dims);
      let diff = 0;
      for (let i = 0; i < ma.data.length; i++) if (Boolean(ma.data[i]) !== Boolean(mb.data[i])) diff++;
      expect(diff, `${pa.name} voxels that differ`).toBe(0);
      expect(pb.voxelCount).toBe(pa.voxelCount);
    }
    for (const sa of a.series) {
      const sb = b.series.find((x) => x.phasePercent === sa.phasePercent)!;
      const va = parseNifti(await store.getVolume(sa.volumeKey!), { source: 'a' });
      const vb = parseNifti(await store.getVolume(sb.volumeKey!), { source: 'b' });
      let maxDiff = 0;
      for (let i = 0; i < va.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(Math.max(-1024, Number(va.data[i])) - Number(vb.data[i])));
      expect(maxDiff, `phase ${sa.phasePercent}% CT`).toBeLessThanOrEqual(0.5);
      expect(sb.spacingMm).toEqual(sa.spacingMm);
      for (let n = 0; n < 3; n++) expect(sb.originMm[n]).toBeCloseTo(sa.originMm[n], 3);
    }
  }, 120_000);

  it('is refused to reviewers, admins and callers without a session, and every export is audited', async () => {
    for (const role of ['REVIEWER', 'ADMIN'] as const) {
      await expect(exportDeidStudy(t.db, { caller: { ...researcher, role }, studyId, store })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(exportDeidStudy(t.db, { caller: null, studyId, store })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(exportDeidStudy(t.db, { caller: researcher, studyId: 'no-such-study', store })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const events = await t.db.auditEvent.findMany({ where: { action: 'study.export.deid' } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ userId: 'u-res', role: 'RESEARCHER', ip: '10.0.0.7', userAgent: 'vitest', target: `study:${studyId}` });
    expect(events[0].patientId).toBeTruthy();
  });
});
