/**
 * Sending to a dcmtk `storescp` destination (Debian package dcmtk), with the whole path real: the
 * study is imported, its run queued and executed by the real worker process with the test model,
 * and at the end of the run the worker queues the automatic send to every enabled destination
 * with auto-send on (the machine RTSTRUCT, UNAPPROVED). storescp writes what it receives to a
 * folder; the file is checked with dcmdump and pydicom (tests/reference/dicom/sent_rtstruct.py).
 * Then a physicist approves the run and sends it by hand: a second instance (APPROVED, its own
 * SOP Instance UID) arrives. A disabled destination and one without auto-send get nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createSegmentationRun } from '@/lib/server/runs/create-segmentation-run';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createBoss } from '@/lib/server/jobs/boss';
import { saveDicomDestination } from '@/lib/server/dicom-send/save-dicom-destination';
import { approveRunContours } from '@/lib/server/dicom-send/approve-run-contours';
import { requestDicomSend } from '@/lib/server/dicom-send/request-dicom-send';
import { queueAutomaticSends } from '@/lib/server/dicom-send/queue-automatic-sends';
import { runRtStructUids } from '@/lib/server/dicom-send/send-uids';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';
import { freePort } from '../../peers/orthanc';

const STORESCP = '/usr/bin/storescp';
const DCMDUMP = '/usr/bin/dcmdump';
const MODELS = join(import.meta.dirname, '..', '..', 'fixtures', 'models');
const SENT_PY = join(import.meta.dirname, '..', '..', 'reference', 'dicom', 'sent_rtstruct.py');
const admin: Caller = { userId: 'u-admin', email: 'admin@example.org', name: 'Admin', role: 'ADMIN' };
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Curie^Marie', role: 'PHYSICIST' };

/** dcmtk must be here; under CI its absence fails the suite, naming the package. */
function haveDcmtk(): boolean {
  if (existsSync(STORESCP) && existsSync(DCMDUMP)) return true;
  const why = `${STORESCP} or ${DCMDUMP} is missing: install the Debian package "dcmtk" (apt-get install dcmtk)`;
  if (process.env.CI) throw new Error(`dcmtk test peer: ${why}. Under CI the DICOM-node tests require it (.ci/run installs it).`);
  console.warn(`Skipping the storescp suite: ${why}.`);
  return false;
}

describe.skipIf(!haveDcmtk())('sending to a dcmtk storescp destination, automatically after a run and by hand', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let phantom: PhantomStudy;
  let boss: PgBoss;
  let worker: WorkerProcess;
  let scp: ChildProcess;
  let scpOut = '';
  let received: string;
  let port: number;
  let runId: string;

  const files = () =>
    readdirSync(received)
      .filter((f) => !f.startsWith('.'))
      .sort();
  const dump = (file: string) =>
    execFileSync(DCMDUMP, ['+P', '0008,0016', '+P', '0008,0018', '+P', '300e,0002', '+P', '0020,0052', join(received, file)], { encoding: 'utf8' });

  beforeAll(async () => {
    t = await createTestDatabase('dicom_send_storescp');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-dicom-send-scp-'));
    received = join(tmp, 'received');
    mkdirSync(received);
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    phantom = await writePhantomStudy(join(tmp, 'patient'), { seed: 'dicom-send-scp', phasePercents: [0, 50] });
    port = await freePort();
    scp = spawn(STORESCP, ['--aetitle', 'STORESCP', '--output-directory', received, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    scp.stdout!.on('data', (d) => (scpOut += d));
    scp.stderr!.on('data', (d) => (scpOut += d));
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    worker = await startWorker(t.url, {
      ISEG_VOLUME_DIR: join(tmp, 'volumes'),
      ISEG_DATA_DIR: join(tmp, 'data'),
      ISEG_MODEL: 'tiny-test',
      ISEG_MODELS_DIR: MODELS,
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false });
    scp?.kill('SIGKILL');
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('after the run succeeds, its machine RTSTRUCT (UNAPPROVED) goes to the auto-send destination only; queueing again adds nothing', async () => {
    const auto = await saveDicomDestination(t.db, {
      caller: admin,
      input: { name: 'storescp', aeTitle: 'STORESCP', host: '127.0.0.1', port, callingAeTitle: 'ISEG_QA', enabled: true, autoSend: true },
    });
    await saveDicomDestination(t.db, {
      caller: admin,
      input: { name: 'off', aeTitle: 'STORESCP', host: '127.0.0.1', port, callingAeTitle: 'ISEG_QA', enabled: false, autoSend: true },
    });
    await saveDicomDestination(t.db, {
      caller: admin,
      input: { name: 'manual only', aeTitle: 'STORESCP', host: '127.0.0.1', port, callingAeTitle: 'ISEG_QA', enabled: true, autoSend: false },
    });
    const { studyId } = await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store });
    runId = (await createSegmentationRun(t.db, boss, { caller: physicist, studyId, modelDir: join(MODELS, 'tiny-test') })).runId;
    const send = await waitFor(
      'the automatic send to finish',
      async () => {
        const r = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
        if (r.status === 'FAILED') throw new Error(`run failed: ${r.error}\n${worker.output()}`);
        const s = await t.db.dicomSend.findFirst({ where: { runId } });
        return s && (s.state === 'SENT' || s.state === 'FAILED') ? s : null;
      },
      180_000,
    );
    expect(send.state, `${send.error}\n${worker.output()}\n${scpOut}`).toBe('SENT');
    expect([send.destinationId, send.automatic, send.requestedByEmail, send.statusCode]).toEqual([auto.id, true, 'system', 0]);
    expect(send.sopInstanceUid).toBe(runRtStructUids(runId, false).sopInstanceUid);
    expect(await t.db.dicomSend.count({ where: { runId } })).toBe(1);

    const got = files();
    expect(got).toHaveLength(1);
    expect(dump(got[0])).toContain(`[${send.sopInstanceUid}]`);
    const rs = JSON.parse(execFileSync('/usr/bin/python3', [SENT_PY, join(received, got[0])], { encoding: 'utf8' }));
    expect([rs.modality, rs.approvalStatus, rs.sopInstanceUid, rs.frameOfReferenceUid]).toEqual([
      'RTSTRUCT',
      'UNAPPROVED',
      send.sopInstanceUid,
      phantom.written.frameOfReferenceUid,
    ]);
    expect(rs.referencedFrames[0].series[0].series).toBe(phantom.written.phases[0].seriesInstanceUid);
    expect(rs.referencedFrames[0].series[0].images).toHaveLength(24);
    expect(rs.rois.map((r: { name: string }) => r.name)).toEqual(['GTV_iSeg_0%', 'ITV_iSeg']);

    // A second call (as after a worker crash between SUCCEEDED and queueing) queues nothing new.
    expect(await queueAutomaticSends(t.db, boss, { runId })).toEqual({ queued: [] });
    expect(await t.db.dicomSend.count({ where: { runId } })).toBe(1);
  }, 240_000);

  it('approved and sent by hand: a second instance arrives, APPROVED with the reviewer, under its own SOP Instance UID', async () => {
    await approveRunContours(t.db, { caller: physicist, runId });
    const dest = await t.db.dicomDestination.findUniqueOrThrow({ where: { name: 'manual only' } });
    const { sendId } = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId: dest.id });
    const s = await waitFor(
      'the send to finish',
      async () => {
        const x = await t.db.dicomSend.findUniqueOrThrow({ where: { id: sendId } });
        return x.state === 'SENT' || x.state === 'FAILED' ? x : null;
      },
      120_000,
    );
    expect(s.state, `${s.error}`).toBe('SENT');
    expect(s.sopInstanceUid).toBe(runRtStructUids(runId, true).sopInstanceUid);
    const got = files();
    expect(got).toHaveLength(2);
    const approved = got.find((f) => dump(f).includes(`[${s.sopInstanceUid}]`));
    expect(approved).toBeDefined();
    const rs = JSON.parse(execFileSync('/usr/bin/python3', [SENT_PY, join(received, approved!)], { encoding: 'utf8' }));
    expect([rs.approvalStatus, rs.reviewerName]).toEqual(['APPROVED', 'Curie^Marie']);
  }, 180_000);
});
