/**
 * The DICOM listener's limits (issue #14), with the real listener process and dcmtk's storescu:
 *
 * - Spool limit: a study received while the spool has room stays there; a listener restarted with
 *   a tiny ISEG_DICOM_SPOOL_MAX_GB refuses every new C-STORE with 0xA700 (out of resources), says
 *   so in its log, audits `dicom.spool.full`, and the Receive page's overview reports the spool
 *   full; the study already spooled is still imported, which frees the spool, and then new
 *   instances are taken again.
 * - Idle timeout: a sender that goes silent mid-study (storescu stopped with SIGSTOP) is aborted
 *   after ISEG_DICOM_IDLE_TIMEOUT_S, the association is recorded TIMED_OUT, and what arrived is
 *   imported after the quiet time; a connection that never sends an association request is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Caller } from '@/lib/server/auth/roles';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { waitFor } from '../helpers/worker-process';
import { startDicomNode, type DicomNodeProcess } from '../helpers/dicom-node-process';
import { haveDcmtk, storescu } from '../../peers/dcmtk';
import { freePort } from '../../peers/orthanc';
import { writePhantomStudy } from '../import/phantom-fixture';
import { parseDicomBytes } from '@/lib/dicom';
import { findDicomReceiveOverview } from '@/lib/server/dicom-receive/find-dicom-receive-overview';
import { requestDicomStudyImport } from '@/lib/server/dicom-receive/request-dicom-study-import';

const AET = 'ISEG_QA';
const SENDER = 'PLANNING_TPS';
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

function dcmFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function studyUidOf(dir: string): string {
  const full = dcmFiles(dir)[0];
  return parseDicomBytes(new Uint8Array(readFileSync(full)), full)
    .parsed!.dataSet.string('x0020000d')!
    .trim();
}

describe.skipIf(!haveDcmtk())('DICOM listener limits: spool size and silent peers (real listener process, storescu)', () => {
  let t: TestDatabase;
  let tmp: string;
  let node: DicomNodeProcess | undefined;
  const baseEnv = { ISEG_DICOM_ALLOWED_AETS: SENDER, ISEG_MODELS_DIR: '/nonexistent-models' };

  beforeAll(async () => {
    t = await createTestDatabase('dicom_receive_limits');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'iseg-dicom-limits-'));
  });
  afterAll(async () => {
    await node?.stop();
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses new instances with 0xA700 while the spool is over ISEG_DICOM_SPOOL_MAX_GB, keeps and imports what it holds, then takes instances again', async () => {
    const dataDir = path.join(tmp, 'data-spool');
    const spoolDir = path.join(dataDir, 'dicom-spool');
    // 1. Received while the spool has room; a long quiet time keeps it in the spool.
    let port = await freePort();
    node = await startDicomNode({ databaseUrl: t.url, dataDir, port, env: { ...baseEnv, ISEG_DICOM_QUIET_SECONDS: '3600' } });
    const a = await writePhantomStudy(path.join(tmp, 'spool-a'), { seed: 'limits-a', phasePercents: [0] });
    const uidA = studyUidOf(a.dicomDir);
    const filesA = dcmFiles(a.dicomDir);
    const sentA = await storescu({ port, calledAe: AET, callingAe: SENDER }, [a.dicomDir]).done;
    expect(sentA.code, sentA.output).toBe(0);
    expect((await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid: uidA } })).instanceCount).toBe(filesA.length);
    await node.stop();

    // 2. The same spool under a limit of about 1 KB: full.
    port = await freePort();
    node = await startDicomNode({
      databaseUrl: t.url,
      dataDir,
      port,
      env: { ...baseEnv, ISEG_DICOM_QUIET_SECONDS: '3600', ISEG_DICOM_SPOOL_MAX_GB: '0.000001' },
    });
    expect(node.output()).toMatch(/SPOOL FULL: refusing new C-STORE requests with 0xA700 \(out of resources\): the DICOM spool .* at its limit of/);
    const b = await writePhantomStudy(path.join(tmp, 'spool-b'), { seed: 'limits-b', phasePercents: [0] });
    const uidB = studyUidOf(b.dicomDir);
    const filesB = dcmFiles(b.dicomDir);
    const refused = await storescu({ port, calledAe: AET, callingAe: SENDER }, [b.dicomDir]).done;
    // storescu stops at the first refusal and releases the association.
    expect(refused.output).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
    const assoc = await waitFor('the refusing association to end', async () => {
      const x = await t.db.dicomAssociation.findFirst({ where: { callingAeTitle: SENDER, accepted: true }, orderBy: { startedAt: 'desc' } });
      return x?.endedAt ? x : null;
    });
    expect(assoc.instancesReceived).toBe(0);
    expect(assoc.instancesFailed).toBeGreaterThanOrEqual(1);
    expect(assoc.instancesFailed).toBeLessThanOrEqual(filesB.length);
    expect(await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uidB } })).toBeNull();
    expect(readdirSync(spoolDir).filter((n) => n === uidB)).toEqual([]);
    expect(node.output()).toMatch(/refused: out of resources: the DICOM spool/);
    const full = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'dicom.spool.full' } });
    expect((full.details as { reason: string }).reason).toMatch(/ISEG_DICOM_SPOOL_MAX_GB/);
    // The Receive page's banner.
    const overview = await findDicomReceiveOverview(t.db, {
      caller: physicist,
      quietSeconds: 3600,
      spool: { dir: spoolDir, maxBytes: 1074, minFreeBytes: 0 },
    });
    expect(overview.spool?.fullReason).toMatch(/at its limit/);
    // The free-disk floor is a second limit (no disk has a petabyte free).
    const floor = await findDicomReceiveOverview(t.db, { caller: physicist, quietSeconds: 3600, spool: { dir: spoolDir, maxBytes: 1e15, minFreeBytes: 1e15 } });
    expect(floor.spool?.fullReason).toMatch(/below the floor of .* \(ISEG_DICOM_SPOOL_MIN_FREE_GB\)/);

    // 3. What the spool holds is still imported ("import now" here; the quiet time does the same).
    const rowA = await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid: uidA } });
    await requestDicomStudyImport(t.db, { caller: physicist, receivedStudyId: rowA.id });
    const importedA = await waitFor('the spooled study to be imported', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uidA } });
      return x?.state === 'IMPORTED' || x?.state === 'FAILED' ? x : null;
    });
    expect(importedA.error).toBeNull();
    expect(importedA.state).toBe('IMPORTED');
    await waitFor('the listener to take instances again', async () => (/spool has room again/.test(node!.output()) ? true : null));
    expect(await t.db.auditEvent.count({ where: { action: 'dicom.spool.available' } })).toBe(1);

    // 4. Room again: the refused study's instances are taken again (with a 1 KB limit, until the
    // first one fills it).
    await storescu({ port, calledAe: AET, callingAe: SENDER }, [b.dicomDir]).done;
    expect((await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid: uidB } })).instanceCount).toBeGreaterThanOrEqual(1);
    await node.stop();
    node = undefined;
  }, 300_000);

  it('aborts an association whose sender went silent after ISEG_DICOM_IDLE_TIMEOUT_S (TIMED_OUT) and imports what arrived when quiet', async () => {
    const dataDir = path.join(tmp, 'data-idle');
    const port = await freePort();
    node = await startDicomNode({ databaseUrl: t.url, dataDir, port, env: { ...baseEnv, ISEG_DICOM_QUIET_SECONDS: '1', ISEG_DICOM_IDLE_TIMEOUT_S: '3' } });
    const c = await writePhantomStudy(path.join(tmp, 'idle-c'), { seed: 'limits-c', phasePercents: [0, 50] });
    const uid = studyUidOf(c.dicomDir);
    const files = dcmFiles(c.dicomDir);
    const ct = files.filter((f) => !f.includes('rtstruct'));
    const p = storescu({ port, calledAe: AET, callingAe: SENDER }, ct);
    await waitFor('5 instances to be stored', async () => {
      const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
      return x && x.instanceCount >= 5 ? x : null;
    });
    p.child.kill('SIGSTOP'); // the peer hangs with the association open
    try {
      const assoc = await waitFor(
        'the silent association to time out',
        async () => {
          const x = await t.db.dicomAssociation.findFirst({ where: { callingAeTitle: SENDER, accepted: true }, orderBy: { startedAt: 'desc' } });
          return x?.endState ? x : null;
        },
        60_000,
      );
      expect(assoc.endState).toBe('TIMED_OUT');
      expect(assoc.instancesReceived).toBeLessThan(ct.length);
      expect(node.output()).toMatch(/TIMED OUT association \S+ from PLANNING_TPS at .*: nothing received for 3 s \(ISEG_DICOM_IDLE_TIMEOUT_S\); aborted/);
      // Not an interrupted transfer: imported when quiet, like any study.
      const done = await waitFor('the partial study to be imported', async () => {
        const x = await t.db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: uid } });
        return x?.state === 'IMPORTED' || x?.state === 'FAILED' ? x : null;
      });
      expect(done.interrupted).toBe(false);
      expect(done.error).toBeNull();
      expect(done.state).toBe('IMPORTED');
      expect(done.instancesReceived).toBe(assoc.instancesReceived);
      expect(await t.db.study.count({ where: { studyInstanceUid: uid } })).toBe(1);
      const o = await findDicomReceiveOverview(t.db, { caller: physicist, quietSeconds: 1 });
      expect(o.associations.find((x) => x.id === assoc.id)?.endState).toBe('TIMED_OUT');
    } finally {
      p.child.kill('SIGKILL');
      p.child.kill('SIGCONT');
      await p.done;
    }

    // A connection that never asks for an association is closed after the idle time, too.
    const socket = net.connect(port, '127.0.0.1');
    const closed = await new Promise<boolean>((resolve) => {
      const guard = setTimeout(() => resolve(false), 30_000);
      socket.on('close', () => {
        clearTimeout(guard);
        resolve(true);
      });
      socket.on('error', () => undefined);
    });
    expect(closed).toBe(true);
    expect(node.output()).toMatch(/TIMED OUT connection from .* \(no association yet\)/);
  }, 300_000);
});
