/**
 * The heavy part of a received study's import, done ahead: once a CT series in the spool has
 * stopped growing, the DICOM node decodes it to HU, encodes it as NIfTI, hashes, compresses and
 * puts it in the content-addressed volume store (the same loadCtVolume + putNiftiVolume as the
 * import) and leaves a small record `<spool>/.prepared/<StudyInstanceUID>/<series hash>.json`
 * naming the stored volume. The series hash is `seriesVolumeHash` of the sha256 of each slice
 * file the volume was made of, so the import (which hashes the files anyway) finds the record
 * only for exactly the files it imports: a series that grew, lost a slice or had one replaced
 * afterwards has another hash and is decoded again (by a new preparation or by the import).
 *
 * Nothing here touches the database, and the spool stays the truth:
 * - a process killed while preparing leaves at most a volume file that nothing references (the
 *   store's orphan sweep removes it after its grace period: remove-orphan-volumes.ts) and a
 *   temp file (`.json.<pid>.part`, ignored here, removed with the folder);
 * - a record is written (temp file, rename) only after its volume is in the store, and only
 *   when the slice files still have the hashes they had before decoding;
 * - the import uses a record only when its volume is still in the store, refreshing the file's
 *   time (so the orphan sweep's grace period starts again before the transaction refers to it);
 * - the study's records go when its import succeeds (importReceivedDicomStudy), or at the node's
 *   start when the study is no longer in the spool (syncDicomSpool).
 */
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DicomError, loadCtVolume, readDicom } from '@/lib/dicom';
import { putNiftiVolume, type StoredVolume, type VolumeStore } from '../storage/volume-store';
import { seriesVolumeHash, sha256File, type PreparedVolumeLookup } from '../studies/prepare-dicom-study';

/** Folder (under the spool) of the records of prepared volumes. */
export const PREPARED_DIR = '.prepared';

/** The records' folder of one received study. */
export function preparedDirOf(spoolDir: string, studyInstanceUid: string): string {
  return path.join(spoolDir, PREPARED_DIR, studyInstanceUid);
}

export interface PreparedVolumeRecord extends StoredVolume {
  seriesHash: string;
  seriesInstanceUid: string;
  slices: number;
  preparedAt: string;
}

export interface PrepareReceivedSeriesOptions {
  /** The spooled files of one series (other files are read and ignored). */
  files: string[];
  store: VolumeStore;
  /** preparedDirOf(spool, study). */
  dir: string;
}

/**
 * Prepare the volume of each loadable CT series among `files` (normally one) and record it.
 * A series that cannot be loaded yet (a gap: slices still to come) is left to the import.
 * @returns the records written.
 */
export async function prepareReceivedSeries({ files, store, dir }: PrepareReceivedSeriesOptions): Promise<PreparedVolumeRecord[]> {
  const before = new Map<string, string>();
  for (const f of files) before.set(f, await sha256File(f));
  let read;
  try {
    read = await readDicom(files);
  } catch (e) {
    if (e instanceof DicomError) return [];
    throw e;
  }
  const out: PreparedVolumeRecord[] = [];
  for (const s of read.series) {
    if (!s.loadable || !s.grid || s.slices.some((h) => !before.has(h.file))) continue;
    let volume;
    try {
      volume = await loadCtVolume(s);
    } catch (e) {
      if (e instanceof DicomError) continue;
      throw e;
    }
    const stored = await putNiftiVolume(store, volume, { intent: 'image' });
    // A slice replaced (sent again) while it was decoded: the record would name other bytes.
    const sliceFiles = s.slices.map((h) => h.file);
    let unchanged = true;
    for (const f of sliceFiles) if ((await sha256File(f).catch(() => null)) !== before.get(f)) unchanged = false;
    if (!unchanged) continue;
    const record: PreparedVolumeRecord = {
      ...stored,
      seriesHash: seriesVolumeHash(sliceFiles.map((f) => before.get(f)!)),
      seriesInstanceUid: s.seriesInstanceUid,
      slices: sliceFiles.length,
      preparedAt: new Date().toISOString(),
    };
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${record.seriesHash}.json`);
    const tmp = `${file}.${process.pid}.part`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, file);
    out.push(record);
  }
  return out;
}

/**
 * The import's lookup of prepared volumes for one received study (materialiseDicomStudy).
 * `whenSettled`, if given, resolves once no preparation of the study is queued or running: a
 * series without a record yet waits for it (it is being prepared), then is looked up again.
 * `used` counts the volumes taken.
 */
export function preparedVolumeLookup(options: {
  dir: string;
  store: VolumeStore;
  whenSettled?: () => Promise<void>;
}): PreparedVolumeLookup & { used: () => number } {
  let used = 0;
  const read = async (seriesHash: string): Promise<StoredVolume | null> => {
    let record: PreparedVolumeRecord;
    try {
      record = JSON.parse(await readFile(path.join(options.dir, `${seriesHash}.json`), 'utf8')) as PreparedVolumeRecord;
    } catch {
      return null;
    }
    if (record.seriesHash !== seriesHash || !(await options.store.has(record.key))) return null;
    // Restart the orphan sweep's grace period before the import's transaction refers to the file.
    const now = new Date();
    const ok = await utimes(path.join(options.store.root, record.key.slice(0, 2), record.key.slice(2, 4), record.key), now, now).then(
      () => true,
      () => false,
    );
    if (!ok) return null;
    used++;
    return { key: record.key, sha256: record.sha256, contentSha256: record.contentSha256 };
  };
  const lookup = async (seriesHash: string) => {
    const found = await read(seriesHash);
    if (found || !options.whenSettled) return found;
    await options.whenSettled();
    return read(seriesHash);
  };
  return Object.assign(lookup, { used: () => used });
}

/** Removes a study's records (after its import, or when it is no longer in the spool). */
export async function removePreparedRecords(spoolDir: string, studyInstanceUid: string): Promise<void> {
  await rm(preparedDirOf(spoolDir, studyInstanceUid), { recursive: true, force: true });
}
