/**
 * Query PACS → retrieve → import, end to end against a real Orthanc (DICOMweb plugin), a real
 * Postgres and a real worker process: a phantom CT + RTSTRUCT study (and the public TotalSegmentator
 * CT from ../shared) is found by patient ID and date range, retrieved by the `pacs.retrieve` job
 * and imported as an upload is (study, structures, findings); a second retrieval is idempotent;
 * with Orthanc down the retrieval fails with a clear error and nothing is imported. The PACS
 * password is stored sealed and never shown back; the query is presented by role.
 *
 * Waits are long (minutes): the machine running the tests may be busy, and the public CT is
 * JPEG 2000 that the import decodes on the CPU. No assertion is on time.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { createBoss } from '../../../lib/server/jobs/boss';
import type { Caller } from '../../../lib/server/auth/roles';
import { createPacsEndpoint } from '../../../lib/server/pacs/create-pacs-endpoint';
import { updatePacsEndpoint } from '../../../lib/server/pacs/update-pacs-endpoint';
import { findPacsEndpoints } from '../../../lib/server/pacs/find-pacs-endpoints';
import { searchPacsStudies } from '../../../lib/server/pacs/search-pacs-studies';
import { requestPacsRetrieval } from '../../../lib/server/pacs/request-pacs-retrieval';
import { findPacsRetrievals } from '../../../lib/server/pacs/find-pacs-retrievals';
import { haveOrthanc, startOrthanc, type OrthancPeer } from '../../peers/orthanc';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

/**
 * The public example CT has empty Study/Series/SOP Instance UIDs and Patient ID (anonymised), which
 * no PACS stores: copies get UIDs (and a patient ID) with dcmtk's dcmodify (Debian package dcmtk).
 */
function withUids(files: string[], dir: string): string[] {
  const dcmodify = '/usr/bin/dcmodify';
  if (!fs.existsSync(dcmodify)) throw new Error(`${dcmodify} is missing: install the Debian package "dcmtk" (apt-get install dcmtk).`);
  fs.mkdirSync(dir, { recursive: true });
  const root = '1.2.826.0.1.3680043.10.1417';
  return files.map((f, n) => {
    const out = path.join(dir, `${n}.dcm`);
    fs.copyFileSync(f, out);
    execFileSync(dcmodify, [
      '-nb',
      '-i',
      `(0020,000d)=${root}.1`,
      '-i',
      `(0020,000e)=${root}.2`,
      '-i',
      `(0008,0018)=${root}.3.${n + 1}`,
      '-i',
      '(0010,0020)=TSEG-EXAMPLE',
      out,
    ]);
    return out;
  });
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe.skipIf(!haveOrthanc())('PACS query and retrieve into the import', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let orthanc: OrthancPeer;
  let worker: WorkerProcess;
  let tmp: string;
  let dataDir: string;
  let study: PhantomStudy;
  let physicist: Caller;
  let admin: Caller;
  let endpointId: string;

  async function waitForRetrieval(id: string) {
    try {
      return await waitFor(
        `retrieval ${id} to finish`,
        async () => {
          const r = await t.db.pacsRetrieval.findUnique({ where: { id } });
          return r && (r.state === 'IMPORTED' || r.state === 'FAILED') ? r : null;
        },
        280_000,
      );
    } catch (e) {
      const row = await t.db.pacsRetrieval.findUnique({ where: { id } });
      throw new Error(
        `${(e as Error).message}; the row: ${JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}; worker log:\n${worker.output().slice(-4000)}`,
        { cause: e },
      );
    }
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-pacs-'));
    dataDir = path.join(tmp, 'data');
    t = await createTestDatabase('pacs_retrieval');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    orthanc = await startOrthanc();
    const p = await t.db.user.create({ data: { email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST', passwordHash: 'x' } });
    const a = await t.db.user.create({ data: { email: 'admin@example.org', name: 'Admin', role: 'ADMIN', passwordHash: 'x' } });
    physicist = { userId: p.id, email: p.email, name: p.name, role: 'PHYSICIST' };
    admin = { userId: a.id, email: a.email, name: a.name, role: 'ADMIN' };
    study = await writePhantomStudy(path.join(tmp, 'phantom'), { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0, 50], seed: 'pacs-retrieval' });
    for (const f of filesUnder(study.dicomDir)) await orthanc.upload(f);
    fs.mkdirSync(path.join(tmp, 'no-models'));
    worker = await startWorker(t.url, {
      ISEG_DATA_DIR: dataDir,
      ISEG_VOLUME_DIR: path.join(tmp, 'volumes'),
      ISEG_MODELS_DIR: path.join(tmp, 'no-models'),
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false });
    await orthanc?.stop();
    await t?.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('an admin adds the PACS; the password is stored sealed, never shown back nor audited', async () => {
    await expect(createPacsEndpoint(t.db, { caller: physicist, input: { name: 'x', baseUrl: 'http://x' }, dataDir })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(createPacsEndpoint(t.db, { caller: admin, input: { name: 'bad', baseUrl: 'ftp://pacs' }, dataDir })).rejects.toThrow(
      /must be an http:\/\/ or https:\/\/ URL/,
    );
    const password = orthanc.credentials!.password;
    const created = await createPacsEndpoint(t.db, {
      caller: admin,
      input: { name: 'Test Orthanc', baseUrl: orthanc.dicomWebUrl + '/', username: orthanc.credentials!.username, password },
      dataDir,
    });
    endpointId = created.id;
    expect(created).toMatchObject({ baseUrl: orthanc.dicomWebUrl, hasPassword: true });
    expect(JSON.stringify(created)).not.toContain(password);
    const row = await t.db.pacsEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    expect(row.passwordEncrypted).toMatch(/^v1\./);
    expect(row.passwordEncrypted).not.toContain(password);
    const listed = await findPacsEndpoints(t.db, { caller: physicist });
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(password);
    expect(JSON.stringify(listed)).not.toContain(row.passwordEncrypted);
    // An update with an empty password keeps the stored one.
    await updatePacsEndpoint(t.db, {
      caller: admin,
      id: endpointId,
      input: { name: 'Test Orthanc', baseUrl: orthanc.dicomWebUrl, username: orthanc.credentials!.username, password: '' },
      dataDir,
    });
    expect((await t.db.pacsEndpoint.findUniqueOrThrow({ where: { id: endpointId } })).passwordEncrypted).toBe(row.passwordEncrypted);
    const audit = await t.db.auditEvent.findMany({ where: { action: { startsWith: 'pacs.endpoint.' } }, orderBy: { id: 'asc' } });
    expect(audit.map((e) => e.action)).toEqual(['pacs.endpoint.create', 'pacs.endpoint.update']);
    expect(JSON.stringify(audit.map((e) => e.details))).not.toContain(password);
    expect(fs.statSync(path.join(dataDir, 'credentials-key')).mode & 0o777).toBe(0o600);
  });

  it('finds the study by patient ID and by date range; identifiers only for a physicist', async () => {
    const { patientId, studyDate } = study.patient.spec;
    const asPhysicist = await searchPacsStudies(t.db, { caller: physicist, endpointId, search: { patientId }, dataDir });
    expect(asPhysicist.studies).toHaveLength(1);
    expect(asPhysicist.studies[0]).toMatchObject({ identified: true, patientId, studyInstanceUid: study.written.studyInstanceUid, instanceCount: 2 * 8 + 2 });
    const iso = `${studyDate.slice(0, 4)}-${studyDate.slice(4, 6)}-${studyDate.slice(6, 8)}`;
    const asAdmin = await searchPacsStudies(t.db, { caller: admin, endpointId, search: { dateFrom: iso, dateTo: iso }, dataDir });
    expect(asAdmin.studies).toHaveLength(1);
    expect(asAdmin.studies[0]).toMatchObject({
      identified: false,
      patientId: null,
      patientName: null,
      studyInstanceUid: null,
      studyDescription: null,
      studyDate: studyDate.slice(0, 4),
    });
    expect(JSON.stringify(asAdmin)).not.toContain(patientId);
    expect(JSON.stringify(asAdmin)).not.toContain(study.written.studyInstanceUid);
    const reviewer: Caller = { userId: 'r', email: 'r@example.org', name: 'R', role: 'REVIEWER' };
    await expect(searchPacsStudies(t.db, { caller: reviewer, endpointId, search: { patientId }, dataDir })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const audit = await t.db.auditEvent.findMany({ where: { action: 'pacs.query' }, orderBy: { id: 'asc' } });
    expect(audit.map((e) => (e.details as { identified: boolean }).identified)).toEqual([true, false]);
    expect(JSON.stringify(audit.map((e) => e.details))).not.toContain(patientId);
  });

  it('retrieves and imports the chosen study (structures, findings, progress); a second retrieval is idempotent', async () => {
    const { patientId } = study.patient.spec;
    const found = await searchPacsStudies(t.db, { caller: admin, endpointId, search: { patientId }, dataDir });
    const { retrievals } = await requestPacsRetrieval(t.db, { caller: admin, endpointId, refs: [found.studies[0].ref], boss, dataDir });
    expect(retrievals).toEqual([{ id: expect.any(String), created: true }]);
    const done = await waitForRetrieval(retrievals[0].id);
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ state: 'IMPORTED', alreadyImported: false, instancesFetched: 18, instancesTotal: 18 });
    const stored = await t.db.study.findUniqueOrThrow({ where: { id: done.studyId! }, include: { series: true, physicianStructures: true } });
    expect(stored.studyInstanceUid).toBe(study.written.studyInstanceUid);
    expect(stored.series.map((s) => s.phasePercent).sort()).toEqual([0, 50]);
    expect(stored.physicianStructures.map((s) => s.name).sort()).toEqual(['GTV_0%', 'GTV_50%', 'ITV']);
    expect(Array.isArray(done.findings)).toBe(true);
    const view = await findPacsRetrievals(t.db, { caller: admin });
    expect(view[0]).toMatchObject({ id: done.id, state: 'IMPORTED', studyId: stored.id, studyInstanceUid: null, instancesFetched: 18, instancesTotal: 18 });
    expect((await findPacsRetrievals(t.db, { caller: physicist }))[0].studyInstanceUid).toBe(study.written.studyInstanceUid);
    // The job's temporary folder is gone (removed after the IMPORTED row commits, so waited for).
    await waitFor('the retrieval folder to be removed', async () => fs.readdirSync(path.join(dataDir, 'pacs-retrieve')).length === 0, 30_000);

    const again = await requestPacsRetrieval(t.db, { caller: physicist, endpointId, refs: [found.studies[0].ref], boss, dataDir });
    const second = await waitForRetrieval(again.retrievals[0].id);
    expect(second).toMatchObject({ state: 'IMPORTED', alreadyImported: true, studyId: stored.id });
    expect(await t.db.study.count()).toBe(1);
    expect(await t.db.physicianStructure.count({ where: { studyId: stored.id } })).toBe(3);
    expect(await t.db.auditEvent.count({ where: { action: 'pacs.retrieve.import' } })).toBe(2);
  }, 600_000);

  it('refuses a study handle that did not come from a search of this PACS', async () => {
    await expect(requestPacsRetrieval(t.db, { caller: admin, endpointId, refs: ['v1.forged.x.y'], boss, dataDir })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('does not come from a search of PACS "Test Orthanc"'),
    });
  });

  it.skipIf(!haveSharedData(sharedDataPath('totalsegmentator', 'example_ct_dicom')))(
    referenceSuite('retrieves and imports the public TotalSegmentator CT (real scanner DICOM) through Orthanc'),
    async () => {
      const files = withUids(filesUnder(sharedDataPath('totalsegmentator', 'example_ct_dicom')), path.join(tmp, 'tseg'));
      for (const f of files) await orthanc.upload(f);
      const before = await t.db.study.count();
      const found = await searchPacsStudies(t.db, { caller: physicist, endpointId, search: { patientId: 'TSEG-EXAMPLE', modality: 'CT' }, dataDir });
      expect(found.studies).toHaveLength(1);
      const real = found.studies[0];
      expect(real.instanceCount).toBe(files.length);
      const { retrievals } = await requestPacsRetrieval(t.db, { caller: physicist, endpointId, refs: [real.ref], boss, dataDir });
      const done = await waitForRetrieval(retrievals[0].id);
      expect(done.error).toBeNull();
      expect(done).toMatchObject({ state: 'IMPORTED', alreadyImported: false, instancesFetched: files.length });
      expect(await t.db.study.count()).toBe(before + 1);
      const series = await t.db.imageSeries.findMany({ where: { studyId: done.studyId! } });
      expect(series).toHaveLength(1);
    },
    300_000,
  );

  it('with the PACS down the retrieval fails with a clear error and nothing is imported', async () => {
    const { patientId } = study.patient.spec;
    const found = await searchPacsStudies(t.db, { caller: physicist, endpointId, search: { patientId }, dataDir });
    const studies = await t.db.study.count();
    const audits = await t.db.auditEvent.count({ where: { action: 'study.import' } });
    await orthanc.stop();
    const { retrievals } = await requestPacsRetrieval(t.db, { caller: physicist, endpointId, refs: [found.studies[0].ref], boss, dataDir });
    const failed = await waitForRetrieval(retrievals[0].id);
    expect(failed.state).toBe('FAILED');
    expect(failed.error).toMatch(
      /PACS "Test Orthanc" \(http:\/\/127\.0\.0\.1:\d+\/dicom-web\) could not be reached for retrieve of study [\d.]+ \(WADO-RS\) \(ECONNREFUSED: nothing listens there\): check the base URL/,
    );
    expect(failed.studyId).toBeNull();
    expect(await t.db.study.count()).toBe(studies);
    expect(await t.db.auditEvent.count({ where: { action: 'study.import' } })).toBe(audits);
    expect(fs.readdirSync(path.join(dataDir, 'pacs-retrieve'))).toEqual([]);
    await expect(searchPacsStudies(t.db, { caller: physicist, endpointId, search: { patientId }, dataDir })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  }, 300_000);
});
