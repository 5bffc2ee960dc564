/**
 * One try of a DicomSend (the worker's `dicom.send` job, workers/tasks/dicom-send.ts): build the
 * run's machine RTSTRUCT (build-run-rtstruct.ts; APPROVED with the reviewer for a send by hand,
 * UNAPPROVED for an automatic one; UIDs from send-uids.ts) and C-STORE it to the destination
 * (lib/dicom/net/store-scu.ts). Each try is a DicomSendAttempt row (SENDING, then SENT or FAILED
 * with the DICOM status, its meaning and the error); the DicomSend row shows the latest state:
 * QUEUED → SENDING → SENT, or back to QUEUED ("attempt n of m failed, will retry: …") until the
 * last try, then FAILED. A failed try that may pass later (the peer down or not answering, the
 * connection dropped, a transient rejection, 0xA7xx out of resources, 0x0110) throws, so pg-boss
 * retries it per DICOM_SEND_JOB's policy. One that will not (a permanent association rejection:
 * our calling AE title or its called AE title not recognised; a status such as 0x0122 SOP class
 * not supported or 0xA9xx data set does not match; the destination disabled; the approval gone)
 * fails the send at once with the reason and returns 'failed', so the job completes and is not retried.
 * The end (sent, or failed for good) is audited ('run.send.sent', 'run.send.failed').
 */
import type { Db } from '../db/client';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { VolumeStore } from '../storage/volume-store';
import { storeInstance, StoreScuError } from '@/lib/dicom/net/store-scu';
import { buildRunRtStruct } from './build-run-rtstruct';
import { runRtStructUids } from './send-uids';

export interface ExecuteDicomSendOptions {
  db: Db;
  store: VolumeStore;
  sendId: string;
  /** The try pg-boss reports (1 = first), and how many there will be in all. */
  attempt: number;
  maxAttempts: number;
  /** Connect / association / PDU timeout of the C-STORE (ms). */
  timeoutMs?: number;
}

export type DicomSendOutcome = 'sent' | 'already-sent' | 'gone' | 'failed';

/** A failure that a retry would meet again (not a network or peer-load problem). */
class PermanentSendError extends Error {}

export async function executeDicomSend({ db, store, sendId, attempt, maxAttempts, timeoutMs }: ExecuteDicomSendOptions): Promise<DicomSendOutcome> {
  const send = await db.dicomSend.findUnique({
    where: { id: sendId },
    include: { destination: true, run: { include: { approval: true, study: { select: { patientId: true } } } } },
  });
  if (!send) return 'gone';
  if (send.state === 'SENT') return 'already-sent';
  const d = send.destination;
  const lastTry = attempt >= maxAttempts;
  await db.dicomSendAttempt.upsert({
    where: { sendId_attempt: { sendId, attempt } },
    create: { sendId, attempt, state: 'SENDING' },
    update: { state: 'SENDING', startedAt: new Date(), finishedAt: null, error: null, statusCode: null, statusMeaning: null },
  });
  await db.dicomSend.update({ where: { id: sendId }, data: { state: 'SENDING', attempts: attempt, error: null } });
  let sopInstanceUid: string | null = null;
  try {
    if (!d.enabled) throw new PermanentSendError(`Destination "${d.name}" was disabled after this send was queued: an admin enables it, then send again.`);
    const approval = send.run.approval;
    if (!send.automatic && !approval) throw new PermanentSendError(`Run ${send.runId}'s approval is missing: approve the machine contours, then send again.`);
    const approved = !send.automatic && approval ? approval : null;
    const file = await buildRunRtStruct(db, store, {
      runId: send.runId,
      uids: runRtStructUids(send.runId, approved !== null),
      ...(approved ? { approval: { reviewerName: approved.approvedByName || approved.approvedByEmail, at: approved.approvedAt } } : {}),
    });
    sopInstanceUid = file.sopInstanceUid;
    const r = await storeInstance({ host: d.host, port: d.port, calledAeTitle: d.aeTitle, callingAeTitle: d.callingAeTitle, label: d.name }, file.bytes, {
      timeoutMs,
    });
    const now = new Date();
    await db.$transaction(async (tx) => {
      await tx.dicomSendAttempt.update({
        where: { sendId_attempt: { sendId, attempt } },
        data: { state: 'SENT', statusCode: r.status, statusMeaning: r.meaning, finishedAt: now },
      });
      await tx.dicomSend.update({
        where: { id: sendId },
        data: { state: 'SENT', statusCode: r.status, statusMeaning: r.meaning, sopInstanceUid, error: r.comment, finishedAt: now },
      });
      await recordAuditEvent(tx, {
        action: 'run.send.sent',
        email: send.requestedByEmail ?? 'system',
        patientId: send.run.study.patientId,
        target: `run:${send.runId}`,
        details: {
          sendId,
          destination: d.name,
          aeTitle: d.aeTitle,
          host: d.host,
          port: d.port,
          sopInstanceUid,
          status: r.status,
          statusMeaning: r.meaning,
          attempt,
          automatic: send.automatic,
          approved: approved !== null,
        },
      });
    });
    return 'sent';
  } catch (e) {
    const err = e as Error;
    const scu = e instanceof StoreScuError ? e : null;
    const message = err.message;
    const permanent = scu?.permanent === true || e instanceof PermanentSendError;
    const final = permanent || lastTry;
    const now = new Date();
    await db.$transaction(async (tx) => {
      await tx.dicomSendAttempt.update({
        where: { sendId_attempt: { sendId, attempt } },
        data: { state: 'FAILED', statusCode: scu?.status ?? null, statusMeaning: scu?.statusMeaning ?? null, error: message, finishedAt: now },
      });
      await tx.dicomSend.update({
        where: { id: sendId },
        data: {
          state: final ? 'FAILED' : 'QUEUED',
          statusCode: scu?.status ?? null,
          statusMeaning: scu?.statusMeaning ?? null,
          sopInstanceUid,
          error: permanent
            ? `Failed, not retried (the destination would answer the same way until its settings or ours change): ${message}`
            : final
              ? `Failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${message}`
              : `Attempt ${attempt} of ${maxAttempts} failed, will retry: ${message}`,
          finishedAt: final ? now : null,
        },
      });
      if (final)
        await recordAuditEvent(tx, {
          action: 'run.send.failed',
          email: send.requestedByEmail ?? 'system',
          patientId: send.run.study.patientId,
          target: `run:${send.runId}`,
          details: {
            sendId,
            destination: d.name,
            aeTitle: d.aeTitle,
            host: d.host,
            port: d.port,
            attempts: attempt,
            retried: !permanent,
            failure: scu?.failure ?? 'ERROR',
            status: scu?.status ?? null,
            error: message,
            automatic: send.automatic,
          },
        });
    });
    if (permanent) return 'failed';
    throw e;
  }
}
