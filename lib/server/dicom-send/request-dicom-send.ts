/**
 * Queue the send of a run's machine RTSTRUCT to a DICOM destination (permission runs:send): the
 * DicomSend row, its pg-boss `dicom.send` job and the audit event ('run.send.request') in one
 * transaction, so a send exists if and only if a worker will try it. Only an approved run is
 * sent by hand (approve-run-contours.ts), only to an enabled destination.
 *
 * A repeated send of the same run to the same destination is allowed (the peer may have lost
 * it) and recorded as a new row; the answer and the audit event say how many sends came before.
 * Every send of a run carries the same SOP Instance UID (send-uids.ts), so a peer that keeps
 * one copy per SOP Instance UID (Orthanc, PACS) stores it once.
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { DICOM_SEND_JOB } from '../jobs/job-definitions';
import { sendJobInTransaction } from '../jobs/send-job';

export async function requestDicomSend(
  db: Db,
  boss: PgBoss,
  { caller, runId, destinationId }: { caller: Caller | null; runId: string; destinationId: string },
) {
  const who = authorize(caller, 'runs:send');
  return db.$transaction(async (tx) => {
    const run = await tx.segmentationRun.findUnique({ where: { id: runId }, include: { approval: true, study: { select: { id: true, patientId: true } } } });
    if (!run) throw new AppError('NOT_FOUND', `Segmentation run ${runId} does not exist (reload the page).`);
    if (run.status !== 'SUCCEEDED') throw new AppError('CONFLICT', `Run ${runId} is ${run.status.toLowerCase()}: only a succeeded, approved run can be sent.`);
    if (!run.approval) throw new AppError('CONFLICT', `Run ${runId}'s machine contours are not approved: a physicist approves them on the study page first.`);
    const destination = await tx.dicomDestination.findUnique({ where: { id: destinationId } });
    if (!destination) throw new AppError('NOT_FOUND', `DICOM destination ${destinationId} does not exist (reload the page).`);
    if (!destination.enabled)
      throw new AppError('CONFLICT', `Destination "${destination.name}" is disabled: an admin enables it on the DICOM destinations page.`);
    const previous = await tx.dicomSend.count({ where: { runId, destinationId, automatic: false } });
    const send = await tx.dicomSend.create({ data: { runId, destinationId, requestedByEmail: who.email } });
    const jobId = await sendJobInTransaction(boss, tx, DICOM_SEND_JOB, { sendId: send.id });
    await tx.dicomSend.update({ where: { id: send.id }, data: { jobId } });
    await recordAuditEvent(tx, {
      action: 'run.send.request',
      caller: who,
      patientId: run.study.patientId,
      target: `run:${runId}`,
      details: {
        sendId: send.id,
        destination: destination.name,
        aeTitle: destination.aeTitle,
        host: destination.host,
        port: destination.port,
        previousSends: previous,
        jobId,
      },
    });
    return { sendId: send.id, jobId, destination: destination.name, previousSends: previous };
  });
}
