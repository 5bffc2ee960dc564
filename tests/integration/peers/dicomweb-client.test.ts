/**
 * The DICOMweb client (lib/server/dicomweb) against a real Orthanc with its DICOMweb plugin:
 * QIDO-RS finds a phantom CT + RTSTRUCT study by patient ID, date range and modality; the
 * series listing; WADO-RS writes every instance to disk byte for byte; a wrong password, a
 * wrong base URL and a stopped Orthanc are clear errors that name the PACS.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchDicomWebStudies, listDicomWebSeries } from '@/lib/server/dicomweb/search-dicomweb-studies';
import { retrieveDicomWebStudy } from '@/lib/server/dicomweb/retrieve-dicomweb-study';
import type { DicomWebTarget } from '@/lib/server/dicomweb/dicomweb-request';
import { haveOrthanc, startOrthanc, type OrthancPeer } from '../../peers/orthanc';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!haveOrthanc())('DICOMweb client against Orthanc', () => {
  let orthanc: OrthancPeer;
  let tmp: string;
  let study: PhantomStudy;
  let target: DicomWebTarget;
  let uploaded: string[];
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-dicomweb-'));
    orthanc = await startOrthanc();
    study = await writePhantomStudy(path.join(tmp, 'phantom'), { dims: [16, 16, 6], spacingMm: [12, 12, 14], phasePercents: [0, 50], seed: 'dicomweb-client' });
    uploaded = filesUnder(study.dicomDir).sort();
    for (const f of uploaded) await orthanc.upload(f);
    target = { name: 'Test Orthanc', baseUrl: orthanc.dicomWebUrl, username: orthanc.credentials!.username, password: orthanc.credentials!.password };
  });
  afterAll(async () => {
    await orthanc?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the study by patient ID, by a date range around it and by modality, and not outside the range', async () => {
    const { patientId, studyDate } = study.patient.spec;
    const byId = await searchDicomWebStudies({ target, search: { patientId } });
    expect(byId.truncated).toBe(false);
    expect(byId.studies).toHaveLength(1);
    const s = byId.studies[0];
    expect(s).toMatchObject({ studyInstanceUid: study.written.studyInstanceUid, patientId, studyDate, instanceCount: uploaded.length, seriesCount: 4 });
    expect([...s.modalities].sort()).toEqual(['CT', 'RTSTRUCT']);

    const iso = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
    const inRange = await searchDicomWebStudies({ target, search: { dateFrom: iso(studyDate), dateTo: iso(studyDate), modality: 'ct' } });
    expect(inRange.studies.map((x) => x.studyInstanceUid)).toEqual([study.written.studyInstanceUid]);
    const next = String(Number(studyDate.slice(0, 4)) + 1);
    const outside = await searchDicomWebStudies({ target, search: { dateFrom: `${next}-01-01` } });
    expect(outside.studies).toEqual([]);
    const otherModality = await searchDicomWebStudies({ target, search: { patientId, modality: 'MR' } });
    expect(otherModality.studies).toEqual([]);
  });

  it('refuses an unbounded or malformed search before asking the PACS', async () => {
    await expect(searchDicomWebStudies({ target, search: {} })).rejects.toThrow(/Give a patient ID or a date range/);
    await expect(searchDicomWebStudies({ target, search: { dateFrom: '15/03/2024' } })).rejects.toThrow(/must be a date such as 2024-03-15/);
    await expect(searchDicomWebStudies({ target, search: { patientId: 'A\\B' } })).rejects.toThrow(/backslash/);
  });

  it('lists the study series with modality and instance count', async () => {
    const series = await listDicomWebSeries({ target, studyInstanceUid: study.written.studyInstanceUid });
    expect(series.map((x) => x.modality).sort()).toEqual(['CT', 'CT', 'RTSTRUCT', 'RTSTRUCT']);
    const ct = series.filter((x) => x.modality === 'CT');
    expect(ct.map((x) => x.instanceCount)).toEqual([6, 6]);
  });

  it('retrieves every instance to disk, byte for byte, with progress per instance', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'retrieve-'));
    const progress: number[] = [];
    const r = await retrieveDicomWebStudy({
      target,
      studyInstanceUid: study.written.studyInstanceUid,
      dir,
      onProgress: (p) => void progress.push(p.instances),
    });
    expect(r.files).toHaveLength(uploaded.length);
    expect(progress).toEqual(uploaded.map((_, n) => n + 1));
    const got = r.files.map((f) => sha(fs.readFileSync(f))).sort();
    const want = uploaded.map((f) => sha(fs.readFileSync(f))).sort();
    expect(got).toEqual(want);
  });

  it('a study the PACS does not have is NOT_FOUND naming the PACS', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'missing-'));
    await expect(retrieveDicomWebStudy({ target, studyInstanceUid: '1.2.3.4.5', dir })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(
        /PACS "Test Orthanc" \(http:\/\/127\.0\.0\.1:\d+\/dicom-web\) answered retrieve of study 1\.2\.3\.4\.5 \(WADO-RS\) with HTTP 404/,
      ),
    });
  });

  it('a wrong password and a wrong base URL are clear errors naming the PACS and what to check', async () => {
    const bad = { ...target, password: 'wrong' };
    await expect(searchDicomWebStudies({ target: bad, search: { patientId: 'X' } })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/answered the study search \(QIDO-RS\) with HTTP 401.*check the user name and password/),
    });
    const noRoot = { ...target, baseUrl: orthanc.httpUrl + '/not-dicomweb' };
    await expect(searchDicomWebStudies({ target: noRoot, search: { patientId: 'X' } })).rejects.toThrow(/HTTP 404.*DICOMweb root/);
  });

  it('a stopped PACS is UNAVAILABLE naming it, for a search and for a retrieve', async () => {
    const other = await startOrthanc({ auth: false });
    const down: DicomWebTarget = { name: 'Stopped Orthanc', baseUrl: other.dicomWebUrl };
    await other.stop();
    await expect(searchDicomWebStudies({ target: down, search: { patientId: 'X' } })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(
        /PACS "Stopped Orthanc" \(http:\/\/127\.0\.0\.1:\d+\/dicom-web\) could not be reached for the study search \(QIDO-RS\) \(ECONNREFUSED: nothing listens there\)/,
      ),
    });
    const dir = fs.mkdtempSync(path.join(tmp, 'down-'));
    await expect(retrieveDicomWebStudy({ target: down, studyInstanceUid: '1.2.3', dir })).rejects.toThrow(/could not be reached for retrieve of study 1\.2\.3/);
  });
});
