/**
 * Removes the volume files that no row references and that are older than the grace period
 * (find-orphan-volumes.ts says which and why that is safe); `npm start` runs it at start-up.
 *
 * Each file is first renamed aside, then checked again (still old, still unreferenced) and only
 * then deleted; otherwise it is put back. A putVolume of the same bytes meanwhile either
 * refreshed the file's time before the rename (seen by the second check) or finds it gone and
 * writes it again, so a volume that someone is storing is never lost.
 *
 * The slice-store folders of unreferenced volumes (a deleted study's, found by
 * find-orphan-volumes.ts) are removed with them, after the references are read once more; a
 * folder removed while a view builds it again costs that view a fallback to the volume, never a
 * wrong pixel (slice-store.ts checks every file against the manifest the database vouches for).
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/client';
import { findOrphanVolumes, findReferencedVolumeKeys, ORPHAN_VOLUME_GRACE_MS, type OrphanFile, type OrphanSliceStore } from './find-orphan-volumes';
import type { VolumeStore } from './volume-store';

export interface RemoveOrphanVolumesOptions {
  store: Pick<VolumeStore, 'root'>;
  /** Default ORPHAN_VOLUME_GRACE_MS (an hour). */
  graceMs?: number;
  now?: Date;
}

export interface RemoveOrphanVolumesResult {
  removed: OrphanFile[];
  bytes: number;
  /** Slice-store folders removed with their volumes (and build folders left by killed processes). */
  removedSliceStores: OrphanSliceStore[];
  sliceStoreBytes: number;
  /** Files found orphaned but kept because they were stored again during the clean-up. */
  kept: number;
}

const ASIDE = /^\.([0-9a-f]{64}\.nii\.gz)\.removing-\d+$/;

/** Files a killed clean-up left renamed aside go back into place first (removed if a copy is there). */
async function restoreAside(root: string): Promise<void> {
  const list = (d: string) => readdir(d).catch(() => [] as string[]);
  for (const a of await list(root)) {
    if (!/^[0-9a-f]{2}$/.test(a)) continue;
    for (const b of await list(path.join(root, a))) {
      const dir = path.join(root, a, b);
      for (const name of await list(dir)) {
        const m = ASIDE.exec(name);
        if (!m) continue;
        const target = path.join(dir, m[1]);
        if (
          await stat(target).then(
            () => true,
            () => false,
          )
        )
          await rm(path.join(dir, name), { force: true });
        else await rename(path.join(dir, name), target);
      }
    }
  }
}

export async function removeOrphanVolumes(db: Db, options: RemoveOrphanVolumesOptions): Promise<RemoveOrphanVolumesResult> {
  await restoreAside(path.resolve(options.store.root));
  const graceMs = options.graceMs ?? ORPHAN_VOLUME_GRACE_MS;
  const found = await findOrphanVolumes(db, { store: options.store, graceMs, now: options.now });
  const cutoff = (options.now ?? new Date()).getTime() - graceMs;
  const removed: OrphanFile[] = [];
  let kept = 0;
  const volumes = found.orphans.filter((o) => o.key !== null);
  const aside = new Map<OrphanFile, string>();
  for (const o of found.orphans) {
    if (o.key === null) {
      // A temp file of an interrupted write: nothing ever references it.
      await rm(o.file, { force: true });
      removed.push(o);
      continue;
    }
    const moved = path.join(path.dirname(o.file), `.${o.key}.removing-${process.pid}`);
    try {
      await rename(o.file, moved);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    aside.set(o, moved);
  }
  if (volumes.length > 0) {
    const referenced = await findReferencedVolumeKeys(db);
    for (const [o, moved] of aside) {
      const st = await stat(moved).catch(() => null);
      if (st && st.mtimeMs <= cutoff && !referenced.has(o.key!)) {
        await rm(moved, { force: true });
        removed.push(o);
      } else {
        kept++;
        // Same key, same bytes: renaming over a copy written meanwhile is harmless.
        if (st) await rename(moved, o.file);
      }
    }
  }
  const removedSliceStores: OrphanSliceStore[] = [];
  if (found.sliceStores.length > 0) {
    const referenced = await findReferencedVolumeKeys(db);
    for (const o of found.sliceStores) {
      const st = await stat(o.dir).catch(() => null);
      if (!st || st.mtimeMs > cutoff || (o.key !== null && referenced.has(o.key))) continue;
      await rm(o.dir, { recursive: true, force: true });
      removedSliceStores.push(o);
    }
  }
  return {
    removed,
    bytes: removed.reduce((s, o) => s + o.bytes, 0),
    kept,
    removedSliceStores,
    sliceStoreBytes: removedSliceStores.reduce((s, o) => s + o.bytes, 0),
  };
}
