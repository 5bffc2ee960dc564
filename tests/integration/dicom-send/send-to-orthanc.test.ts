/**
 * Sending approved machine contours to a real Orthanc (tests/peers/orthanc.ts) through the real
 * worker process: a synthetic 4D CT phantom is written as DICOM, imported into a real Postgres and
 * segmented (the "model" is injected: a box over ten slices); a physicist approves the run and
 * sends it; the worker C-STOREs the machine RTSTRUCT (lib/dicom/net/store-scu.ts). The file is
 * read back through Orthanc's REST API (/instances/<id>/file) and checked with pydicom
 * (tests/reference/dicom/sent_rtstruct.py) against the CT files themselves (read by
 * tests/reference/dicom/rtstruct_image_refs.py, not by our importer), and with our own reader.
 *
 * Orthanc accepts only known peers here (knownAetsOnly): a wrong called AE title and an unknown
 * calling AE title are rejected at association (permanently: the send fails at the first try,
 * not retried); a destination whose port nobody listens on is a peer that is down (retried with
 * backoff, failed after 4 tries). Each error names the destination and what to check, and
 * nothing else changes. A repeated send is recorded as a second send; Orthanc keeps
 * one instance (same SOP Instance UID).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createSegmentationRun } from '@/lib/server/runs/create-segmentation-run';
import { executeSegmentationRun, type SegmentFn } from '@/lib/server/runs/execute-segmentation-run';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createBoss } from '@/lib/server/jobs/boss';
import { saveDicomDestination } from '@/lib/server/dicom-send/save-dicom-destination';
import { approveRunContours } from '@/lib/server/dicom-send/approve-run-contours';
import { requestDicomSend } from '@/lib/server/dicom-send/request-dicom-send';
import { findRunSends } from '@/lib/server/dicom-send/find-run-sends';
import { readDicom } from '@/lib/dicom';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';
import { freePort, haveOrthanc, startOrthanc, type OrthancPeer } from '../../peers/orthanc';

const MODEL_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const REFS_PY = join(import.meta.dirname, '..', '..', 'reference', 'dicom', 'rtstruct_image_refs.py');
const SENT_PY = join(import.meta.dirname, '..', '..', 'reference', 'dicom', 'sent_rtstruct.py');
const RT_STRUCTURE_SET_STORAGE = '1.2.840.10008.5.1.4.1.1.481.3';
const admin: Caller = { userId: 'u-admin', email: 'admin@example.org', name: 'Admin', role: 'ADMIN' };
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Curie^Marie', role: 'PHYSICIST' };
const reviewer: Caller = { userId: 'u-rev', email: 'rev@example.org', name: 'Rev', role: 'REVIEWER' };

interface Sent {
  sopClassUid: string;
  sopInstanceUid: string;
  modality: string;
  approvalStatus: string | null;
  reviewerName: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  referencedFrames: { frameOfReferenceUid: string; series: { study: string; series: string; images: string[] }[] }[];
  rois: { name: string; frameOfReferenceUid: string }[];
  contours: Record<string, { count: number; points: number; images: string[] }>;
}

describe.skipIf(!haveOrthanc())('sending approved machine contours to Orthanc (C-STORE)', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let phantom: PhantomStudy;
  let boss: PgBoss;
  let orthanc: OrthancPeer;
  let worker: WorkerProcess;
  let studyId: string;
  let runId: string;
  let orthancId: string;

  const sendOf = (id: string) => t.db.dicomSend.findUniqueOrThrow({ where: { id }, include: { tries: { orderBy: { attempt: 'asc' } } } });
  const finished = (id: string, timeoutMs = 120_000) =>
    waitFor(
      `send ${id} to finish`,
      async () => {
        const s = await sendOf(id);
        return s.state === 'SENT' || s.state === 'FAILED' ? s : null;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    t = await createTestDatabase('dicom_send_orthanc');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-dicom-send-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    phantom = await writePhantomStudy(join(tmp, 'patient'), { seed: 'dicom-send', phasePercents: [0, 50] });
    studyId = (await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store })).studyId;
    const segment: SegmentFn = async (ct) => {
      const [nx, ny] = ct.grid.dims;
      const data = new Uint8Array(ct.data.length);
      for (let k = 7; k < 17; k++) for (let j = 18; j < 30; j++) for (let i = 18; i < 30; i++) data[i + nx * (j + ny * k)] = 1;
      return { mask: { grid: ct.grid, data }, timingsMs: {} };
    };
    const fakeBoss = { send: async () => 'job-dicom-send-run' } as unknown as PgBoss;
    runId = (await createSegmentationRun(t.db, fakeBoss, { caller: physicist, studyId, modelDir: MODEL_DIR })).runId;
    expect(await executeSegmentationRun({ db: t.db, store, runId, segment, attempt: 1, maxAttempts: 1, codeVersion: 'test' })).toBe('succeeded');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    orthanc = await startOrthanc({ knownAetsOnly: true, modalities: { iseg: { aet: 'ISEG_QA', host: '127.0.0.1', port: 11112 } } });
    mkdirSync(join(tmp, 'no-models'));
    worker = await startWorker(t.url, { ISEG_VOLUME_DIR: join(tmp, 'volumes'), ISEG_DATA_DIR: join(tmp, 'data'), ISEG_MODELS_DIR: join(tmp, 'no-models') });
    const dest = await saveDicomDestination(t.db, {
      caller: admin,
      input: { name: 'Orthanc', aeTitle: orthanc.aet, host: '127.0.0.1', port: orthanc.dicomPort, callingAeTitle: 'ISEG_QA', enabled: true, autoSend: false },
    });
    orthancId = dest.id;
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false });
    await orthanc?.stop();
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('an unapproved run is not sent; a reviewer may not approve, nor an admin send', async () => {
    await expect(requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: orthancId })).rejects.toThrow(
      /not approved: a physicist approves them on the study page first/,
    );
    await expect(approveRunContours(t.db, { caller: reviewer, runId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(requestDicomSend(t.db, boss, { caller: admin, runId, destinationId: orthancId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await t.db.dicomSend.count()).toBe(0);
  });

  it('the approved run is stored in Orthanc: pydicom and our reader find the CT references, the frame of reference and the contours', async () => {
    const a = await approveRunContours(t.db, { caller: physicist, runId });
    expect(a.created).toBe(true);
    expect((await approveRunContours(t.db, { caller: physicist, runId })).created).toBe(false);
    const req = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: orthancId });
    expect(req.previousSends).toBe(0);
    const sent = await finished(req.sendId);
    expect(sent.state, `${sent.error}\n${worker.output()}`).toBe('SENT');
    expect([sent.statusCode, sent.statusMeaning, sent.attempts]).toEqual([0, 'Success', 1]);
    expect(sent.tries.map((x) => [x.attempt, x.state, x.statusCode])).toEqual([[1, 'SENT', 0]]);

    const ids = await orthanc.instances();
    expect(ids).toHaveLength(1);
    const file = join(tmp, 'from-orthanc.dcm');
    writeFileSync(file, await orthanc.instanceFile(ids[0]));
    const rs = JSON.parse(execFileSync('/usr/bin/python3', [SENT_PY, file], { encoding: 'utf8' })) as Sent;
    const ct = JSON.parse(execFileSync('/usr/bin/python3', [REFS_PY, phantom.dicomDir], { encoding: 'utf8' })).ct as Record<
      string,
      { slices: { uid: string }[] }
    >;
    // The first phase's CT series, as the CT files say (not as our importer stored it).
    const seriesUid = phantom.written.phases[0].seriesInstanceUid;
    const ctUids = ct[seriesUid].slices.map((s) => s.uid);
    expect(ctUids).toHaveLength(24);

    expect([rs.sopClassUid, rs.modality, rs.sopInstanceUid]).toEqual([RT_STRUCTURE_SET_STORAGE, 'RTSTRUCT', sent.sopInstanceUid]);
    expect([rs.approvalStatus, rs.reviewerName]).toEqual(['APPROVED', 'Curie^Marie']);
    expect(rs.frameOfReferenceUid).toBe(phantom.written.frameOfReferenceUid);
    expect(rs.referencedFrames).toEqual([
      { frameOfReferenceUid: phantom.written.frameOfReferenceUid, series: [{ study: rs.studyInstanceUid, series: seriesUid, images: ctUids }] },
    ]);
    expect(rs.rois).toEqual([
      { name: 'GTV_iSeg_0%', frameOfReferenceUid: phantom.written.frameOfReferenceUid },
      { name: 'ITV_iSeg', frameOfReferenceUid: phantom.written.frameOfReferenceUid },
    ]);
    for (const name of ['GTV_iSeg_0%', 'ITV_iSeg']) {
      expect(rs.contours[name].count).toBeGreaterThan(0);
      // The box spans slices 7..16: each contour names the CT image of its slice.
      expect(rs.contours[name].images).toEqual(ctUids.slice(7, 17).sort());
    }

    // Our own reader agrees.
    const ours = await readDicom([file]);
    expect(ours.findings).toEqual([]);
    const ss = ours.structureSets[0];
    expect(ss.frameOfReferenceUid).toBe(phantom.written.frameOfReferenceUid);
    expect(ss.referencedSeriesUids).toEqual([seriesUid]);
    expect(new Set(ss.referencedImageSopUids)).toEqual(new Set(ctUids));
    expect(ss.rois.map((r) => r.name)).toEqual(['GTV_iSeg_0%', 'ITV_iSeg']);
    expect(ss.rois.every((r) => r.contours.length > 0)).toBe(true);

    const audit = await t.db.auditEvent.findMany({ where: { action: { in: ['run.approve', 'run.send.request', 'run.send.sent'] } }, orderBy: { id: 'asc' } });
    expect(audit.map((e) => [e.action, e.userEmail])).toEqual([
      ['run.approve', physicist.email],
      ['run.send.request', physicist.email],
      ['run.send.sent', physicist.email],
    ]);
    expect(audit[2].details).toMatchObject({ destination: 'Orthanc', aeTitle: orthanc.aet, status: 0, sopInstanceUid: sent.sopInstanceUid, approved: true });
  }, 150_000);

  it('a repeated send is recorded as a second send; Orthanc keeps one instance (same SOP Instance UID)', async () => {
    const req = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: orthancId });
    expect(req.previousSends).toBe(1);
    const sent = await finished(req.sendId);
    expect(sent.state, `${sent.error}`).toBe('SENT');
    const sends = await t.db.dicomSend.findMany({ where: { runId, destinationId: orthancId }, orderBy: { queuedAt: 'asc' } });
    expect(sends.map((s) => s.state)).toEqual(['SENT', 'SENT']);
    expect(new Set(sends.map((s) => s.sopInstanceUid)).size).toBe(1);
    expect(await orthanc.instances()).toHaveLength(1);
    const audit = await t.db.auditEvent.findMany({ where: { action: 'run.send.request' }, orderBy: { id: 'asc' } });
    expect(audit.map((e) => (e.details as { previousSends: number }).previousSends)).toEqual([0, 1]);
  }, 150_000);

  it('a wrong called AE title and an unknown calling AE title fail at once (not retried), a peer that is down after 4 tries; each with its reason; nothing else changed', async () => {
    const downPort = await freePort();
    const make = (name: string, aeTitle: string, port: number, callingAeTitle: string) =>
      saveDicomDestination(t.db, { caller: admin, input: { name, aeTitle, host: '127.0.0.1', port, callingAeTitle, enabled: true, autoSend: false } });
    const wrongCalled = await make('Wrong AE', 'NOT_ORTHANC', orthanc.dicomPort, 'ISEG_QA');
    const unknownCalling = await make('Unknown caller', orthanc.aet, orthanc.dicomPort, 'STRANGER');
    const down = await make('Down', 'ANY', downPort, 'ISEG_QA');
    const before = {
      instances: await orthanc.instances(),
      run: await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId }, include: { approval: true } }),
    };
    const reqs = await Promise.all(
      [wrongCalled, unknownCalling, down].map((d) => requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: d.id })),
    );
    const [a, b, c] = await Promise.all(reqs.map((r) => finished(r.sendId, 200_000)));

    // Rejected at association, permanently: the answer will not change until a setting does.
    for (const s of [a, b]) {
      expect(s.state).toBe('FAILED');
      expect(s.attempts).toBe(1);
      expect(s.tries.map((x) => [x.attempt, x.state])).toEqual([[1, 'FAILED']]);
      expect(s.error).toMatch(/^Failed, not retried /);
    }
    // Down: retried with backoff.
    expect(c.state).toBe('FAILED');
    expect(c.attempts).toBe(4);
    expect(c.tries.map((x) => [x.attempt, x.state])).toEqual([1, 2, 3, 4].map((n) => [n, 'FAILED']));
    expect(c.error).toMatch(/^Failed after 4 attempts: /);
    expect(a.error).toContain(
      `Destination "Wrong AE" (AE "NOT_ORTHANC" at 127.0.0.1:${orthanc.dicomPort}) permanently rejected the association: called AE title "NOT_ORTHANC" not recognised`,
    );
    expect(b.error).toContain(
      `Destination "Unknown caller" (AE "${orthanc.aet}" at 127.0.0.1:${orthanc.dicomPort}) permanently rejected the association: calling AE title "STRANGER" not recognised`,
    );
    expect(c.error).toContain(
      `Destination "Down" (AE "ANY" at 127.0.0.1:${downPort}) refused the connection: the peer is down or not listening on port ${downPort}`,
    );

    // Nothing else changed: Orthanc holds the same instance, the run and its approval are as they were, the earlier sends stay SENT.
    expect(await orthanc.instances()).toEqual(before.instances);
    expect(await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId }, include: { approval: true } })).toEqual(before.run);
    expect((await t.db.dicomSend.findMany({ where: { destinationId: orthancId } })).map((s) => s.state)).toEqual(['SENT', 'SENT']);
    const failedAudit = await t.db.auditEvent.findMany({ where: { action: 'run.send.failed' } });
    expect(failedAudit.map((e) => (e.details as { destination: string }).destination).sort()).toEqual(['Down', 'Unknown caller', 'Wrong AE']);

    // The study page's view: the run, its approval and every send with its state.
    const runs = await findRunSends(t.db, { caller: reviewer, studyId });
    expect(runs).toHaveLength(1);
    expect(runs[0].approval?.approvedByEmail).toBe(physicist.email);
    expect(runs[0].dicomSends.map((s) => `${s.destination.name}:${s.state}`).sort()).toEqual([
      'Down:FAILED',
      'Orthanc:SENT',
      'Orthanc:SENT',
      'Unknown caller:FAILED',
      'Wrong AE:FAILED',
    ]);
  }, 240_000);
});
