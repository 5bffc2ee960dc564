/**
 * The Orthanc test peer (tests/peers/orthanc.ts) itself: it starts on free ports, takes a real
 * DICOM file over REST, finds it through its DICOMweb plugin (QIDO-RS), and stop() kills it and
 * removes its folder.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCtSeries, deterministicUid } from '@/lib/dicom/write-ct-series';
import { IDENTITY_DIRECTION } from '@/lib/core/volume';
import { haveOrthanc, startOrthanc, type OrthancPeer } from '../../peers/orthanc';

function oneCtSlice(patientId: string) {
  const dims: [number, number, number] = [8, 8, 1];
  const data = new Int16Array(64).map((_, i) => (i % 8) * 10 - 100);
  return encodeCtSeries(
    { grid: { dims, spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION }, data },
    {
      patientName: 'HARNESS^TEST',
      patientId,
      studyInstanceUid: deterministicUid(`harness/${patientId}/study`),
      seriesInstanceUid: deterministicUid(`harness/${patientId}/series`),
      frameOfReferenceUid: deterministicUid(`harness/${patientId}/for`),
      studyDate: '20240315',
      seriesNumber: 1,
      seriesDescription: 'HARNESS CT',
      manufacturer: 'TEST',
      manufacturerModelName: 'TEST',
    },
  )[0];
}

describe.skipIf(!haveOrthanc())('Orthanc test peer', () => {
  let orthanc: OrthancPeer;
  beforeAll(async () => {
    orthanc = await startOrthanc({ aet: 'HARNESS', modalities: { iseg: { aet: 'ISEG_QA', host: '127.0.0.1', port: 1 } } });
  });
  afterAll(async () => {
    await orthanc?.stop();
  });

  it('answers /system with the AE title and ports it was given, and refuses HTTP without the generated user', async () => {
    const system = await orthanc.json<{ DicomAet: string; DicomPort: number; HttpPort: number }>('/system');
    expect(system.DicomAet).toBe('HARNESS');
    expect(system.DicomPort).toBe(orthanc.dicomPort);
    expect(`http://127.0.0.1:${system.HttpPort}`).toBe(orthanc.httpUrl);
    const anonymous = await fetch(`${orthanc.httpUrl}/system`);
    expect(anonymous.status).toBe(401);
    expect(await orthanc.json<string[]>('/modalities')).toEqual(['iseg']);
  });

  it('stores an uploaded CT slice and finds it through QIDO-RS by patient ID', async () => {
    const slice = oneCtSlice('HARNESS-1');
    const stored = await orthanc.upload(slice.bytes);
    expect(stored.status).toBe('Success');
    expect(await orthanc.instances()).toEqual([stored.id]);
    const again = await orthanc.upload(slice.bytes);
    expect(again.status).toBe('AlreadyStored');

    const res = await orthanc.rest('/dicom-web/studies?PatientID=HARNESS-1', { headers: { Accept: 'application/dicom+json' } });
    const studies = (await res.json()) as Array<Record<string, { Value?: unknown[] }>>;
    expect(studies).toHaveLength(1);
    expect(studies[0]['0020000D'].Value).toEqual([deterministicUid('harness/HARNESS-1/study')]);
    const none = await (await orthanc.rest('/dicom-web/studies?PatientID=NOBODY', { headers: { Accept: 'application/dicom+json' } })).text();
    expect(none === '' ? [] : JSON.parse(none)).toEqual([]);

    const file = await orthanc.instanceFile(stored.id);
    expect(Buffer.compare(file, Buffer.from(slice.bytes))).toBe(0);
  });

  it('stop() kills it and removes its folder', async () => {
    const second = await startOrthanc({ auth: false });
    expect((await fetch(`${second.httpUrl}/system`)).status).toBe(200);
    expect(existsSync(second.dir)).toBe(true);
    await second.stop();
    expect(existsSync(second.dir)).toBe(false);
    await expect(fetch(`${second.httpUrl}/system`)).rejects.toThrow();
  });
});
