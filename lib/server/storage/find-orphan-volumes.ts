/**
 * Volume files that no database row references: left by an import that stored its volumes and
 * then failed or was killed before its transaction committed, or by a run killed between
 * storing a mask and writing its row. Read-only; remove-orphan-volumes.ts removes them.
 *
 * A file counts as an orphan only when no column references its key AND it has not been
 * written (or re-stored: putVolume refreshes the time of a file it finds) for `graceMs`, so a
 * volume that an import in progress has just stored, and will reference when it commits, is
 * never reported. Temp files of interrupted writes (`tmp/*.part`) older than `graceMs` are
 * reported too; they are never referenced.
 *
 * The viewer's slice stores (`slices/<64 hex>/`, lib/server/storage/slice-store.ts) go with their
 * volume: a folder whose volume key no row references (its study deleted, its series re-imported
 * with other pixels) and that was not written for `graceMs` is reported, as is a build folder
 * (`slices/.tmp-*`) left by a killed process. Removing one is always safe: the viewer falls back
 * to the volume and builds the store again.
 *
 * Referencing columns are found in the schema, not listed here: every text column whose name
 * ends in `Key` (today ImageSeries.volumeKey, PhysicianStructure.maskKey and
 * MachineStructure.maskKey), reading only values shaped like a volume key. A new column that
 * stores a volume key must follow that naming, or its files would be reported as orphans.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { VolumeStore } from './volume-store';

/** Default grace period: an hour, far longer than any import takes between storing and committing. */
export const ORPHAN_VOLUME_GRACE_MS = 60 * 60 * 1000;

export interface OrphanFile {
  /** Absolute path. */
  file: string;
  /** The volume key; null for a temp file of an interrupted write. */
  key: string | null;
  bytes: number;
  modifiedAt: Date;
}

export interface FindOrphanVolumesOptions {
  store: Pick<VolumeStore, 'root'>;
  /** Files modified within this many ms are never orphans. Default ORPHAN_VOLUME_GRACE_MS. */
  graceMs?: number;
  /** For tests; default now. */
  now?: Date;
}

/** A slice-store folder of a volume that no row references (or a build folder left by a killed process). */
export interface OrphanSliceStore {
  /** Absolute path of the folder. */
  dir: string;
  /** The volume key it was cut from; null for a build folder (`slices/.tmp-*`). */
  key: string | null;
  bytes: number;
  modifiedAt: Date;
}

export interface FindOrphanVolumesResult {
  orphans: OrphanFile[];
  bytes: number;
  /** Slice-store folders of unreferenced volumes, and build folders left behind. */
  sliceStores: OrphanSliceStore[];
  sliceStoreBytes: number;
  /** Volume files in the store (temp files not counted). */
  scanned: number;
  /** The columns read for references, as "Table.column". */
  columns: string[];
}

const KEY = /^[0-9a-f]{64}\.nii\.gz$/;
const HEX2 = /^[0-9a-f]{2}$/;
const SLICE_DIR = /^[0-9a-f]{64}$/;
const SLICE_BUILD = /^\.tmp-[0-9a-f]{64}-/;

/** Columns known to hold volume keys: if the schema query does not show them, nothing is an orphan. */
const KNOWN_COLUMNS = ['ImageSeries.volumeKey', 'PhysicianStructure.maskKey', 'MachineStructure.maskKey'];

/**
 * "Table.column" of every text column whose name ends in Key (see the module comment).
 * @throws AppError INTERNAL when a known referencing column is not visible (a role without rights
 *   on it would otherwise make every file look unreferenced).
 */
export async function findVolumeKeyColumns(db: Db): Promise<{ table: string; column: string }[]> {
  const rows = await db.$queryRawUnsafe<{ table_name: string; column_name: string }[]>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND data_type = 'text' AND column_name ~ 'Key$'
      ORDER BY table_name, column_name`,
  );
  const cols = rows.map((r) => ({ table: r.table_name, column: r.column_name }));
  const seen = new Set(cols.map((c) => `${c.table}.${c.column}`));
  const missing = KNOWN_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length) {
    throw new AppError(
      'INTERNAL',
      `Cannot see ${missing.join(', ')} in the database (migrations not applied, or the role lacks rights), so no volume file is treated as unreferenced.`,
    );
  }
  return cols;
}

/** Every volume key that a row references. */
export async function findReferencedVolumeKeys(db: Db, columns?: { table: string; column: string }[]): Promise<Set<string>> {
  const cols = columns ?? (await findVolumeKeyColumns(db));
  if (cols.length === 0) return new Set();
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const sql = cols.map(({ table, column }) => `SELECT ${q(column)} AS k FROM ${q(table)} WHERE ${q(column)} ~ '^[0-9a-f]{64}\\.nii\\.gz$'`).join(' UNION ');
  const rows = await db.$queryRawUnsafe<{ k: string }[]>(sql);
  return new Set(rows.map((r) => r.k));
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
}

/** The slice-store folders under `<root>/slices` not written for graceMs (candidates: their references are checked by the caller). */
export async function findOldSliceStores(root: string, cutoff: number): Promise<OrphanSliceStore[]> {
  const out: OrphanSliceStore[] = [];
  const slices = path.join(root, 'slices');
  for (const name of await list(slices)) {
    const isStore = SLICE_DIR.test(name);
    if (!isStore && !SLICE_BUILD.test(name)) continue;
    const dir = path.join(slices, name);
    const st = await stat(dir).catch(() => null);
    if (!st?.isDirectory() || st.mtimeMs > cutoff) continue;
    let bytes = 0;
    for (const f of await list(dir)) bytes += (await stat(path.join(dir, f)).catch(() => null))?.size ?? 0;
    out.push({ dir, key: isStore ? `${name}.nii.gz` : null, bytes, modifiedAt: st.mtime });
  }
  return out;
}

/** Reads the store's files first, then the references, so a file written meanwhile is either too young or referenced. */
export async function findOrphanVolumes(db: Db, options: FindOrphanVolumesOptions): Promise<FindOrphanVolumesResult> {
  const root = path.resolve(options.store.root);
  const graceMs = options.graceMs ?? ORPHAN_VOLUME_GRACE_MS;
  const cutoff = (options.now ?? new Date()).getTime() - graceMs;
  const candidates: OrphanFile[] = [];
  let scanned = 0;
  for (const a of await list(root)) {
    if (!HEX2.test(a)) continue;
    for (const b of await list(path.join(root, a))) {
      if (!HEX2.test(b)) continue;
      for (const name of await list(path.join(root, a, b))) {
        if (!KEY.test(name) || name.slice(0, 2) !== a || name.slice(2, 4) !== b) continue;
        const file = path.join(root, a, b, name);
        const st = await stat(file).catch(() => null);
        if (!st?.isFile()) continue;
        scanned++;
        if (st.mtimeMs <= cutoff) candidates.push({ file, key: name, bytes: st.size, modifiedAt: st.mtime });
      }
    }
  }
  for (const name of await list(path.join(root, 'tmp'))) {
    if (!name.endsWith('.part')) continue;
    const file = path.join(root, 'tmp', name);
    const st = await stat(file).catch(() => null);
    if (st?.isFile() && st.mtimeMs <= cutoff) candidates.push({ file, key: null, bytes: st.size, modifiedAt: st.mtime });
  }
  const sliceCandidates = await findOldSliceStores(root, cutoff);
  const columns = await findVolumeKeyColumns(db);
  const referenced = candidates.some((c) => c.key) || sliceCandidates.some((c) => c.key) ? await findReferencedVolumeKeys(db, columns) : new Set<string>();
  const orphans = candidates.filter((c) => c.key === null || !referenced.has(c.key));
  const sliceStores = sliceCandidates.filter((c) => c.key === null || !referenced.has(c.key));
  return {
    orphans,
    bytes: orphans.reduce((s, o) => s + o.bytes, 0),
    sliceStores,
    sliceStoreBytes: sliceStores.reduce((s, o) => s + o.bytes, 0),
    scanned,
    columns: columns.map((c) => `${c.table}.${c.column}`),
  };
}
