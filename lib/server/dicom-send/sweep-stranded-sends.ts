/**
 * Sends that nothing will finish: QUEUED or SENDING while their `dicom.send` job has ended
 * (failed for good, e.g. "job heartbeat timeout" because the worker was killed during the last
 * try; cancelled; completed without the send finishing) or is gone. Each is marked FAILED with
 * the reason, by compare-and-set on its state and job id, and audited ('run.send.failed'). A send
 * left SENDING by a worker that died while pg-boss waits to retry its job goes back to QUEUED
 * ("attempt n was interrupted"). The worker runs this at start and every 15 s, beside the run
 * sweep (workers/main.ts). A try's own failure is recorded by execute-dicom-send.ts; this only
 * covers a process that stopped mid-try.
 */
import type { Db } from '../db/client';
import { recordAuditEvent } from '../audit/record-audit-event';
import { findDeadLetters, findRunJobs, hasJobTable, jobFailureMessage } from '../jobs/find-run-jobs';

export interface SweptSend {
  sendId: string;
  to: 'FAILED' | 'QUEUED';
  reason: string;
}

export async function sweepStrandedSends(db: Db): Promise<SweptSend[]> {
  if (!(await hasJobTable(db))) return [];
  const open = await db.dicomSend.findMany({
    where: { state: { in: ['QUEUED', 'SENDING'] } },
    include: { destination: { select: { name: true } }, run: { select: { study: { select: { patientId: true } } } } },
  });
  if (open.length === 0) return [];
  const jobs = await findRunJobs(
    db,
    open.map((s) => s.jobId),
  );
  const dead = await findDeadLetters(
    db,
    open.filter((s) => s.jobId && !jobs.has(s.jobId)).map((s) => s.jobId!),
  );
  const out: SweptSend[] = [];
  for (const s of open) {
    const job = s.jobId ? jobs.get(s.jobId) : undefined;
    let to: 'FAILED' | 'QUEUED';
    let reason: string;
    if (!job) {
      const d = s.jobId ? dead.get(s.jobId) : undefined;
      if (!d && s.jobId === null && Date.now() - s.queuedAt.getTime() < 60_000) continue; // being queued right now
      to = 'FAILED';
      reason = d
        ? `The send's job failed for good: ${jobFailureMessage(d.output) ?? 'no reason recorded'} (the worker stopped during the try, or the job expired). Send again.`
        : `The send's job ${s.jobId ?? ''} is not in the job queue any more, so nothing will send it. Send again.`;
    } else if (job.state === 'failed') {
      const m = jobFailureMessage(job.output);
      to = 'FAILED';
      reason =
        m === 'job heartbeat timeout'
          ? `Failed after ${job.retryCount + 1} attempts: the worker sending it stopped (killed, crashed or its machine lost) during the last try. Send again.`
          : `Failed after ${job.retryCount + 1} attempts: ${m ?? 'no reason recorded'}.`;
    } else if (job.state === 'cancelled') {
      to = 'FAILED';
      reason = `The send's job ${job.id} was cancelled in the job queue, so nothing will send it. Send again.`;
    } else if (job.state === 'completed') {
      to = 'FAILED';
      reason = `The send's job ${job.id} ended without the send finishing. Send again.`;
    } else if (job.state === 'retry' && s.state === 'SENDING') {
      to = 'QUEUED';
      reason = `Attempt ${s.attempts} was interrupted (the worker stopped during it); it will be retried.`;
    } else continue;
    const done = await db.$transaction(async (tx) => {
      const w = await tx.dicomSend.updateMany({
        where: { id: s.id, state: s.state, jobId: s.jobId },
        data: { state: to, error: reason, ...(to === 'FAILED' ? { finishedAt: new Date() } : {}) },
      });
      if (w.count !== 1) return false;
      await tx.dicomSendAttempt.updateMany({
        where: { sendId: s.id, state: 'SENDING' },
        data: { state: 'FAILED', error: 'Interrupted: the worker stopped during this try.', finishedAt: new Date() },
      });
      if (to === 'FAILED')
        await recordAuditEvent(tx, {
          action: 'run.send.failed',
          email: 'system',
          patientId: s.run.study.patientId,
          target: `run:${s.runId}`,
          details: { sendId: s.id, destination: s.destination.name, attempts: s.attempts, failure: 'STRANDED', error: reason, automatic: s.automatic },
        });
      return true;
    });
    if (done) out.push({ sendId: s.id, to, reason });
  }
  return out;
}
