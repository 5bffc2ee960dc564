/**
 * Import a study and queue its default segmentation run: the one operation behind the upload
 * route (POST /api/studies), `iseg-qa import` and the demo seed.
 *
 * Two steps, two transactions: importStudy writes the study (its own transaction), then
 * requestDefaultSegmentation writes the run row and its pg-boss job (one transaction,
 * create-segmentation-run.ts). If the second step fails (the database or pg-boss gone between
 * them, a process killed), the study exists without a run and the error is thrown to the caller
 * (the route answers with it; the CLI reports the folder as failed). The study does not stay
 * that way: importing it again finds it already imported and, because it has no run at all,
 * queues the missing one (and the admin "segment all" queues every study without a run).
 * A re-import of a study that has a run (of any status) queues nothing.
 *
 * Without a model configured ($ISEG_MODELS_DIR/$ISEG_MODEL) nothing is queued and
 * `segmentation` says why; without a pg-boss handle (`boss: null`) nothing is queued and
 * `segmentation` is null.
 */
import type { PgBoss } from 'pg-boss';
import { importStudy, type ImportStudyOptions, type ImportStudyResult } from './import-study';
import { requestDefaultSegmentation, type DefaultSegmentation } from '../runs/request-default-segmentation';

export interface ImportStudyAndQueueOptions extends ImportStudyOptions {
  /** The pg-boss handle, or a function that gives one (called only when a run is to be queued); null: import only. */
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
  const result = await importStudy(importOptions);
  if (!boss) return { ...result, segmentation: null };
  // An already imported study gets a run only if it has none: the second step failed for it before.
  if (result.alreadyImported && (await db.segmentationRun.count({ where: { studyId: result.studyId } })) > 0) return { ...result, segmentation: null };
  const handle = typeof boss === 'function' ? await boss() : boss;
  const segmentation = await requestDefaultSegmentation(db, handle, { studyId: result.studyId, interactive, ...(modelsRoot ? { modelsRoot } : {}) });
  if (result.alreadyImported && !segmentation.queued) return { ...result, segmentation: null };
  return { ...result, segmentation };
}
