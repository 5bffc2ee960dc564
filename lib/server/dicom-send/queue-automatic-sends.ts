/**
 * After a run succeeds, queue its machine RTSTRUCT (unapproved) to every enabled destination
 * with automatic send on. Called by the worker once the run is SUCCEEDED (and again if the job
 * is retried after that, e.g. the worker died in between): a run is sent automatically at most
 * once per destination (DicomSend.autoSendTag is unique), so calling it twice queues nothing new.
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { recordAuditEvent } from '../audit/record-audit-event';
import { DICOM_SEND_JOB } from '../jobs/job-definitions';
import { sendJobInTransaction } from '../jobs/send-job';

export async function queueAutomaticSends(db: Db, boss: PgBoss, { runId }: { runId: string }): Promise<{ queued: string[] }> {
  const run = await db.segmentationRun.findUnique({ where: { id: runId }, select: { status: true, study: { select: { patientId: true } } } });
  if (!run || run.status !== 'SUCCEEDED') return { queued: [] };
  const destinations = await db.dicomDestination.findMany({ where: { enabled: true, autoSend: true }, orderBy: { name: 'asc' } });
  const queued: string[] = [];
  for (const d of destinations) {
    const tag = `${runId}:${d.id}`;
    const made = await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`dicom-auto-send:${tag}`}, 0))`;
      if (await tx.dicomSend.findUnique({ where: { autoSendTag: tag }, select: { id: true } })) return false;
      const send = await tx.dicomSend.create({ data: { runId, destinationId: d.id, automatic: true, autoSendTag: tag, requestedByEmail: 'system' } });
      const jobId = await sendJobInTransaction(boss, tx, DICOM_SEND_JOB, { sendId: send.id });
      await tx.dicomSend.update({ where: { id: send.id }, data: { jobId } });
      await recordAuditEvent(tx, {
        action: 'run.send.request',
        email: 'system',
        patientId: run.study.patientId,
        target: `run:${runId}`,
        details: { sendId: send.id, destination: d.name, aeTitle: d.aeTitle, host: d.host, port: d.port, automatic: true, jobId },
      });
      return true;
    });
    if (made) queued.push(d.name);
  }
  return { queued };
}
