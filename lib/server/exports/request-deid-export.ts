/**
 * "Prepare de-identified export" (permission studies:export-deid, as the streamed export): a
 * DeidExport row, its pg-boss `study.export.deid` job and the audit event
 * ('study.export.deid.request') in one transaction, so an export exists if and only if a worker
 * will write it (execute-deid-export.ts).
 *
 * Idempotent per (study, requester): while the caller's export of this study is QUEUED or
 * RUNNING, a second request (a double click, another tab) returns that one (`created: false`)
 * and queues nothing. Concurrent requests are serialised by a transaction-scoped advisory lock
 * on (study, user), so two requests at the same instant cannot both create one.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, NOT_FOUND (no study, or no stored CT volume).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { DEID_EXPORT_JOB } from '../jobs/job-definitions';
import { sendJobInTransaction } from '../jobs/send-job';
import { toDeidExportView, type DeidExportView } from './deid-export-view';

export async function requestDeidExport(
  db: Db,
  boss: PgBoss,
  { caller, studyId }: { caller: Caller | null | undefined; studyId: string },
): Promise<{ export: DeidExportView; created: boolean }> {
  const who = authorize(caller, 'studies:export-deid');
  return db.$transaction(async (tx) => {
    const lockKey = `deid-export:${studyId}:${who.userId}`;
    await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${lockKey}))`;
    const study = await tx.study.findUnique({
      where: { id: studyId },
      select: { id: true, patientId: true, series: { where: { modality: 'CT', volumeKey: { not: null } }, select: { id: true } } },
    });
    if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
    if (study.series.length === 0) throw new AppError('NOT_FOUND', `Study ${studyId} has no stored CT volume to export; re-import it.`);
    const open = await tx.deidExport.findFirst({
      where: { studyId, requestedById: who.userId, state: { in: ['QUEUED', 'RUNNING'] } },
      orderBy: { requestedAt: 'desc' },
    });
    if (open) return { export: toDeidExportView(open), created: false };
    const row = await tx.deidExport.create({
      data: { studyId, requestedById: who.userId, requestedByEmail: who.email, requestedByRole: who.role },
    });
    const jobId = await sendJobInTransaction(boss, tx, DEID_EXPORT_JOB, { exportId: row.id });
    const saved = await tx.deidExport.update({ where: { id: row.id }, data: { jobId } });
    await recordAuditEvent(tx, {
      action: 'study.export.deid.request',
      caller: who,
      patientId: study.patientId,
      target: `study:${studyId}`,
      details: { exportId: row.id, jobId },
    });
    return { export: toDeidExportView(saved), created: true };
  });
}
