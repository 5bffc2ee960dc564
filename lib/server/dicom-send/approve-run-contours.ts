/**
 * A physicist approves the machine contours of one succeeded run (permission runs:approve): who
 * and when are recorded (RunApproval) and audited ('run.approve'). Only an approved run can be
 * sent by hand (request-dicom-send.ts); the RTSTRUCT sent then says ApprovalStatus APPROVED with
 * the reviewer and the review date. Approving again changes nothing and says so.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';

export async function approveRunContours(db: Db, { caller, runId }: { caller: Caller | null; runId: string }) {
  const who = authorize(caller, 'runs:approve');
  return db.$transaction(async (tx) => {
    // Two approvals at once (a double click, two physicists) queue on the run's row: the second finds the first's.
    await tx.$executeRaw`SELECT 1 FROM "SegmentationRun" WHERE id = ${runId} FOR UPDATE`;
    const run = await tx.segmentationRun.findUnique({ where: { id: runId }, include: { approval: true, study: { select: { id: true, patientId: true } } } });
    if (!run) throw new AppError('NOT_FOUND', `Segmentation run ${runId} does not exist (reload the page).`);
    if (run.status !== 'SUCCEEDED')
      throw new AppError('CONFLICT', `Run ${runId} is ${run.status.toLowerCase()}: only the contours of a succeeded run can be approved.`);
    if (run.approval) return { approval: run.approval, created: false };
    const approval = await tx.runApproval.create({ data: { runId, approvedById: who.userId, approvedByEmail: who.email, approvedByName: who.name } });
    await recordAuditEvent(tx, {
      action: 'run.approve',
      caller: who,
      patientId: run.study.patientId,
      target: `run:${runId}`,
      details: { studyId: run.study.id },
    });
    return { approval, created: true };
  });
}
