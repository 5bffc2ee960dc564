/**
 * After an import: queue a segmentation run of the new study with the configured model
 * ($ISEG_MODELS_DIR/$ISEG_MODEL, default models/$ISEG_MODEL), so no manual step is needed. Without a model folder nothing is queued
 * and the reason is returned for the import report.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import type { Prisma } from '../db/generated/client';
import { env } from '../env';
import { createSegmentationRun, RUN_PRIORITY } from './create-segmentation-run';

export type DefaultSegmentation = { queued: true; runId: string; jobId: string | null } | { queued: false; reason: string };

export async function requestDefaultSegmentation(
  db: Db,
  boss: PgBoss,
  {
    studyId,
    modelsRoot = env().modelsDir,
    interactive = false,
    tx,
  }: {
    studyId: string;
    modelsRoot?: string;
    /** A user waits for it (a web upload): ahead of bulk runs. */
    interactive?: boolean;
    /** Write the run and its job in this transaction (the importer's) rather than in one of their own. */
    tx?: Prisma.TransactionClient;
  },
): Promise<DefaultSegmentation> {
  const modelDir = path.join(/*turbopackIgnore: true*/ modelsRoot, env().ISEG_MODEL);
  if (!fs.existsSync(path.join(modelDir, 'manifest.json'))) {
    return {
      queued: false,
      reason: `no model "${env().ISEG_MODEL}" in the models folder (install one, see models/README.md, or set ISEG_MODEL / ISEG_MODELS_DIR)`,
    };
  }
  const { runId, jobId } = await createSegmentationRun(db, boss, {
    caller: 'system',
    studyId,
    modelDir,
    priority: interactive ? RUN_PRIORITY.interactive : RUN_PRIORITY.bulk,
    tx,
  });
  return { queued: true, runId, jobId };
}
