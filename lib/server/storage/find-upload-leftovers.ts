/**
 * Upload temp folders (`iseg-upload-[<kind>-]<pid>-XXXXXX` in the temp dir, made by
 * lib/server/studies/extract-upload.ts and the upload route) that their process can no longer remove: it died (a
 * crash, kill -9) before its cleanup ran. Read-only; remove-upload-leftovers.ts removes them.
 *
 * A folder is a leftover when it belongs to this OS user and
 * - its owner pid is not a live process, or
 * - it has no owner pid in its name (made before the pid was recorded) and nothing in it
 *   changed for `unownedAgeMs` (default a day).
 * Folders of live processes are never touched, nor anything that is not a plain folder.
 */
import { lstat, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const UPLOAD_PREFIX = 'iseg-upload-';
export const UNOWNED_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;

export interface UploadLeftover {
  dir: string;
  /** The process that made it (dead), or null when the name records none. */
  ownerPid: number | null;
  bytes: number;
  /** Newest modification time inside. */
  modifiedAt: Date;
}

export interface FindUploadLeftoversOptions {
  /** Default os.tmpdir(). */
  tmpRoot?: string;
  unownedAgeMs?: number;
  now?: Date;
}

export interface FindUploadLeftoversResult {
  leftovers: UploadLeftover[];
  bytes: number;
  /** Upload folders of live processes, left alone. */
  inUse: number;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Bytes and newest mtime under `dir` (links not followed). */
async function measure(dir: string): Promise<{ bytes: number; newest: number }> {
  let bytes = 0;
  let newest = 0;
  const walk = async (p: string) => {
    const st = await lstat(p).catch(() => null);
    if (!st) return;
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory()) for (const e of await readdir(p).catch(() => [] as string[])) await walk(path.join(p, e));
    else bytes += st.size;
  };
  await walk(dir);
  return { bytes, newest };
}

export async function findUploadLeftovers(options: FindUploadLeftoversOptions = {}): Promise<FindUploadLeftoversResult> {
  const tmpRoot = path.resolve(options.tmpRoot ?? os.tmpdir());
  const ageMs = options.unownedAgeMs ?? UNOWNED_UPLOAD_AGE_MS;
  const now = (options.now ?? new Date()).getTime();
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const leftovers: UploadLeftover[] = [];
  let inUse = 0;
  for (const name of await readdir(tmpRoot).catch(() => [] as string[])) {
    if (!name.startsWith(UPLOAD_PREFIX)) continue;
    // iseg-upload-[<kind>-][<pid>-]XXXXXX (mkdtemp's six characters); <kind> e.g. "body".
    const m = /^iseg-upload-(?:[a-z]+-)?(?:(\d+)-)?[A-Za-z0-9]{6}$/.exec(name);
    if (!m) continue;
    const dir = path.join(tmpRoot, name);
    const st = await lstat(dir).catch(() => null);
    if (!st?.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
    const ownerPid = m[1] ? Number(m[1]) : null;
    if (ownerPid !== null && (ownerPid === process.pid || processAlive(ownerPid))) {
      inUse++;
      continue;
    }
    const { bytes, newest } = await measure(dir);
    if (ownerPid === null && now - newest < ageMs) {
      inUse++;
      continue;
    }
    leftovers.push({ dir, ownerPid, bytes, modifiedAt: new Date(newest) });
  }
  return { leftovers, bytes: leftovers.reduce((s, l) => s + l.bytes, 0), inUse };
}
