/**
 * Sends whose pg-boss job ended without them (lib/server/dicom-send/sweep-stranded-sends.ts):
 * a job cancelled in the queue and a job gone from it leave the send FAILED with the reason,
 * audited; a send whose job still waits is left alone; the sweep is idempotent. Also: two
 * approvals of one run at once record one and answer both. Real Postgres and real pg-boss (no
 * worker takes the jobs here, so they stay where the test puts them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import type { Caller } from '@/lib/server/auth/roles';
import { createBoss } from '@/lib/server/jobs/boss';
import { DICOM_SEND_JOB } from '@/lib/server/jobs/job-definitions';
import { saveDicomDestination } from '@/lib/server/dicom-send/save-dicom-destination';
import { approveRunContours } from '@/lib/server/dicom-send/approve-run-contours';
import { requestDicomSend } from '@/lib/server/dicom-send/request-dicom-send';
import { sweepStrandedSends } from '@/lib/server/dicom-send/sweep-stranded-sends';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const admin: Caller = { userId: 'u-admin', email: 'admin@example.org', name: 'Admin', role: 'ADMIN' };
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

describe('DICOM send bookkeeping: stranded sends, concurrent approvals', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let runId: string;
  let destinationId: string;

  beforeAll(async () => {
    t = await createTestDatabase('dicom_send_stranded');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    const institution = await t.db.institution.create({ data: { name: 'Test' } });
    const patient = await t.db.patient.create({ data: { pseudonym: 'P-stranded', institutionId: institution.id } });
    const study = await t.db.study.create({ data: { patientId: patient.id, studyInstanceUid: '1.2.826.0.1.3', contentHash: 'stranded' } });
    const mv = await t.db.modelVersion.create({ data: { name: 'm', version: '1', sha256: 'a'.repeat(64), manifest: {} } });
    runId = (await t.db.segmentationRun.create({ data: { studyId: study.id, modelVersionId: mv.id, status: 'SUCCEEDED', finishedAt: new Date() } })).id;
    await approveRunContours(t.db, { caller: physicist, runId });
    destinationId = (
      await saveDicomDestination(t.db, {
        caller: admin,
        input: { name: 'PACS', aeTitle: 'PACS', host: '127.0.0.1', port: 104, callingAeTitle: 'ISEG_QA', enabled: true, autoSend: false },
      })
    ).id;
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await t?.drop();
  });

  it('a cancelled job and a vanished job fail their sends with the reason; a waiting one is left alone', async () => {
    const cancelled = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId });
    const vanished = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId });
    const waiting = await requestDicomSend(t.db, boss, { caller: physicist, runId, destinationId });
    await boss.cancel(DICOM_SEND_JOB.name, cancelled.jobId!);
    await boss.deleteJob(DICOM_SEND_JOB.name, vanished.jobId!);

    const swept = await sweepStrandedSends(t.db);
    expect(swept.map((s) => [s.sendId, s.to]).sort()).toEqual(
      [
        [cancelled.sendId, 'FAILED'],
        [vanished.sendId, 'FAILED'],
      ].sort(),
    );
    const get = (id: string) => t.db.dicomSend.findUniqueOrThrow({ where: { id } });
    expect(await get(cancelled.sendId)).toMatchObject({
      state: 'FAILED',
      error: `The send's job ${cancelled.jobId} was cancelled in the job queue, so nothing will send it. Send again.`,
    });
    expect(await get(vanished.sendId)).toMatchObject({
      state: 'FAILED',
      error: `The send's job ${vanished.jobId} is not in the job queue any more, so nothing will send it. Send again.`,
    });
    expect(await get(waiting.sendId)).toMatchObject({ state: 'QUEUED', error: null });
    const audit = await t.db.auditEvent.findMany({ where: { action: 'run.send.failed' } });
    expect(audit.map((a) => (a.details as { sendId: string }).sendId).sort()).toEqual([cancelled.sendId, vanished.sendId].sort());
    // Idempotent: nothing more to do.
    expect(await sweepStrandedSends(t.db)).toEqual([]);
    expect(await t.db.auditEvent.count({ where: { action: 'run.send.failed' } })).toBe(2);
  });

  it('two approvals of one run at once: one approval and one audit event, both callers answered', async () => {
    const run = await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runId } });
    const second = await t.db.segmentationRun.create({
      data: { studyId: run.studyId, modelVersionId: run.modelVersionId, status: 'SUCCEEDED', finishedAt: new Date() },
    });
    const other: Caller = { ...physicist, userId: 'u-phys2', email: 'phys2@example.org' };
    const both = await Promise.all([
      approveRunContours(t.db, { caller: physicist, runId: second.id }),
      approveRunContours(t.db, { caller: other, runId: second.id }),
    ]);
    expect(both.map((b) => b.created).sort()).toEqual([false, true]);
    expect(both[0].approval.approvedById).toBe(both[1].approval.approvedById);
    expect(await t.db.auditEvent.count({ where: { action: 'run.approve', target: `run:${second.id}` } })).toBe(1);
  });
});
