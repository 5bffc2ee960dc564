/**
 * The DICOM listener against real peers (dcmtk's echoscu and storescu, and Orthanc), with the
 * real listener process (workers/dicom-node.ts), a real Postgres and real DICOM written by the
 * phantom writers: C-ECHO, a CT + RTSTRUCT study received and imported, a rejected AE title,
 * an association cut off mid-study, a repeated send, and a kill -9 between receipt and import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/worker-process';
import { startDicomNode, type DicomNodeProcess } from '../helpers/dicom-node-process';
import { echoscu, haveDcmtk, storescu } from '../../peers/dcmtk';
import { freePort, haveOrthanc, startOrthanc, type OrthancPeer } from '../../peers/orthanc';
import { writePhantomStudy } from '../import/phantom-fixture';
import { parseDicomBytes } from '@/lib/dicom';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const AET = 'ISEG_QA';
const SENDER = 'PLANNING_TPS';

function studyUidOf(dir: string): string {
  const file = readdirSync(dir, { recursive: true, withFileTypes: true }).find((e) => e.isFile() && e.name.endsWith('.dcm'))!;
  const full = path.join(file.parentPath, file.name);
  return parseDicomBytes(new Uint8Array(readFileSync(full)), full)
    .parsed!.dataSet.string('x0020000d')!
    .trim();
}

function dcmFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * A TCP relay to the listener on `targetPort` that forwards a sender's bytes until more than
 * `cutAfterBytes` have passed, then closes both connections (an association cut off mid-study).
 */
async function startCuttingRelay(targetPort: number, cutAfterBytes: number): Promise<{ port: number; close(): void }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    let forwarded = 0;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (forwarded + chunk.length > cutAfterBytes) {
        upstream.write(chunk.subarray(0, Math.max(0, cutAfterBytes - forwarded)), cut);
        forwarded = cutAfterBytes;
        return;
      }
      forwarded += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe.skipIf(!haveDcmtk())('DICOM listener (dcmtk peers, real listener process)', () => {
  let t: TestDatabase;
  let tmp: string;
  let dataDir: string;
  let node: DicomNodeProcess;
  let port: number;
  const target = () => ({ port, calledAe: AET, callingAe: SENDER });
  const spool = () => path.join(dataDir, 'dicom-spool');
  const nodeEnv = { ISEG_DICOM_ALLOWED_AETS: `${SENDER},ORTHANC`, ISEG_DICOM_QUIET_SECONDS: '1', ISEG_MODELS_DIR: '/nonexistent-models' };

  beforeAll(async () => {
    t = await createTestDatabase('dicom_receive');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'iseg-dicom-receive-'));
    dataDir = path.join(tmp, 'data');
    port = await freePort();
    node = await startDicomNode({ databaseUrl: t.url, dataDir, port, env: nodeEnv });
  });
  afterAll(async () => {
    await node?.stop();
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('answers C-ECHO from an allowed AE title', async () => {
    const r = await echoscu(target());
    expect(r.code, r.output).toBe(0);
    const a = await t.db.dicomAssociation.findFirst({ where: { callingAeTitle: SENDER }, orderBy: { startedAt: 'desc' } });
    expect(a?.accepted).toBe(true);
  });

  it('rejects an unknown calling AE title at association, with a log line and an audit event', async () => {
    const r = await echoscu({ ...target(), callingAe: 'STRANGER' });
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/Calling AE Title Not Recognized/i);
    const s = await storescu({ ...target(), callingAe: 'STRANGER' }, [path.join(tmp)]);
    expect(s.done).toBeDefined();
    expect((await s.done).code).not.toBe(0);
    const rows = await t.db.dicomAssociation.findMany({ where: { callingAeTitle: 'STRANGER' } });
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((x) => !x.accepted && /not on the allow-list/.test(x.rejectReason ?? ''))).toBe(true);
    const audit = await t.db.auditEvent.findMany({ where: { action: 'dicom.association.rejected' } });
    expect(audit.some((e) => (e.details as { callingAeTitle?: string }).callingAeTitle === 'STRANGER')).toBe(true);
    expect(node.output()).toMatch(/REJECTED association from calling AE "STRANGER"/);
    // A wrong called AE title is rejected too.
    const wrongCalled = await echoscu({ ...target(), calledAe: 'NOT_US' });
    expect(wrongCalled.code).not.toBe(0);
    expect(wrongCalled.output).toMatch(/Called AE Title Not Recognized/i);
  });

  it('receives a CT + RTSTRUCT study from storescu, imports it with findings, empties the spool; a repeated send is idempotent', async () => {
    const study = await writePhantomStudy(path.join(tmp, 'phantom-a'), { seed: 'dicom-receive-a', phasePercents: [0, 50] });
    const uid = studyUidOf(study.dicomDir);
    const files = dcmFiles(study.dicomDir);
    const r = await storescu(target(), [study.dicomDir]).done;
    expect(r.code, r.output).toBe(0);
    const row = await waitFor('the received study to be imported', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
      return x?.state === 'IMPORTED' || x?.state === 'FAILED' ? x : null;
    });
    expect(row.error).toBeNull();
    expect(row.state).toBe('IMPORTED');
    expect(row.instancesReceived).toBe(files.length);
    expect(row.modalities).toEqual(['CT', 'RTSTRUCT']);
    expect(row.patientPseudonym).toMatch(/^P-/);
    const stored = await t.db.study.findUniqueOrThrow({ where: { id: row.studyId! }, include: { series: true, physicianStructures: true, patient: true } });
    expect(stored.studyInstanceUid).toBe(uid);
    expect(stored.series.length).toBe(2);
    expect(stored.physicianStructures.map((p) => p.name).sort()).toEqual(['GTV_0%', 'GTV_50%', 'ITV']);
    expect(stored.patient.pseudonym).toBe(row.patientPseudonym);
    expect(Array.isArray(row.findings)).toBe(true);
    expect(existsSync(path.join(spool(), uid))).toBe(false);
    const assoc = await t.db.dicomAssociation.findFirst({ where: { callingAeTitle: SENDER, instancesReceived: files.length }, orderBy: { startedAt: 'desc' } });
    expect(assoc?.endState).toBe('RELEASED');
    // The import is audited as the DICOM sender.
    const importAudit = await t.db.auditEvent.findFirst({ where: { userEmail: `dicom:${SENDER}` } });
    expect(importAudit).not.toBeNull();

    // The same files again: received, imported as "already imported", nothing new stored.
    const again = await storescu(target(), [study.dicomDir]).done;
    expect(again.code, again.output).toBe(0);
    await waitFor('the repeated send to be imported', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
      return x && x.instancesReceived === 2 * files.length && x.state === 'IMPORTED' ? x : null;
    });
    expect(await t.db.study.count({ where: { studyInstanceUid: uid } })).toBe(1);
    expect(await t.db.imageSeries.count({ where: { studyId: row.studyId! } })).toBe(2);
    expect(node.output()).toMatch(/already imported study/);
  });

  it('keeps what arrived of an association cut off mid-study, imports nothing half, and completes when the rest is sent', async () => {
    const study = await writePhantomStudy(path.join(tmp, 'phantom-b'), { seed: 'dicom-receive-b', phasePercents: [0, 50] });
    const uid = studyUidOf(study.dicomDir);
    const files = dcmFiles(study.dicomDir);
    // CT files first, so the cut falls inside the CT series.
    const ordered = [...files.filter((f) => !f.includes('rtstruct')), ...files.filter((f) => f.includes('rtstruct'))];
    // The connection is cut after the bytes of about 15 of 40 files, by a TCP relay between
    // storescu and the listener: killing storescu after it printed n "Sending file" lines raced
    // with it finishing all 40 on a loaded machine (its output reaches us late), so the cut
    // sometimes never happened. The relay closes both sides as a killed sender's kernel would.
    const cutAfterBytes = ordered.slice(0, 15).reduce((n, f) => n + readFileSync(f).length, 0);
    const relay = await startCuttingRelay(port, cutAfterBytes);
    const p = storescu({ ...target(), port: relay.port }, ordered.slice(0, 40));
    const sent = await p.done;
    relay.close();
    expect(sent.code, 'storescu should fail: its connection was cut').not.toBe(0);
    const row = await waitFor('the aborted association to be recorded', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
      return x?.interrupted ? x : null;
    });
    expect(row.state).toBe('RECEIVING');
    expect(row.instanceCount).toBeGreaterThanOrEqual(1);
    expect(row.instanceCount).toBeLessThan(files.length);
    // Well past the quiet time: still not imported, the files stay in the spool, no half study.
    await new Promise((r) => setTimeout(r, 3000));
    const still = await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid: uid } });
    expect(still.state).toBe('RECEIVING');
    expect(await t.db.study.count({ where: { studyInstanceUid: uid } })).toBe(0);
    // Every file in the spool is counted. A file written just as the association was cut is on
    // disk before it is recorded; the listener's spool scan (each minute) counts it then.
    const onDisk = () => readdirSync(path.join(spool(), uid)).filter((n) => n.endsWith('.dcm')).length;
    await waitFor(
      'the spool and the received-study row to agree on the instance count',
      async () => {
        const x = await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid: uid } });
        return x.instanceCount === onDisk() ? x : null;
      },
      150_000,
    );
    expect(readdirSync(path.join(spool(), '.incoming')).length).toBe(0);
    // The sender sends the whole study again: it completes.
    const rest = await storescu(target(), [study.dicomDir]).done;
    expect(rest.code, rest.output).toBe(0);
    const done = await waitFor('the completed study to be imported', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
      return x?.state === 'IMPORTED' || x?.state === 'FAILED' ? x : null;
    });
    expect(done.error).toBeNull();
    const stored = await t.db.study.findUniqueOrThrow({ where: { id: done.studyId! }, include: { series: true, physicianStructures: true } });
    expect(stored.series.length).toBe(2);
    expect(stored.physicianStructures.length).toBe(3);
  }, 300_000);

  it('a second listener on a port in use exits 4 with a message naming the port (npm start does not retry it)', async () => {
    const err = await startDicomNode({ databaseUrl: t.url, dataDir: path.join(tmp, 'other-data'), port, env: nodeEnv }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/exited with 4 before listening/);
    expect(err?.message).toContain(`Cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
  });

  it('picks up a received study after a kill -9 between receipt and import', async () => {
    await node.stop();
    const slowPort = await freePort();
    // A long quiet time: the study is received, then the listener is killed before it imports.
    const slow = await startDicomNode({ databaseUrl: t.url, dataDir, port: slowPort, env: { ...nodeEnv, ISEG_DICOM_QUIET_SECONDS: '3600' } });
    const study = await writePhantomStudy(path.join(tmp, 'phantom-c'), { seed: 'dicom-receive-c', phasePercents: [0] });
    const uid = studyUidOf(study.dicomDir);
    const files = dcmFiles(study.dicomDir);
    const r = await storescu({ ...target(), port: slowPort }, [study.dicomDir]).done;
    expect(r.code, r.output).toBe(0);
    const received = await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid: uid } });
    expect(received.instanceCount).toBe(files.length);
    expect(received.state).toBe('RECEIVING');
    await slow.kill();
    expect(await t.db.study.count({ where: { studyInstanceUid: uid } })).toBe(0);
    port = await freePort();
    node = await startDicomNode({ databaseUrl: t.url, dataDir, port, env: nodeEnv });
    const done = await waitFor('the picked-up study to be imported', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
      return x?.state === 'IMPORTED' || x?.state === 'FAILED' ? x : null;
    });
    expect(done.error).toBeNull();
    expect(await t.db.study.count({ where: { studyInstanceUid: uid } })).toBe(1);
  });

  describe.skipIf(!haveOrthanc())('Orthanc sending to us', () => {
    let orthanc: OrthancPeer;
    afterAll(() => orthanc?.stop());
    it('imports a CT + RTSTRUCT study that Orthanc C-STOREs to the listener', async () => {
      orthanc = await startOrthanc({ aet: 'ORTHANC', modalities: { iseg: { aet: AET, host: '127.0.0.1', port } } });
      const study = await writePhantomStudy(path.join(tmp, 'phantom-d'), { seed: 'dicom-receive-d', phasePercents: [0] });
      const uid = studyUidOf(study.dicomDir);
      for (const f of dcmFiles(study.dicomDir)) await orthanc.upload(f);
      const studies = await orthanc.json<string[]>('/studies');
      expect(studies.length).toBe(1);
      const res = await orthanc.rest('/modalities/iseg/store', { method: 'POST', body: JSON.stringify({ Resources: studies, Synchronous: true }) });
      expect(res.ok).toBe(true);
      const done = await waitFor('the study from Orthanc to be imported', async () => {
        const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
        return x?.state === 'IMPORTED' || x?.state === 'FAILED' ? x : null;
      });
      expect(done.error).toBeNull();
      expect(done.callingAeTitle).toBe('ORTHANC');
      const stored = await t.db.study.findUniqueOrThrow({ where: { id: done.studyId! }, include: { physicianStructures: true } });
      expect(stored.physicianStructures.map((p) => p.name).sort()).toEqual(['GTV_0%', 'ITV']);
    });
  });

  const TSEG = sharedDataPath('totalsegmentator', 'example_ct_dicom');
  describe.skipIf(!haveSharedData(TSEG))(referenceSuite('real CT (TotalSegmentator example, JPEG 2000 lossless) sent by storescu'), () => {
    it('is received (JPEG 2000 lossless as stored; storescu cannot transcode it) and imported: one 512×512×20 series', async () => {
      // The example is anonymised with blank UIDs (SOP class and instance, study, series, patient
      // ID): DICOM cannot send an instance without them, so a copy gets them (the SOP class and
      // instance from its file meta), as a PACS would hold it. The pixel data is untouched.
      const dcmodify = '/usr/bin/dcmodify';
      if (!existsSync(dcmodify)) throw new Error(`${dcmodify} is missing: install the Debian package "dcmtk" (apt-get install dcmtk).`);
      const dir = path.join(tmp, 'tseg');
      mkdirSync(dir, { recursive: true });
      const root = '1.2.826.0.1.3680043.10.1417.77';
      const uid = `${root}.1`;
      const sources = readdirSync(TSEG).sort();
      sources.forEach((name, n) => {
        const out = path.join(dir, `${n}.dcm`);
        copyFileSync(path.join(TSEG, name), out);
        const meta = parseDicomBytes(new Uint8Array(readFileSync(out)), out).parsed!.dataSet;
        const sopClass = meta.string('x00020002')!.replace(/\0/g, '').trim();
        const sopInstance = meta.string('x00020003')!.replace(/\0/g, '').trim();
        execFileSync(dcmodify, [
          '-nb',
          '-i',
          `(0008,0016)=${sopClass}`,
          '-i',
          `(0008,0018)=${sopInstance}`,
          '-i',
          `(0020,000d)=${uid}`,
          '-i',
          `(0020,000e)=${root}.2`,
          '-i',
          '(0010,0020)=TSEG-EXAMPLE',
          out,
        ]);
      });
      const r = await storescu(target(), [dir], { extraArgs: ['-xv'] }).done;
      expect(r.code, r.output).toBe(0);
      const done = await waitFor('the real CT to be imported', async () => {
        const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
        return x?.state === 'IMPORTED' || x?.state === 'FAILED' ? x : null;
      });
      expect(done.error).toBeNull();
      expect(done.instancesReceived).toBe(sources.length);
      const series = await t.db.imageSeries.findMany({ where: { studyId: done.studyId! } });
      expect(series.map((s) => s.dims)).toEqual([[512, 512, 20]]);
      expect((done.findings as { code: string }[]).map((f) => f.code)).toContain('NO_REFERENCE_STRUCTURE');
    });
  });

  it('keeps a study whose import fails in the spool, with the error', async () => {
    // A structure set alone whose CT was never received: the import refuses it; the file stays.
    const study = await writePhantomStudy(path.join(tmp, 'phantom-e'), { seed: 'dicom-receive-e', phasePercents: [0] });
    const uid = studyUidOf(study.dicomDir);
    const rs = path.join(tmp, 'rs-only');
    cpSync(path.join(study.dicomDir, 'rtstruct'), rs, { recursive: true });
    const r = await storescu(target(), [rs]).done;
    expect(r.code, r.output).toBe(0);
    const failed = await waitFor('the import to fail', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
      return x?.state === 'FAILED' || x?.state === 'IMPORTED' ? x : null;
    });
    expect(failed.state).toBe('FAILED');
    expect(failed.error).toMatch(/\S/);
    expect(readdirSync(path.join(spool(), uid)).length).toBe(1);
    expect(await t.db.study.count({ where: { studyInstanceUid: uid } })).toBe(0);
  });
});
