/**
 * CT volumes prepared before a received study's import (prepare-received-series.ts,
 * received-series-preparer.ts; docs/dicom-node.md): real DICOM from the phantom writers in a
 * real spool, a real Postgres per comparison, the real import, and for the kill -9 the real
 * listener process (workers/dicom-node.ts, its preparation on a worker thread) fed by storescu.
 *
 * (i) a study whose volumes were prepared imports identically (volume keys, content hashes, rows)
 *     to the same study imported cold, and the import takes the prepared volumes;
 * (ii) a series that grows after its preparation is prepared again and imported whole, never
 *     from the stale volume;
 * (iii) kill -9 of the node while it prepares, then a restarted node imports the study correctly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/worker-process';
import { startDicomNode } from '../helpers/dicom-node-process';
import { haveDcmtk, storescu } from '../../peers/dcmtk';
import { freePort } from '../../peers/orthanc';
import { writePhantomStudy } from '../import/phantom-fixture';
import { loadCtVolume, parseDicomBytes, readDicom } from '@/lib/dicom';
import { createVolumeStore, putNiftiVolume, type VolumeStore } from '@/lib/server/storage/volume-store';
import { syncDicomSpool } from '@/lib/server/dicom-receive/sync-dicom-spool';
import { importReceivedDicomStudy } from '@/lib/server/dicom-receive/import-received-dicom-study';
import { preparedDirOf, prepareReceivedSeries, type PreparedVolumeRecord } from '@/lib/server/dicom-receive/prepare-received-series';
import { ReceivedSeriesPreparer } from '@/lib/server/dicom-receive/received-series-preparer';

const dcmFiles = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();

function header(file: string) {
  const ds = parseDicomBytes(new Uint8Array(readFileSync(file)), file).parsed!.dataSet;
  return { study: ds.string('x0020000d')!.trim(), series: ds.string('x0020000e')!.trim(), modality: ds.string('x00080060')?.trim() };
}

/** Copies files into `<spool>/<study>/` as the listener files them (one name per instance). */
function spoolFiles(spoolDir: string, files: string[]): string[] {
  return files.map((f) => {
    const dir = path.join(spoolDir, header(f).study);
    mkdirSync(dir, { recursive: true });
    const to = path.join(dir, `${path.basename(path.dirname(f))}_${path.basename(f)}`);
    copyFileSync(f, to);
    return to;
  });
}

/** The spooled CT files by series. */
function bySeries(files: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of files) {
    const h = header(f);
    if (h.modality !== 'CT') continue;
    out.set(h.series, [...(out.get(h.series) ?? []), f]);
  }
  return out;
}

async function importedRows(t: TestDatabase, studyId: string) {
  const study = await t.db.study.findUniqueOrThrow({ where: { id: studyId }, select: { studyInstanceUid: true, contentHash: true, fileCount: true } });
  const series = await t.db.imageSeries.findMany({
    where: { studyId },
    orderBy: { seriesInstanceUid: 'asc' },
    select: { seriesInstanceUid: true, volumeKey: true, volumeSha256: true, volumeContentSha256: true, phaseIndex: true, phasePercent: true },
  });
  const structures = await t.db.physicianStructure.findMany({
    where: { studyId },
    orderBy: [{ name: 'asc' }, { roiNumber: 'asc' }],
    select: { name: true, roiNumber: true, kind: true, phaseIndex: true, maskKey: true, maskContentSha256: true, voxelCount: true },
  });
  return { study, series, structures };
}

describe('received CT volumes prepared before the import', () => {
  let tmp: string;
  const dbs: TestDatabase[] = [];
  const db = async (label: string) => {
    const t = await createTestDatabase(label);
    dbs.push(t);
    return t;
  };
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'iseg-receive-prepared-'));
  });
  afterAll(async () => {
    for (const t of dbs) await t.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('(i) a study whose volumes were prepared imports identically to the same study imported cold, taking the prepared volumes', async () => {
    const study = await writePhantomStudy(path.join(tmp, 'phantom-i'), { seed: 'receive-prepared-i', phasePercents: [0, 50] });
    const files = dcmFiles(study.dicomDir);
    const uid = header(files[0]).study;

    const cold = await db('receive_prepared_cold');
    const coldSpool = path.join(tmp, 'cold', 'dicom-spool');
    spoolFiles(coldSpool, files);
    await syncDicomSpool({ db: cold.db, spoolDir: coldSpool, removePartFiles: true });
    const a = await importReceivedDicomStudy({
      db: cold.db,
      spoolDir: coldSpool,
      studyInstanceUid: uid,
      boss: null,
      store: createVolumeStore({ dir: path.join(tmp, 'cold', 'volumes') }),
    });
    expect(a.state, JSON.stringify(a)).toBe('IMPORTED');
    if (a.state !== 'IMPORTED') return;
    expect(a.preparedVolumesUsed).toBe(0);

    const warm = await db('receive_prepared_warm');
    const warmSpool = path.join(tmp, 'warm', 'dicom-spool');
    const warmStore = createVolumeStore({ dir: path.join(tmp, 'warm', 'volumes') });
    const spooled = spoolFiles(warmSpool, files);
    const records: PreparedVolumeRecord[] = [];
    for (const seriesFiles of bySeries(spooled).values())
      records.push(...(await prepareReceivedSeries({ files: seriesFiles, store: warmStore, dir: preparedDirOf(warmSpool, uid) })));
    expect(records).toHaveLength(2);
    await syncDicomSpool({ db: warm.db, spoolDir: warmSpool, removePartFiles: true });
    const b = await importReceivedDicomStudy({ db: warm.db, spoolDir: warmSpool, studyInstanceUid: uid, boss: null, store: warmStore });
    expect(b.state, JSON.stringify(b)).toBe('IMPORTED');
    if (b.state !== 'IMPORTED') return;
    expect(b.preparedVolumesUsed).toBe(2);

    const rowsA = await importedRows(cold, a.studyId);
    const rowsB = await importedRows(warm, b.studyId);
    expect(rowsB).toEqual(rowsA);
    expect(rowsB.series.map((s) => s.volumeKey).sort()).toEqual(records.map((r) => r.key).sort());
    expect(rowsB.structures.length).toBeGreaterThan(0);
    // The records go with the import; the spool folder too.
    expect(existsSync(preparedDirOf(warmSpool, uid))).toBe(false);
    expect(existsSync(path.join(warmSpool, uid))).toBe(false);
  }, 180_000);

  it('(ii) a series that grows after its preparation is prepared again and imported whole, not from the stale volume', async () => {
    const study = await writePhantomStudy(path.join(tmp, 'phantom-ii'), { seed: 'receive-prepared-ii', phasePercents: [0, 50] });
    const files = dcmFiles(study.dicomDir);
    const uid = header(files[0]).study;
    const t = await db('receive_prepared_grow');
    const spool = path.join(tmp, 'grow', 'dicom-spool');
    const store = createVolumeStore({ dir: path.join(tmp, 'grow', 'volumes') });
    const lines: string[] = [];
    const preparer = new ReceivedSeriesPreparer({
      spoolDir: spool,
      settleMs: 0,
      run: (job) => prepareReceivedSeries({ ...job, store }),
      log: (l) => lines.push(l),
    });
    const note = (spooled: string[]) => {
      for (const f of spooled) {
        const h = header(f);
        if (h.modality === 'CT') preparer.noteInstance(h.study, h.series, f);
      }
    };
    // Everything but the last slice of one series arrives and is prepared.
    const ct = files.filter((f) => header(f).modality === 'CT');
    const late = ct[ct.length - 1];
    const grownSeries = header(late).series;
    note(
      spoolFiles(
        spool,
        files.filter((f) => f !== late),
      ),
    );
    await preparer.whenSettled(uid);
    const dir = preparedDirOf(spool, uid);
    const readRecords = () =>
      readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .map((n) => JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as PreparedVolumeRecord);
    const stale = readRecords().find((r) => r.seriesInstanceUid === grownSeries)!;
    expect(stale.slices).toBe(ct.filter((f) => header(f).series === grownSeries).length - 1);

    // The last slice arrives: the series is prepared again, under another series hash.
    note(spoolFiles(spool, [late]));
    await preparer.whenSettled(uid);
    const fresh = readRecords().filter((r) => r.seriesInstanceUid === grownSeries && r.seriesHash !== stale.seriesHash);
    expect(fresh).toHaveLength(1);
    expect(fresh[0].slices).toBe(stale.slices + 1);
    expect(fresh[0].contentSha256).not.toBe(stale.contentSha256);

    await syncDicomSpool({ db: t.db, spoolDir: spool, removePartFiles: true });
    const r = await importReceivedDicomStudy({ db: t.db, spoolDir: spool, studyInstanceUid: uid, boss: null, store, preparer });
    expect(r.state, JSON.stringify(r)).toBe('IMPORTED');
    if (r.state !== 'IMPORTED') return;
    expect(r.preparedVolumesUsed).toBe(2);
    const grown = await t.db.imageSeries.findFirstOrThrow({ where: { studyId: r.studyId, seriesInstanceUid: grownSeries } });
    expect(grown.volumeContentSha256).toBe(fresh[0].contentSha256);
    expect((grown.sliceSopInstanceUids as string[]).length).toBe(fresh[0].slices);
    expect(preparer.backlog()).toBe(0);
  }, 180_000);

  it.skipIf(!haveDcmtk())(
    '(iii) kill -9 of the node while it prepares a series: a restarted node imports the study correctly',
    async () => {
      const study = await writePhantomStudy(path.join(tmp, 'phantom-iii'), {
        seed: 'receive-prepared-iii',
        phasePercents: [0, 50],
        dims: [160, 160, 40],
        spacingMm: [2.5, 2.5, 5],
      });
      const files = dcmFiles(study.dicomDir);
      const uid = header(files[0]).study;
      const t = await db('receive_prepared_kill');
      const dataDir = path.join(tmp, 'kill', 'data');
      const spool = path.join(dataDir, 'dicom-spool');
      const env = { ISEG_DICOM_ALLOWED_AETS: 'PLANNING_TPS', ISEG_MODELS_DIR: '/nonexistent-models', ISEG_DICOM_PREPARE_SECONDS: '3' };
      // A long quiet time: the node prepares the series (the association's release settles them) and does not import.
      const port = await freePort();
      const first = await startDicomNode({ databaseUrl: t.url, dataDir, port, env: { ...env, ISEG_DICOM_QUIET_SECONDS: '3600' } });
      const sent = await storescu({ port, calledAe: 'ISEG_QA', callingAe: 'PLANNING_TPS' }, [study.dicomDir]).done;
      expect(sent.code, sent.output).toBe(0);
      await waitFor('a preparation to start', async () => (/preparing CT series /.test(first.output()) ? true : null), 60_000);
      await first.kill();
      const preparedAtKill = /prepared CT series /.test(first.output());
      console.log(`kill -9 landed ${preparedAtKill ? 'after one series was prepared, during the next' : 'during the first preparation'}`);

      const second = await startDicomNode({ databaseUrl: t.url, dataDir, port: await freePort(), env: { ...env, ISEG_DICOM_QUIET_SECONDS: '1' } });
      try {
        const row = await waitFor(
          'the study to be imported after the restart',
          async () => {
            const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
            return x && (x.state === 'IMPORTED' || x.state === 'FAILED') ? x : null;
          },
          120_000,
        );
        expect(row.state, `${row.error}\n${second.output()}`).toBe('IMPORTED');
        // The volumes are those the cold path makes of each phase's files.
        const store: VolumeStore = createVolumeStore({ dir: path.join(tmp, 'kill', 'reference') });
        const read = await readDicom(files);
        const expected = [];
        for (const s of read.series) expected.push((await putNiftiVolume(store, await loadCtVolume(s), { intent: 'image' })).contentSha256);
        const series = await t.db.imageSeries.findMany({ where: { studyId: row.studyId! } });
        expect(series.map((s) => s.volumeContentSha256).sort()).toEqual(expected.sort());
        const nodeStore = createVolumeStore({ dir: path.join(dataDir, 'volumes') });
        for (const s of series) expect(await nodeStore.has(s.volumeKey!)).toBe(true);
        expect(await t.db.physicianStructure.count({ where: { studyId: row.studyId! } })).toBeGreaterThan(0);
        expect(existsSync(preparedDirOf(spool, uid))).toBe(false);
        expect(existsSync(path.join(spool, uid))).toBe(false);
      } finally {
        await second.stop();
      }
    },
    300_000,
  );
});
