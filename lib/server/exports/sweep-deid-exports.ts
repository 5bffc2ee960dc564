/**
 * Keeps prepared de-identified exports honest; the worker runs it at start and every 15 s beside
 * the run and send sweeps (workers/main.ts):
 * - READY exports past `expiresAt` (DEID_EXPORT_RETENTION_MS, 24 h after ready): the file is
 *   deleted and the row marked EXPIRED (audited 'study.export.deid.expired');
 * - QUEUED or RUNNING exports that nothing will finish (their `study.export.deid` job failed for
 *   good, e.g. "job heartbeat timeout" after the worker was killed during the last try; cancelled;
 *   completed without the export; gone) are marked FAILED with the reason (audited
 *   'study.export.deid.failed'); one left RUNNING by a killed worker while pg-boss waits to retry
 *   goes back to QUEUED ("attempt n was interrupted");
 * - files in the exports folder that no READY export owns (a zip renamed into place just before
 *   its worker was killed, an expired one whose delete failed) and temp files of exports that are
 *   not RUNNING are deleted.
 * Every change is a compare-and-set on the row's state, so two workers sweeping at once are fine.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client';
import { recordAuditEvent } from '../audit/record-audit-event';
import { findDeadLetters, findRunJobs, hasJobTable, jobFailureMessage } from '../jobs/find-run-jobs';
import type { VolumeStore } from '../storage/volume-store';
import { exportFilePath, exportIdOfFile, exportsDir, exportTempDir } from './export-files';

export interface DeidExportSweep {
  expired: string[];
  failed: { exportId: string; reason: string }[];
  requeued: string[];
  filesRemoved: string[];
}

/** A file younger than this is never removed as a leftover (its row may be committing right now). */
const LEFTOVER_GRACE_MS = 60_000;

export async function sweepDeidExports(db: Db, store: Pick<VolumeStore, 'root'>, { now = new Date() }: { now?: Date } = {}): Promise<DeidExportSweep> {
  const out: DeidExportSweep = { expired: [], failed: [], requeued: [], filesRemoved: [] };

  const due = await db.deidExport.findMany({ where: { state: 'READY', expiresAt: { lte: now } }, include: { study: { select: { patientId: true } } } });
  for (const e of due) {
    await rm(exportFilePath(store.root, e.id), { force: true });
    const done = await db.$transaction(async (tx) => {
      const w = await tx.deidExport.updateMany({ where: { id: e.id, state: 'READY' }, data: { state: 'EXPIRED' } });
      if (w.count !== 1) return false;
      await recordAuditEvent(tx, {
        action: 'study.export.deid.expired',
        email: 'system',
        patientId: e.study.patientId,
        target: `study:${e.studyId}`,
        details: { exportId: e.id, expiresAt: e.expiresAt?.toISOString() ?? null, requestedBy: e.requestedByEmail },
      });
      return true;
    });
    if (done) out.expired.push(e.id);
  }

  if (await hasJobTable(db)) {
    const open = await db.deidExport.findMany({ where: { state: { in: ['QUEUED', 'RUNNING'] } }, include: { study: { select: { patientId: true } } } });
    const jobs = await findRunJobs(
      db,
      open.map((e) => e.jobId),
    );
    const dead = await findDeadLetters(
      db,
      open.filter((e) => e.jobId && !jobs.has(e.jobId)).map((e) => e.jobId!),
    );
    for (const e of open) {
      const job = e.jobId ? jobs.get(e.jobId) : undefined;
      let to: 'FAILED' | 'QUEUED';
      let reason: string;
      if (!job) {
        const d = e.jobId ? dead.get(e.jobId) : undefined;
        if (!d && e.jobId === null && now.getTime() - e.requestedAt.getTime() < 60_000) continue; // being queued right now
        to = 'FAILED';
        reason = d
          ? `The export's job failed for good: ${jobFailureMessage(d.output) ?? 'no reason recorded'}. Prepare it again.`
          : `The export's job ${e.jobId ?? ''} is not in the job queue any more, so nothing will write it. Prepare it again.`;
      } else if (job.state === 'failed') {
        const m = jobFailureMessage(job.output);
        to = 'FAILED';
        reason =
          m === 'job heartbeat timeout'
            ? `Failed after ${job.retryCount + 1} attempts: the worker writing it stopped (killed, crashed or its machine lost) during the last try. Prepare it again.`
            : `Failed after ${job.retryCount + 1} attempts: ${m ?? 'no reason recorded'}. Prepare it again.`;
      } else if (job.state === 'cancelled') {
        to = 'FAILED';
        reason = `The export's job ${job.id} was cancelled in the job queue, so nothing will write it. Prepare it again.`;
      } else if (job.state === 'completed') {
        // The handler commits READY or FAILED before its job completes; re-read to be sure.
        const fresh = await db.deidExport.findUnique({ where: { id: e.id }, select: { state: true } });
        if (!fresh || (fresh.state !== 'QUEUED' && fresh.state !== 'RUNNING')) continue;
        to = 'FAILED';
        reason = `The export's job ${job.id} ended without the export finishing. Prepare it again.`;
      } else if (job.state === 'retry' && e.state === 'RUNNING') {
        to = 'QUEUED';
        reason = `Attempt ${e.attempts} was interrupted (the worker stopped during it); it will be retried from the first file.`;
      } else continue;
      const done = await db.$transaction(async (tx) => {
        const w = await tx.deidExport.updateMany({
          where: { id: e.id, state: e.state, jobId: e.jobId, attempts: e.attempts },
          data: { state: to, error: reason, ...(to === 'FAILED' ? { finishedAt: now } : {}) },
        });
        if (w.count !== 1) return false;
        if (to === 'FAILED')
          await recordAuditEvent(tx, {
            action: 'study.export.deid.failed',
            email: 'system',
            patientId: e.study.patientId,
            target: `study:${e.studyId}`,
            details: { exportId: e.id, attempts: e.attempts, failure: 'STRANDED', error: reason, requestedBy: e.requestedByEmail },
          });
        return true;
      });
      if (!done) continue;
      if (to === 'FAILED') out.failed.push({ exportId: e.id, reason });
      else out.requeued.push(e.id);
    }
  }

  // Leftover files: zips no READY export owns, temp files of exports not RUNNING.
  const files = [
    ...(await readdir(exportsDir(store.root)).catch(() => [] as string[])).filter((n) => n.endsWith('.zip')).map((n) => path.join(exportsDir(store.root), n)),
    ...(await readdir(exportTempDir(store.root)).catch(() => [] as string[])).map((n) => path.join(exportTempDir(store.root), n)),
  ];
  const ids = [...new Set(files.map((f) => exportIdOfFile(path.basename(f))).filter((id): id is string => id !== null))];
  const rows = new Map((await db.deidExport.findMany({ where: { id: { in: ids } }, select: { id: true, state: true } })).map((r) => [r.id, r.state]));
  for (const f of files) {
    const id = exportIdOfFile(path.basename(f));
    if (id === null) continue;
    const state = rows.get(id);
    const keep = f.endsWith('.zip') ? state === 'READY' : state === 'RUNNING';
    if (keep) continue;
    const s = await stat(f).catch(() => null);
    if (!s || now.getTime() - s.mtimeMs < LEFTOVER_GRACE_MS) continue;
    await rm(f, { force: true });
    out.filesRemoved.push(f);
  }
  return out;
}
