/**
 * How full the DICOM spool is, and whether the listener may take another instance: the bytes in
 * the spool (every file under it, `.incoming/` included) must stay under the limit
 * (ISEG_DICOM_SPOOL_MAX_GB) and the disk that holds it must keep a floor of free space
 * (ISEG_DICOM_SPOOL_MIN_FREE_GB). When either is crossed, new C-STORE requests are refused with
 * 0xA700 (Refused: out of resources); what is already in the spool is kept and imported, which
 * frees the space again.
 *
 * `measure()` walks the spool and asks the file system for its free space (statfs). The listener
 * measures every few seconds and after each import, and adds each stored instance's size in
 * between (`add`), so `check()` is a cheap, slightly conservative answer. No database here.
 */
import { readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';

export interface SpoolUsage {
  /** Bytes of the files in the spool. */
  usedBytes: number;
  /** Bytes free for us on the spool's file system (null when it cannot be asked). */
  freeBytes: number | null;
  maxBytes: number;
  minFreeBytes: number;
  /** Why new instances are refused now, or null when they are accepted. */
  fullReason: string | null;
}

const GB = 1024 ** 3;

export function formatBytes(n: number): string {
  if (n >= GB) return `${(n / GB).toFixed(2)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

/** Sum of the sizes of the files under `dir` (0 when it does not exist). */
export async function directoryBytes(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) total += await directoryBytes(full);
    else if (e.isFile())
      total += await stat(full).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

/** The free space for unprivileged users on the file system holding `dir` (or its nearest existing parent). */
export async function freeBytesAt(dir: string): Promise<number | null> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const s = await statfs(d);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      if (path.dirname(d) === d) return null;
    }
  }
}

export function spoolFullReason(u: { usedBytes: number; freeBytes: number | null; maxBytes: number; minFreeBytes: number }, spoolDir: string): string | null {
  if (u.usedBytes >= u.maxBytes)
    return `the DICOM spool ${spoolDir} holds ${formatBytes(u.usedBytes)}, at its limit of ${formatBytes(u.maxBytes)} (ISEG_DICOM_SPOOL_MAX_GB): new instances are refused until the received studies are imported; check that imports succeed on the Receive page, or raise the limit`;
  if (u.freeBytes !== null && u.freeBytes < u.minFreeBytes)
    return `the disk holding the DICOM spool ${spoolDir} has ${formatBytes(u.freeBytes)} free, below the floor of ${formatBytes(u.minFreeBytes)} (ISEG_DICOM_SPOOL_MIN_FREE_GB): new instances are refused; free disk space there`;
  return null;
}

/** Measures the spool now. */
export async function measureSpool(spoolDir: string, limits: { maxBytes: number; minFreeBytes: number }): Promise<SpoolUsage> {
  const [usedBytes, freeBytes] = await Promise.all([directoryBytes(spoolDir), freeBytesAt(spoolDir)]);
  const u = { usedBytes, freeBytes, ...limits };
  return { ...u, fullReason: spoolFullReason(u, spoolDir) };
}

/** The listener's running view of the spool: measured now and then, added to as instances arrive. */
export class SpoolCapacity {
  private usage: SpoolUsage;
  private measuring: Promise<SpoolUsage> | null = null;

  constructor(
    readonly spoolDir: string,
    readonly limits: { maxBytes: number; minFreeBytes: number },
  ) {
    this.usage = { usedBytes: 0, freeBytes: null, ...limits, fullReason: null };
  }

  /** Measures the spool (one walk at a time) and returns the usage. */
  async measure(): Promise<SpoolUsage> {
    this.measuring ??= measureSpool(this.spoolDir, this.limits).finally(() => (this.measuring = null));
    this.usage = await this.measuring;
    return this.usage;
  }

  /** An instance of `bytes` was written (counted until the next measure). */
  add(bytes: number): void {
    const u = { ...this.usage, usedBytes: this.usage.usedBytes + bytes, freeBytes: this.usage.freeBytes === null ? null : this.usage.freeBytes - bytes };
    this.usage = { ...u, fullReason: spoolFullReason(u, this.spoolDir) };
  }

  /** The last known usage; `fullReason` non-null: refuse new instances. */
  current(): SpoolUsage {
    return this.usage;
  }
}

export const bytesFromGb = (gb: number) => Math.round(gb * GB);
