/**
 * Execute one PacsRetrieval (job `pacs.retrieve`, in a worker): WADO-RS retrieve of the study
 * into a temporary folder (streamed to disk, progress = instances written), then the same import
 * as uploads (importStudyAndQueue: atomic, idempotent, findings, merge of later RTSTRUCTs, the
 * default segmentation run queued), then the folder is removed.
 *
 * - Runs as the user who asked: their account must still be active and allowed studies:import.
 * - State changes are compare-and-set: QUEUED → RETRIEVING → IMPORTING → IMPORTED | FAILED. A
 *   job delivered again for a finished retrieval does nothing; one whose worker died mid-way
 *   (RETRIEVING / IMPORTING) starts again from the retrieve (the import is idempotent).
 * - Nothing half-imported: a retrieve that fails (PACS down, cut off, timed out) never reaches the
 *   import; the import itself writes all or nothing. The reason is stored in `error` (naming the
 *   PACS and what to check) and the AppError is thrown so the job is marked failed too.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { recordAuditEvent } from '../audit/record-audit-event';
import { can, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError, toAppError } from '../errors';
import { env } from '../env';
import { retrieveDicomWebStudy } from '../dicomweb/retrieve-dicomweb-study';
import { importStudyAndQueue } from '../studies/import-study-and-queue';
import type { VolumeStore } from '../storage/volume-store';
import { pacsTarget } from './pacs-target';

export interface ExecutePacsRetrievalOptions {
  db: Db;
  retrievalId: string;
  /** For the default segmentation run; null imports only. */
  boss: PgBoss | (() => Promise<PgBoss>) | null;
  store?: VolumeStore;
  /** Holds the credentials key; default $ISEG_DATA_DIR. */
  dataDir?: string;
  /** Parent of the temporary folders; default <dataDir>/pacs-retrieve. */
  workDir?: string;
  modelsRoot?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type PacsRetrievalOutcome = { state: 'IMPORTED'; studyId: string; alreadyImported: boolean } | { state: 'SKIPPED'; reason: string };

/** How often progress is written while instances arrive (ms). */
const PROGRESS_EVERY_MS = 500;

export async function executePacsRetrieval(options: ExecutePacsRetrievalOptions): Promise<PacsRetrievalOutcome> {
  const { db, retrievalId } = options;
  const claimed = await db.pacsRetrieval.updateMany({
    where: { id: retrievalId, state: { in: ['QUEUED', 'RETRIEVING', 'IMPORTING'] } },
    data: { state: 'RETRIEVING', startedAt: new Date(), instancesFetched: 0, bytesFetched: 0, error: null },
  });
  if (claimed.count === 0) {
    const row = await db.pacsRetrieval.findUnique({ where: { id: retrievalId }, select: { state: true } });
    return { state: 'SKIPPED', reason: row ? `retrieval ${retrievalId} is ${row.state} already` : `no retrieval ${retrievalId}` };
  }
  const row = await db.pacsRetrieval.findUniqueOrThrow({ where: { id: retrievalId } });
  const dataDir = options.dataDir ?? env().dataDir;
  let dir: string | null = null;
  try {
    const user = await db.user.findUnique({ where: { id: row.requestedById } });
    if (!user || !user.active || !can(user.role, 'studies:import')) {
      throw new AppError(
        'FORBIDDEN',
        `${row.requestedByEmail}, who asked for this retrieval, is no longer allowed to import studies (account deactivated or role changed): ask again as a user who may.`,
      );
    }
    const caller: Caller = { userId: user.id, email: user.email, name: user.name, role: user.role };
    const target = await pacsTarget(db, row.endpointId, { dataDir });
    const workDir = options.workDir ?? path.join(dataDir, 'pacs-retrieve');
    await fs.mkdir(workDir, { recursive: true, mode: 0o700 });
    dir = await fs.mkdtemp(path.join(workDir, `${retrievalId}-`));

    let last = 0;
    const { files, bytes } = await retrieveDicomWebStudy({
      target,
      studyInstanceUid: row.studyInstanceUid,
      dir,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onProgress: async (p) => {
        if (Date.now() - last < PROGRESS_EVERY_MS) return;
        last = Date.now();
        await db.pacsRetrieval.update({ where: { id: retrievalId }, data: { instancesFetched: p.instances, bytesFetched: BigInt(p.bytes) } });
      },
    });
    await db.pacsRetrieval.update({ where: { id: retrievalId }, data: { state: 'IMPORTING', instancesFetched: files.length, bytesFetched: BigInt(bytes) } });
    if (files.length === 0)
      throw new AppError(
        'UNAVAILABLE',
        `PACS "${target.name}" (${target.baseUrl}) returned no instances of the study: it may have been deleted there; search again.`,
      );

    const result = await importStudyAndQueue({
      db,
      caller,
      dir,
      boss: options.boss,
      store: options.store,
      modelsRoot: options.modelsRoot,
      label: `the study retrieved from PACS "${target.name}"`,
    });
    // The state and its audit event commit together: whoever sees IMPORTED also finds the event.
    await db.$transaction(async (tx) => {
      await tx.pacsRetrieval.update({
        where: { id: retrievalId },
        data: {
          state: 'IMPORTED',
          studyId: result.studyId,
          alreadyImported: result.alreadyImported,
          findings: result.findings as object[],
          finishedAt: new Date(),
        },
      });
      await recordAuditEvent(tx, {
        action: 'pacs.retrieve.import',
        caller,
        patientId: result.patientId,
        target: `study:${result.studyId}`,
        details: {
          pacs: target.name,
          retrieval: retrievalId,
          instances: files.length,
          alreadyImported: result.alreadyImported,
          merged: result.merged ?? false,
        },
      });
    });
    return { state: 'IMPORTED', studyId: result.studyId, alreadyImported: result.alreadyImported };
  } catch (e) {
    const err = toAppError(e, { storage: `the retrieval folder under ${dataDir}`, storageHint: 'free space there or set ISEG_DATA_DIR to a larger disk' });
    const message = err.code === 'INTERNAL' ? `The retrieval failed on the server (${(e as Error).message}); the worker log has details.` : err.message;
    await db.pacsRetrieval.update({ where: { id: retrievalId }, data: { state: 'FAILED', error: message, finishedAt: new Date() } }).catch(() => undefined);
    throw err;
  } finally {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  }
}
