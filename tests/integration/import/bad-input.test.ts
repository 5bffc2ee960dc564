/**
 * Bad input to the study importer and the upload extractor: every case gets a clear finding or
 * error naming the file and what to check, the rest of the import is unaffected, and nothing is
 * partly written (the database is compared before and after).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicom, writeRtStruct } from '@/lib/dicom';
import { writeCtSeries } from '@/lib/dicom/write-ct-series';
import type { Caller } from '@/lib/server/auth/roles';
import { extractUpload } from '@/lib/server/studies/extract-upload';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy, type PhantomStudy } from './phantom-fixture';

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const small = { dims: [32, 32, 16] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 50] };

describe('bad input to the study import', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  const phantoms: PhantomStudy[] = [];
  const counts = async () => ({
    patients: await t.db.patient.count(),
    identities: await t.db.patientIdentity.count(),
    studies: await t.db.study.count(),
    series: await t.db.imageSeries.count(),
    structures: await t.db.physicianStructure.count(),
    audit: await t.db.auditEvent.count(),
  });
  /** A fresh small phantom (own patient, own UIDs) per case. */
  const phantom = async (n: number) => {
    const p = await writePhantomStudy(join(tmp, `p${n}`), { ...small, index: n });
    phantoms.push(p);
    return p;
  };

  beforeAll(async () => {
    t = await createTestDatabase('import_bad_input');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-import-bad-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('skips a non-DICOM file and a truncated file with findings naming them, and imports the rest', async () => {
    const p = await phantom(1);
    const phase0 = join(p.dicomDir, 'phase_00');
    const slice = readdirSync(phase0).sort()[3];
    const bytes = readFileSync(join(phase0, slice));
    writeFileSync(join(p.dicomDir, 'notes.txt'), 'exported by hand, see ticket 42\n');
    writeFileSync(join(p.dicomDir, 'truncated.dcm'), bytes.subarray(0, Math.floor(bytes.length / 3)));
    const r = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    expect(r.alreadyImported).toBe(false);
    expect(r.seriesCount).toBe(2);
    expect(r.structureCount).toBe(3);
    const notDicom = r.findings.find((f) => f.file === 'notes.txt');
    expect(notDicom).toMatchObject({ code: 'NOT_DICOM' });
    const truncated = r.findings.find((f) => f.file === 'truncated.dcm');
    expect(truncated?.code).toBe('TRUNCATED');
    expect(truncated?.message).toContain('truncated.dcm');
    // Paths in findings are relative to the imported folder.
    expect(JSON.stringify(r.findings)).not.toContain(tmp);
    const stored = await t.db.study.findUniqueOrThrow({ where: { id: r.studyId } });
    expect(stored.findings).toEqual(r.findings);
  });

  it('refuses a folder with no CT (only an RTSTRUCT) and writes nothing', async () => {
    const p = await phantom(2);
    const only = join(tmp, 'rt-only');
    mkdirSync(only);
    cpSync(p.rtstructs[0], join(only, 'rs.dcm'));
    writeFileSync(join(only, 'readme.txt'), 'hello');
    const before = await counts();
    const err = await importStudy({ db: t.db, caller: physicist, dir: only, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'INVALID_INPUT' });
    expect(err.message).toMatch(/No CT images in .*rt-only.*1 structure set/);
    expect(err.message).toContain('Check that the export includes the CT series');
    expect(await counts()).toEqual(before);
  });

  it('refuses an empty folder and a missing folder', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    await expect(importStudy({ db: t.db, caller: physicist, dir: empty, store })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('is empty'),
    });
    await expect(importStudy({ db: t.db, caller: physicist, dir: join(tmp, 'nope'), store })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('is not a folder'),
    });
  });

  it('ignores byte-for-byte duplicate files with a finding; the content hash is that of the clean folder', async () => {
    const p = await phantom(3);
    const clean = join(tmp, 'p3-clean');
    cpSync(p.dicomDir, clean, { recursive: true });
    const phase50 = join(p.dicomDir, 'phase_50');
    const slice = readdirSync(phase50).sort()[0];
    // Sorted after the originals, so lib/dicom keeps the originals and flags the copies.
    mkdirSync(join(p.dicomDir, 'zz-again'));
    cpSync(join(phase50, slice), join(p.dicomDir, 'zz-again', slice));
    cpSync(p.rtstructs[50], join(p.dicomDir, 'zz-again', 'rs-copy.dcm'));
    const r = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    expect(r.alreadyImported).toBe(false);
    expect(r.structureCount).toBe(3);
    const dups = r.findings.filter((f) => f.code === 'DUPLICATE_FILE');
    expect(dups.map((f) => f.file).sort()).toEqual([`zz-again/${slice}`, 'zz-again/rs-copy.dcm']);
    expect(dups[0].message).toContain('byte-for-byte copy');
    const again = await importStudy({ db: t.db, caller: physicist, dir: clean, store });
    expect(again).toMatchObject({ alreadyImported: true, studyId: r.studyId });
  });

  it('imports the CT but not the ROIs of an RTSTRUCT whose series is not in the import, naming the file', async () => {
    const p = await phantom(4);
    const read = await readDicom(join(p.dicomDir, 'phase_00'));
    const ct = read.series[0];
    // The same geometry under other UIDs: a structure set drawn on a series we do not have.
    const other = {
      ...ct,
      seriesInstanceUid: '1.2.3.4.5.999',
      frameOfReferenceUid: '1.2.3.4.5.998',
      slices: ct.slices.map((h, k) => ({ ...h, sopInstanceUid: `1.2.3.4.5.997.${k}` })),
    };
    const { bytes } = writeRtStruct({ series: other, structures: [{ name: 'GTV', mask: p.patient.phases[0].physicianGtv }] });
    const dir = join(tmp, 'p4-orphan-rt');
    cpSync(join(p.dicomDir, 'phase_00'), join(dir, 'ct'), { recursive: true });
    writeFileSync(join(dir, 'orphan-rs.dcm'), bytes);
    const r = await importStudy({ db: t.db, caller: physicist, dir, store });
    expect(r.seriesCount).toBe(1);
    expect(r.structureCount).toBe(0);
    const missing = r.findings.find((f) => f.code === 'REFERENCED_SERIES_MISSING');
    expect(missing).toMatchObject({ severity: 'error', file: 'orphan-rs.dcm' });
    expect(missing!.message).toContain('1.2.3.4.5.999');
    expect(r.findings.find((f) => f.code === 'STRUCTURE_SET_SKIPPED')).toMatchObject({
      file: 'orphan-rs.dcm',
      message: expect.stringContaining('import that series with it'),
    });
  });

  it('rolls back everything when the transaction fails half-way (a series UID stored under another study)', async () => {
    const p = await phantom(5);
    const inst = await t.db.institution.create({ data: { name: 'Elsewhere' } });
    const otherPatient = await t.db.patient.create({ data: { pseudonym: 'P-OTHER', institutionId: inst.id } });
    const otherStudy = await t.db.study.create({ data: { patientId: otherPatient.id, studyInstanceUid: '1.2.3.other', contentHash: 'x'.repeat(64) } });
    await t.db.imageSeries.create({
      data: {
        studyId: otherStudy.id,
        seriesInstanceUid: p.written.phases[1].seriesInstanceUid,
        modality: 'CT',
        dims: [1, 1, 1],
        spacingMm: [1, 1, 1],
        originMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
    });
    const before = await counts();
    const err = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(err.message).toContain('Nothing was written');
    expect(await counts()).toEqual(before);
    expect(await t.db.study.count({ where: { studyInstanceUid: p.written.studyInstanceUid } })).toBe(0);
  });

  it('the same StudyInstanceUID with a subset of the stored files is a no-op (merging is in reimport-merge.test.ts)', async () => {
    const p = phantoms[0];
    const dir = join(tmp, 'p1-phase0-only');
    cpSync(join(p.dicomDir, 'phase_00'), dir, { recursive: true });
    const before = await counts();
    await expect(importStudy({ db: t.db, caller: physicist, dir, store })).resolves.toMatchObject({ alreadyImported: true });
    expect(await counts()).toEqual(before);
  });

  it('refuses two series that both claim one phase until the phases are mapped by hand', async () => {
    const p = await phantom(7);
    const dir = join(tmp, 'p7-clash');
    const uids = ['1.2.826.0.1.777.1', '1.2.826.0.1.777.2'];
    p.patient.phases.forEach((phase, n) =>
      writeCtSeries(join(dir, `s${n}`), phase.ct!, {
        patientName: 'CLASH^TEST',
        patientId: 'CLASH-1',
        studyInstanceUid: '1.2.826.0.1.777',
        seriesInstanceUid: uids[n],
        frameOfReferenceUid: '1.2.826.0.1.777.9',
        studyDate: '20240101',
        seriesNumber: n + 1,
        seriesDescription: 'Gated 20%',
        manufacturer: 'Test',
        manufacturerModelName: 'Clash',
      }),
    );
    const before = await counts();
    const err = await importStudy({ db: t.db, caller: physicist, dir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'INVALID_INPUT' });
    expect(err.message).toContain('all look like the 20% phase');
    expect(err.message).toContain('--phase-map');
    expect(await counts()).toEqual(before);
    const r = await importStudy({ db: t.db, caller: physicist, dir, store, phaseMapping: { [uids[0]]: 20, [uids[1]]: 70 } });
    expect(r.series.map((s) => [s.seriesInstanceUid, s.phaseIndex, s.phasePercent])).toEqual([
      [uids[0], 0, 20],
      [uids[1], 1, 70],
    ]);
  });

  it('maps ambiguous phases by hand and refuses two series mapped to one phase', async () => {
    const p = await phantom(6);
    const [s0, s50] = p.written.phases.map((x) => x.seriesInstanceUid);
    const before = await counts();
    await expect(importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store, phaseMapping: { [s0]: 20, [s50]: 20 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('both mapped to the 20% phase'),
    });
    await expect(importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store, phaseMapping: { [s0]: 120 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(await counts()).toEqual(before);
    const r = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store, phaseMapping: { [s0]: 40, [s50]: 90 } });
    expect(r.series.map((s) => [s.phaseIndex, s.phasePercent])).toEqual([
      [0, 40],
      [1, 90],
    ]);
    // The GTV drawn on the "0%" series now belongs to the 40% phase; its name disagrees, so a finding says so.
    expect(r.structures.find((s) => s.name === 'GTV_0%')).toMatchObject({ phasePercent: 40, phaseIndex: 0 });
    expect(r.findings.some((f) => f.code === 'PHASE_NAME_MISMATCH' && f.message.includes('GTV_0%'))).toBe(true);
  });
});

describe('upload zips', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'iseg-zip-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const zip = (files: Zippable) => zipSync(files, { level: 6 });

  it('extracts a normal zip into a fresh server-chosen folder and cleans up', async () => {
    const up = await extractUpload({
      bytes: zip({ 'study/a.dcm': new Uint8Array([1, 2, 3]), 'study/sub/b.dcm': new Uint8Array(5000).fill(7), '__MACOSX/._a.dcm': new Uint8Array([0]) }),
      tmpRoot: tmp,
    });
    expect(up.files.map((f) => f.slice(up.dir.length + 1)).sort()).toEqual(['study/a.dcm', 'study/sub/b.dcm']);
    expect(readFileSync(join(up.dir, 'study/sub/b.dcm'))).toEqual(Buffer.from(new Uint8Array(5000).fill(7)));
    expect(up.skipped).toEqual(['__MACOSX/._a.dcm']);
    await up.cleanup();
    expect(existsSync(up.dir)).toBe(false);
  });

  it('refuses entries with "../", absolute paths and symbolic links, writing nothing', async () => {
    const cases: [Zippable, RegExp][] = [
      [{ 'ok.dcm': new Uint8Array([1]), '../evil.dcm': new Uint8Array([2]) }, /entry "\.\.\/evil\.dcm" climbs out of the upload folder/],
      [{ 'a/../../evil.dcm': new Uint8Array([2]) }, /climbs out/],
      [{ '/etc/evil.dcm': new Uint8Array([2]) }, /absolute path/],
      [{ 'C:\\evil.dcm': new Uint8Array([2]) }, /absolute path/],
      [
        { 'ok.dcm': new Uint8Array([1]), 'link.dcm': [new TextEncoder().encode('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }] },
        /"link\.dcm" is a symbolic link/,
      ],
    ];
    for (const [files, message] of cases) {
      const root = mkdtempSync(join(tmp, 'case-'));
      const err = await extractUpload({ bytes: zip(files), name: 'upload.zip', tmpRoot: root }).catch((e) => e);
      expect(err).toMatchObject({ code: 'INVALID_INPUT' });
      expect(err.message).toMatch(message);
      expect(err.message).toContain('Upload "upload.zip"');
      // Nothing extracted anywhere: not the temp folder, not its parent.
      expect(readdirSync(root)).toEqual([]);
      expect(existsSync(join(tmp, 'evil.dcm'))).toBe(false);
    }
  });

  it('refuses an over-size upload, too many entries, and a zip bomb', async () => {
    const big = zip({ 'a.dcm': crypto.getRandomValues(new Uint8Array(60_000)) });
    await expect(extractUpload({ bytes: big, maxBytes: 50_000, tmpRoot: tmp })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/over the upload limit of .* \(ISEG_UPLOAD_MAX_MB\)/),
    });
    const many: Zippable = {};
    for (let n = 0; n < 6; n++) many[`f${n}.dcm`] = new Uint8Array([n]);
    await expect(extractUpload({ bytes: zip(many), maxEntries: 5, tmpRoot: tmp })).rejects.toMatchObject({
      message: expect.stringContaining('holds 6 entries, over the limit of 5'),
    });
    const bomb = zip({ 'zeros.dcm': new Uint8Array(20 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(100_000);
    await expect(extractUpload({ bytes: bomb, tmpRoot: tmp })).rejects.toMatchObject({ message: expect.stringContaining('possible zip bomb') });
    await expect(extractUpload({ bytes: bomb, maxUncompressedBytes: 1024 * 1024, maxRatio: 1e9, tmpRoot: tmp })).rejects.toMatchObject({
      message: expect.stringContaining('uncompressed'),
    });
    expect(readdirSync(tmp).filter((n) => n.startsWith('iseg-upload-'))).toEqual([]);
  });

  it('refuses a file that is not a zip, and a lying entry size', async () => {
    await expect(extractUpload({ bytes: new TextEncoder().encode('not a zip at all, just text'), tmpRoot: tmp })).rejects.toMatchObject({
      message: expect.stringContaining('is not a zip file'),
    });
    // A stored entry whose data is longer than the size in its header: patch the sizes down.
    const z = zipSync({ 'a.dcm': [new Uint8Array(3000).fill(1), { level: 0 }] });
    const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
    for (let p = 0; p < z.length - 4; p++) if (dv.getUint32(p, true) === 0x02014b50) dv.setUint32(p + 24, 100, true);
    await expect(extractUpload({ bytes: z, tmpRoot: tmp })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('more than the 100 bytes it declares'),
    });
  });
});
