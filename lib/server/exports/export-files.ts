/**
 * Where prepared de-identified exports live: `<volume store root>/exports/<exportId>.zip`, written
 * first to `<root>/exports/tmp/<exportId>.<pid>.<random>.part` and renamed into place once
 * complete and checked (execute-deid-export.ts), so a reader never sees half a zip. The volume
 * store's orphan clean-up (lib/server/storage/find-orphan-volumes.ts) looks only at its
 * two-hex-digit folders and `tmp/`, never here; sweep-deid-exports.ts cleans this folder.
 * Export ids are checked before any path is built.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AppError } from '../errors';

/** How long a READY export's file is kept before it is deleted (EXPIRED). */
export const DEID_EXPORT_RETENTION_MS = 24 * 60 * 60 * 1000;

const EXPORT_ID = /^[a-z0-9]{8,40}$/;

export function assertExportId(id: string): void {
  if (typeof id !== 'string' || !EXPORT_ID.test(id))
    throw new AppError('INVALID_INPUT', `"${String(id).slice(0, 60)}" is not an export id (lower-case letters and digits, as in the export's link).`);
}

export function exportsDir(storeRoot: string): string {
  return path.join(storeRoot, 'exports');
}

export function exportTempDir(storeRoot: string): string {
  return path.join(storeRoot, 'exports', 'tmp');
}

export function exportFilePath(storeRoot: string, exportId: string): string {
  assertExportId(exportId);
  return path.join(exportsDir(storeRoot), `${exportId}.zip`);
}

export function exportTempPath(storeRoot: string, exportId: string): string {
  assertExportId(exportId);
  return path.join(exportTempDir(storeRoot), `${exportId}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
}

/** The export id a file of the exports folder (`<id>.zip`) or its tmp folder (`<id>.<pid>.<rand>.part`) belongs to, else null. */
export function exportIdOfFile(name: string): string | null {
  const m = /^([a-z0-9]{8,40})(?:\.zip|\.\d+\.[0-9a-f]+\.part)$/.exec(name);
  return m ? m[1] : null;
}
