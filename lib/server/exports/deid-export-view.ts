/** A DeidExport row as the study page and the API show it (no file path, no BigInt). */
import type { DeidExport } from '../db/generated/client';

export interface DeidExportView {
  id: string;
  studyId: string;
  state: 'QUEUED' | 'RUNNING' | 'READY' | 'FAILED' | 'EXPIRED';
  filesDone: number;
  filesTotal: number | null;
  attempts: number;
  fileName: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  error: string | null;
  requestedByEmail: string;
  requestedAt: string;
  readyAt: string | null;
  expiresAt: string | null;
  /** Where a READY export is downloaded (GET); null otherwise. */
  downloadUrl: string | null;
}

export function toDeidExportView(e: DeidExport): DeidExportView {
  const ready = e.state === 'READY';
  return {
    id: e.id,
    studyId: e.studyId,
    state: e.state,
    filesDone: e.filesDone,
    filesTotal: e.filesTotal,
    attempts: e.attempts,
    fileName: e.fileName,
    sizeBytes: e.sizeBytes === null ? null : Number(e.sizeBytes),
    sha256: e.sha256,
    error: e.error,
    requestedByEmail: e.requestedByEmail,
    requestedAt: e.requestedAt.toISOString(),
    readyAt: e.readyAt?.toISOString() ?? null,
    expiresAt: e.expiresAt?.toISOString() ?? null,
    downloadUrl: ready ? `/api/studies/${encodeURIComponent(e.studyId)}/export/deid/jobs/${encodeURIComponent(e.id)}` : null,
  };
}
