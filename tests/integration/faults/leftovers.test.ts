/**
 * What a crash leaves behind (issue 12, item 9): upload temp folders of a process killed before
 * its cleanup ran, and volume files stored by an import (or run) that never wrote the rows
 * referencing them. Reproduced with real processes killed by SIGKILL; the start-up clean-up
 * (lib/server/storage/remove-*.ts, called by `npm start`) removes exactly those, never a file a
 * row references or that was stored within the grace period, and `iseg-qa doctor` reports them.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createVolumeStore, putNiftiVolume, type VolumeStore } from '../../../lib/server/storage/volume-store';
import { findOrphanVolumes, findVolumeKeyColumns } from '../../../lib/server/storage/find-orphan-volumes';
import { removeOrphanVolumes } from '../../../lib/server/storage/remove-orphan-volumes';
import { findUploadLeftovers } from '../../../lib/server/storage/find-upload-leftovers';
import { removeUploadLeftovers } from '../../../lib/server/storage/remove-upload-leftovers';
import { IDENTITY_DIRECTION, type Grid } from '../../../lib/core/volume';
import { TEST_MODELS_DIR } from '../helpers/test-models';

const makeGrid = ({ dims, spacingMm }: { dims: [number, number, number]; spacingMm: [number, number, number] }): Grid => ({
  dims,
  spacingMm,
  originMm: [0, 0, 0],
  direction: IDENTITY_DIRECTION,
});

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const HOUR = 3600_000;

/** A distinct small mask per seed, stored as gzipped NIfTI. */
async function putMask(store: VolumeStore, seed: number) {
  const grid = makeGrid({ dims: [4, 4, 2], spacingMm: [1, 1, 1] });
  const data = new Uint8Array(32);
  data[seed % 32] = 1;
  data[(seed * 7) % 32] = 1;
  return putNiftiVolume(store, { grid, data: data.map((v, i) => (i === seed ? 1 : v)) }, { intent: 'mask', description: `seed ${seed}` });
}

const backdate = (file: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  fs.utimesSync(file, t, t);
};

/** Runs `code` (TypeScript, top-level await) in a child process, waits for its first stdout line, then kill -9s it. */
async function runThenKill(code: string, env: Record<string, string> = {}): Promise<{ line: string; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (c) => reject(new Error(`child exited (${c}) before printing: ${err}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return { line, pid: child.pid! };
}

describe('leftovers after a crash', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  beforeAll(async () => {
    t = await createTestDatabase('leftovers');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-leftovers-'));
    store = createVolumeStore({ dir: path.join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the columns that reference volume files in the schema', async () => {
    const cols = (await findVolumeKeyColumns(t.db)).map((c) => `${c.table}.${c.column}`);
    expect(cols).toEqual(expect.arrayContaining(['ImageSeries.volumeKey', 'PhysicianStructure.maskKey', 'MachineStructure.maskKey']));
  });

  it('an upload extracted by a process that is then killed leaves its temp folder; the clean-up removes it and nothing of a live process', async () => {
    const uploads = path.join(tmp, 'uploads');
    fs.mkdirSync(uploads);
    const zip = path.join(tmp, 'upload.zip');
    fs.writeFileSync(zip, zipSync({ 'study/a.dcm': new Uint8Array(5000).fill(7), 'study/b.dcm': new Uint8Array(3000).fill(9) }));
    const { line, pid } = await runThenKill(
      `import fs from 'node:fs';
       import { extractUpload } from './lib/server/studies/extract-upload.ts';
       const u = await extractUpload({ bytes: new Uint8Array(fs.readFileSync(${JSON.stringify(zip)})), tmpRoot: ${JSON.stringify(uploads)} });
       console.log(u.dir);
       setInterval(() => {}, 1000);`,
    );
    // The defect: the killed process's folder stays.
    expect(fs.existsSync(path.join(line, 'study', 'a.dcm'))).toBe(true);
    expect(path.basename(line)).toMatch(new RegExp(`^iseg-upload-${pid}-`));
    // A folder of this live process, one without an owner from long ago, one without an owner
    // from just now, and something else entirely.
    const live = fs.mkdtempSync(path.join(uploads, `iseg-upload-${process.pid}-`));
    fs.writeFileSync(path.join(live, 'x'), 'in use');
    const oldUnowned = path.join(uploads, 'iseg-upload-AbC123');
    fs.mkdirSync(oldUnowned);
    fs.writeFileSync(path.join(oldUnowned, 'y'), 'old');
    backdate(path.join(oldUnowned, 'y'), 48 * HOUR);
    backdate(oldUnowned, 48 * HOUR);
    const youngUnowned = path.join(uploads, 'iseg-upload-XyZ789');
    fs.mkdirSync(youngUnowned);
    // The upload route's body folder of the same killed process.
    const body = path.join(uploads, `iseg-upload-body-${pid}-Body12`);
    fs.mkdirSync(body);
    fs.writeFileSync(path.join(body, 'upload.zip'), 'zip!');
    const unrelated = path.join(uploads, 'other-folder');
    fs.mkdirSync(unrelated);
    backdate(unrelated, 48 * HOUR);

    const found = await findUploadLeftovers({ tmpRoot: uploads });
    expect(found.leftovers.map((l) => l.dir).sort()).toEqual([line, oldUnowned, body].sort());
    expect(found.leftovers.find((l) => l.dir === line)).toMatchObject({ ownerPid: pid, bytes: 8000 });
    expect(found.inUse).toBe(2);

    const removed = await removeUploadLeftovers({ tmpRoot: uploads });
    expect(removed.removed).toHaveLength(3);
    expect(removed.bytes).toBe(8000 + 3 + 4);
    expect(fs.readdirSync(uploads).sort()).toEqual([path.basename(live), 'iseg-upload-XyZ789', 'other-folder'].sort());
  });

  it('volumes stored by an import killed before its transaction stay unreferenced; only those past the grace period are removed', async () => {
    // Referenced volumes: a CT series, a physician structure and a machine structure.
    const [ct, phys, mach] = [await putMask(store, 1), await putMask(store, 2), await putMask(store, 3)];
    const inst = await t.db.institution.create({ data: { name: 'Leftovers' } });
    const patient = await t.db.patient.create({ data: { pseudonym: 'P-LEFTOVER', institutionId: inst.id } });
    const study = await t.db.study.create({ data: { patientId: patient.id, studyInstanceUid: '2.25.777', contentHash: 'leftovers' } });
    const series = await t.db.imageSeries.create({
      data: {
        studyId: study.id,
        seriesInstanceUid: '2.25.777.1',
        modality: 'CT',
        dims: [4, 4, 2],
        spacingMm: [1, 1, 1],
        originMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        volumeKey: ct.key,
        volumeSha256: ct.sha256,
      },
    });
    await t.db.physicianStructure.create({
      data: { studyId: study.id, seriesId: series.id, name: 'GTV', kind: 'GTV', maskKey: phys.key, maskSha256: phys.sha256 },
    });
    const mv = await t.db.modelVersion.create({ data: { name: 'm', version: '1', sha256: 'x'.repeat(64), manifest: {} } });
    const run = await t.db.segmentationRun.create({ data: { studyId: study.id, modelVersionId: mv.id } });
    await t.db.machineStructure.create({
      data: { runId: run.id, seriesId: series.id, kind: 'GTV', label: 'GTV:planning', maskKey: mach.key, maskSha256: mach.sha256 },
    });

    // The defect, reproduced: a process stores a volume and is killed before writing its row.
    const { line: orphanKey } = await runThenKill(
      `import { createVolumeStore, putNiftiVolume } from './lib/server/storage/volume-store.ts';
       import { IDENTITY_DIRECTION } from './lib/core/volume.ts';
       const store = createVolumeStore({ dir: ${JSON.stringify(store.root)} });
       const data = new Uint8Array(32); data[5] = 1; data[6] = 1;
       const v = await putNiftiVolume(store, { grid: { dims: [4, 4, 2], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION }, data }, { intent: 'mask' });
       console.log(v.key);
       setInterval(() => {}, 1000);`,
    );
    expect(await store.has(orphanKey)).toBe(true);
    const young = await putMask(store, 4); // stored just now by an import still in progress
    const refreshed = await putMask(store, 5); // old, then stored again by an import in progress
    const fileOf = (key: string) => path.join(store.root, key.slice(0, 2), key.slice(2, 4), key);
    fs.mkdirSync(path.join(store.root, 'tmp'), { recursive: true });
    const part = path.join(store.root, 'tmp', `abc.99999.0123.part`);
    fs.writeFileSync(part, 'half a volume');
    for (const k of [ct.key, phys.key, mach.key, orphanKey, refreshed.key]) backdate(fileOf(k), 2 * HOUR);
    backdate(part, 2 * HOUR);
    // Storing the same bytes again refreshes the file, so the clean-up leaves it alone.
    await putMask(store, 5);

    const found = await findOrphanVolumes(t.db, { store });
    expect(found.orphans.map((o) => o.key).sort()).toEqual([orphanKey, null].sort());
    expect(found.scanned).toBe(6);

    const r = await removeOrphanVolumes(t.db, { store });
    expect(r.removed.map((o) => o.file).sort()).toEqual([fileOf(orphanKey), part].sort());
    expect(r.kept).toBe(0);
    expect(await store.has(orphanKey)).toBe(false);
    expect(fs.existsSync(part)).toBe(false);
    // Every referenced or recent volume is intact (getVolume checks its sha256).
    for (const k of [ct.key, phys.key, mach.key, young.key, refreshed.key]) expect((await store.getVolume(k)).length).toBeGreaterThan(0);
    // Nothing left to do.
    expect((await findOrphanVolumes(t.db, { store })).orphans).toEqual([]);
  });

  it('a database whose referencing columns it cannot see removes nothing', async () => {
    const bare = await createTestDatabase('leftovers_bare', { template: null });
    try {
      const v = await putMask(store, 31);
      backdate(path.join(store.root, v.key.slice(0, 2), v.key.slice(2, 4), v.key), 2 * HOUR);
      await expect(removeOrphanVolumes(bare.db, { store })).rejects.toThrow(
        /Cannot see ImageSeries.volumeKey, PhysicianStructure.maskKey, MachineStructure.maskKey/,
      );
      expect(await store.has(v.key)).toBe(true);
      await removeOrphanVolumes(t.db, { store }); // the real database: an orphan, removed
      expect(await store.has(v.key)).toBe(false);
    } finally {
      await bare.drop();
    }
  });

  it('a file a killed clean-up had set aside is put back, and kept while referenced', async () => {
    const v = await putMask(store, 11);
    const inst = await t.db.institution.findFirstOrThrow();
    const patient = await t.db.patient.create({ data: { pseudonym: 'P-ASIDE', institutionId: inst.id } });
    const study = await t.db.study.create({ data: { patientId: patient.id, studyInstanceUid: '2.25.778', contentHash: 'aside' } });
    await t.db.imageSeries.create({
      data: {
        studyId: study.id,
        seriesInstanceUid: '2.25.778.1',
        modality: 'CT',
        dims: [4, 4, 2],
        spacingMm: [1, 1, 1],
        originMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        volumeKey: v.key,
        volumeSha256: v.sha256,
      },
    });
    const file = path.join(store.root, v.key.slice(0, 2), v.key.slice(2, 4), v.key);
    const aside = path.join(path.dirname(file), `.${v.key}.removing-4242`);
    fs.renameSync(file, aside);
    backdate(aside, 2 * HOUR);
    await removeOrphanVolumes(t.db, { store });
    expect(fs.existsSync(aside)).toBe(false);
    expect((await store.getVolume(v.key)).length).toBeGreaterThan(0);
  });

  it('doctor reports both kinds of leftovers as warnings', async () => {
    const uploads = path.join(tmp, 'doctor-tmp');
    fs.mkdirSync(uploads);
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    fs.mkdirSync(path.join(uploads, `iseg-upload-${deadPid}-Qwe123`));
    fs.writeFileSync(path.join(uploads, `iseg-upload-${deadPid}-Qwe123`, 'z'), 'left');
    const orphan = await putMask(store, 21);
    backdate(path.join(store.root, orphan.key.slice(0, 2), orphan.key.slice(2, 4), orphan.key), 2 * HOUR);

    const r = spawnSync(process.execPath, ['cli/iseg-qa.mjs', 'doctor', '--json'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.url, ISEG_VOLUME_DIR: store.root, TMPDIR: uploads, ISEG_MODELS_DIR: TEST_MODELS_DIR, ISEG_MODEL: 'tiny-test' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const checks = JSON.parse(r.stdout).checks as { name: string; ok: boolean; warning?: boolean; detail: string }[];
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['upload leftovers']).toMatchObject({ ok: true, warning: true, detail: expect.stringContaining(`iseg-upload-${deadPid}-Qwe123`) });
    expect(byName['volume store']).toMatchObject({ ok: true, warning: true, detail: expect.stringMatching(/^1 of \d+ file/) });

    await removeUploadLeftovers({ tmpRoot: uploads });
    await removeOrphanVolumes(t.db, { store });
    const again = spawnSync(process.execPath, ['cli/iseg-qa.mjs', 'doctor'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.url, ISEG_VOLUME_DIR: store.root, TMPDIR: uploads, ISEG_MODELS_DIR: TEST_MODELS_DIR, ISEG_MODEL: 'tiny-test' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(again.stdout).toMatch(/ok {2}\s+upload leftovers\s+no upload temp folders/);
    expect(again.stdout).toMatch(/ok {2}\s+volume store\s+\d+ volume file\(s\) in .*, none unreferenced/);
  });
});
