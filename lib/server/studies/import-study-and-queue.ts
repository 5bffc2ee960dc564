/**
 * Import a study and queue its default segmentation run: the one operation behind the upload
 * route (POST /api/studies), `iseg-qa import` and the demo seed.
 *
 * One transaction: the study's rows (write-study.ts, or merge-study.ts for a re-import that adds
 * to a stored study), the run row and its pg-boss job (create-segmentation-run.ts, through
 * importStudy's `inTransaction`) commit together or not at all. A failure while queueing (pg-boss
 * refusing the job, the model file not matching its manifest) rolls the import back and is
 * thrown to the caller. The volume files written before the transaction stay in the store, as
 * for any failed import: content-addressed, so the next import of the same files reuses them
 * rather than adding copies; if none comes, the orphan sweep (lib/server/storage/
 * remove-orphan-volumes.ts) removes them after an hour. The pg-boss handle is obtained before
 * anything is imported, so with the queue unreachable nothing is imported either.
 *
 * A re-import of a study that has a run (of any status) queues nothing. A re-import of a stored
 * study that has no run at all queues its run (in a transaction of its own: the study is already
 * committed). That repair path is still needed for studies imported without a queue (`boss: null`,
 * e.g. a seed without pg-boss) and for studies imported by versions before 2026-12-06, which wrote
 * the study and queued its run in two transactions and could leave a study without a run.
 *
 * Without a model configured ($ISEG_MODELS_DIR/$ISEG_MODEL) nothing is queued and
 * `segmentation` says why; without a pg-boss handle (`boss: null`) nothing is queued and
 * `segmentation` is null.
 */
import type { PgBoss } from 'pg-boss';
import { importStudy, type ImportStudyOptions, type ImportStudyResult } from './import-study';
import { requestDefaultSegmentation, type DefaultSegmentation } from '../runs/request-default-segmentation';

export interface ImportStudyAndQueueOptions extends Omit<ImportStudyOptions, 'inTransaction'> {
  /** The pg-boss handle, or a function that gives one (called before the import); null: import only. */
  boss: PgBoss | (() => Promise<PgBoss>) | null;
  /** A user waits for the run (a web upload): it goes ahead of bulk runs. */
  interactive?: boolean;
  /** The models folder; default $ISEG_MODELS_DIR. */
  modelsRoot?: string;
}

export type ImportStudyAndQueueResult = ImportStudyResult & {
  /** The queued run, or why none was; null when nothing was asked (already imported with a run, or no boss). */
  segmentation: DefaultSegmentation | null;
};

export async function importStudyAndQueue(options: ImportStudyAndQueueOptions): Promise<ImportStudyAndQueueResult> {
  const { boss, interactive = false, modelsRoot, ...importOptions } = options;
  const { db } = importOptions;
  if (!boss) return { ...(await importStudy(importOptions)), segmentation: null };
  const handle = typeof boss === 'function' ? await boss() : boss;
  const request = { interactive, ...(modelsRoot ? { modelsRoot } : {}) };
  const queued: { segmentation?: DefaultSegmentation } = {};
  const result = await importStudy({
    ...importOptions,
    inTransaction: async (tx, studyId) => {
      queued.segmentation = await requestDefaultSegmentation(db, handle, { ...request, studyId, tx });
    },
  });
  // Set only by a transaction that committed: importStudy returns a written study only then.
  if (queued.segmentation && !result.alreadyImported) return { ...result, segmentation: queued.segmentation };
  // Nothing written: already imported. The repair path (see above) for a stored study without any run.
  if ((await db.segmentationRun.count({ where: { studyId: result.studyId } })) > 0) return { ...result, segmentation: null };
  const segmentation = await requestDefaultSegmentation(db, handle, { ...request, studyId: result.studyId });
  return { ...result, segmentation: segmentation.queued ? segmentation : null };
}
