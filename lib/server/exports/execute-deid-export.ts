/**
 * One try of a prepared de-identified export (the worker's `study.export.deid` job,
 * workers/tasks/deid-export.ts): the study's zip (lib/server/deid/export-deid-study.ts, the same
 * code as the streamed export) is written file by file to a temp file of the export store
 * (export-files.ts), with progress (files done / total) in the DeidExport row; then the temp file
 * is re-read and its sha256 compared with the one computed while writing, and only then renamed
 * to `<id>.zip` and the row marked READY (size, sha256, expiry = now + DEID_EXPORT_RETENTION_MS).
 * A try that fails or is killed never leaves a READY row without its complete file: the temp file
 * is removed (or, after kill -9, removed by the next try and by sweep-deid-exports.ts).
 *
 * The export is made as the requester: their account is re-read, and one deactivated or no longer
 * holding studies:export-deid fails the export at once (not retried). A failure a retry would meet
 * again (AppError NOT_FOUND, FORBIDDEN, INVALID_INPUT: the study deleted, its CT gone) fails it at
 * once too; any other error throws so pg-boss retries the job per DEID_EXPORT_JOB's policy, and
 * the last try leaves it FAILED with the reason. Audited: 'study.export.deid' (written, as the
 * streamed export), 'study.export.deid.ready', 'study.export.deid.failed'.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import type { Db } from '../db/client';
import { can, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { VolumeStore } from '../storage/volume-store';
import { openDeidStudyExport } from '../deid/export-deid-study';
import { DEID_EXPORT_RETENTION_MS, exportFilePath, exportIdOfFile, exportsDir, exportTempDir, exportTempPath } from './export-files';

export interface ExecuteDeidExportOptions {
  db: Db;
  store: VolumeStore;
  exportId: string;
  /** The try pg-boss reports (1 = first), and how many there will be in all. */
  attempt: number;
  maxAttempts: number;
  /** Fault-injection hook (tests): called with 'export.half' once half the files are written. */
  onStage?: (stage: string) => Promise<void> | void;
  now?: () => Date;
}

export type DeidExportOutcome = 'ready' | 'already-done' | 'gone' | 'failed';

/** Progress is written at most this often (ms), and always at the last file. */
const PROGRESS_EVERY_MS = 300;

const PERMANENT = new Set(['NOT_FOUND', 'FORBIDDEN', 'UNAUTHORIZED', 'INVALID_INPUT']);

async function sha256OfFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Temp files an earlier, killed try of this export left. */
async function removeTempsOf(root: string, exportId: string): Promise<void> {
  const dir = exportTempDir(root);
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => exportIdOfFile(n) === exportId && n.endsWith('.part')).map((n) => rm(`${dir}/${n}`, { force: true })));
}

export async function executeDeidExport({
  db,
  store,
  exportId,
  attempt,
  maxAttempts,
  onStage,
  now = () => new Date(),
}: ExecuteDeidExportOptions): Promise<DeidExportOutcome> {
  const row = await db.deidExport.findUnique({ where: { id: exportId }, include: { study: { select: { patientId: true } } } });
  if (!row) return 'gone';
  if (row.state === 'READY' || row.state === 'EXPIRED') return 'already-done';
  if (row.state === 'FAILED') return 'failed';
  const lastTry = attempt >= maxAttempts;
  const root = store.root;
  await removeTempsOf(root, exportId);
  await db.deidExport.update({
    where: { id: exportId },
    data: { state: 'RUNNING', attempts: attempt, startedAt: now(), filesDone: 0, error: null },
  });
  const tmp = exportTempPath(root, exportId);
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  try {
    const user = await db.user.findUnique({ where: { id: row.requestedById } });
    if (!user || !user.active)
      throw new AppError('FORBIDDEN', `${row.requestedByEmail}'s account is deactivated or gone since the export was requested; it was not written.`);
    if (!can(user.role, 'studies:export-deid'))
      throw new AppError('FORBIDDEN', `${user.email} (now ${user.role}) may no longer export de-identified studies; the export was not written.`);
    const caller: Caller = { userId: user.id, email: user.email, name: user.name, role: user.role };

    let lastWrite = 0;
    let held = false;
    const out = await openDeidStudyExport(db, {
      caller,
      studyId: row.studyId,
      store,
      auditDetails: { exportId, attempt },
      onFile: async (done, total) => {
        const t = Date.now();
        const hold = onStage !== undefined && !held && done * 2 >= total;
        if (done === total || hold || t - lastWrite >= PROGRESS_EVERY_MS) {
          lastWrite = t;
          await db.deidExport.updateMany({ where: { id: exportId, state: 'RUNNING', attempts: attempt }, data: { filesDone: done, filesTotal: total } });
        }
        if (hold) {
          held = true;
          await onStage('export.half');
        }
      },
    });
    await db.deidExport.update({ where: { id: exportId }, data: { filesTotal: out.filesTotal } });

    await mkdir(exportTempDir(root), { recursive: true });
    fh = await open(tmp, 'wx', 0o640);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of out.chunks) {
      hash.update(chunk);
      size += chunk.length;
      let at = 0;
      while (at < chunk.length) at += (await fh.write(chunk, at, chunk.length - at)).bytesWritten;
    }
    await fh.sync();
    await fh.close();
    fh = null;
    const sha256 = hash.digest('hex');
    // What is on disk is what was written: re-read before it is offered.
    const onDisk = await sha256OfFile(tmp);
    if (onDisk !== sha256) throw new Error(`The export's temp file ${tmp} does not read back as written (sha256 ${onDisk}, wrote ${sha256}); check the disk.`);
    await mkdir(exportsDir(root), { recursive: true });
    await rename(tmp, exportFilePath(root, exportId));
    const readyAt = now();
    const expiresAt = new Date(readyAt.getTime() + DEID_EXPORT_RETENTION_MS);
    await db.$transaction(async (tx) => {
      await tx.deidExport.update({
        where: { id: exportId },
        data: {
          state: 'READY',
          filesDone: out.filesTotal,
          filesTotal: out.filesTotal,
          fileName: out.fileName,
          sizeBytes: BigInt(size),
          sha256,
          readyAt,
          finishedAt: readyAt,
          expiresAt,
          error: null,
        },
      });
      await recordAuditEvent(tx, {
        action: 'study.export.deid.ready',
        caller,
        patientId: row.study.patientId,
        target: `study:${row.studyId}`,
        details: { exportId, bytes: size, sha256, files: out.filesTotal, attempt, expiresAt: expiresAt.toISOString() },
      });
    });
    return 'ready';
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    const code = e instanceof AppError ? e.code : null;
    const permanent = code !== null && PERMANENT.has(code);
    const final = permanent || lastTry;
    const message = (e as Error).message;
    await db.$transaction(async (tx) => {
      await tx.deidExport.update({
        where: { id: exportId },
        data: {
          state: final ? 'FAILED' : 'QUEUED',
          error: permanent
            ? `Failed, not retried: ${message}`
            : final
              ? `Failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${message}`
              : `Attempt ${attempt} of ${maxAttempts} failed, will retry: ${message}`,
          finishedAt: final ? now() : null,
        },
      });
      if (final)
        await recordAuditEvent(tx, {
          action: 'study.export.deid.failed',
          email: row.requestedByEmail,
          role: row.requestedByRole,
          patientId: row.study.patientId,
          target: `study:${row.studyId}`,
          details: { exportId, attempts: attempt, retried: !permanent, error: message },
        });
    });
    if (permanent) return 'failed';
    throw e;
  }
}
